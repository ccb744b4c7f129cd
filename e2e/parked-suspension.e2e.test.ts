import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "@poekhali/emulators";
import { telegramGoButton } from "../dags/telegram_go_button.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import type { Worker } from "../packages/poekhali/src/worker/worker.js";
import { sandboxWorker } from "../bench/sandbox-worker.js";
import { eventually } from "./harness.js";

// A run parked on its button must cost a row in Restate and nothing in the worker: Restate suspends it (ends its
// HTTP/2 stream, and the worker drops its journal) once it has waited the workflow's inactivity timeout.
describe("parked runs", () => {
  let sandbox: Sandbox;
  let restate: TemporaryRestate;
  let worker: Worker;

  beforeAll(async () => {
    sandbox = await startSandbox();
    restate = await startTemporaryRestate("poekhali-parked-");
    worker = await sandboxWorker(sandbox.info, restate.server, [
      telegramGoButton,
    ]);
    await restate.server.register(worker.deployments[0]!);
  });
  afterAll(async () => {
    await worker?.stop();
    await restate?.stop();
    await sandbox?.close();
  });

  it("are suspended in Restate within 4 s of posting their buttons", async () => {
    const chats = Array.from(
      { length: 20 },
      (_, i) =>
        sandbox.telegram.createChat({ type: "supergroup", title: `s${i}` }).id,
    );
    await Promise.all(
      chats.map((chat, i) =>
        restate.ingress.send(
          { service: "telegram_go_button", handler: "run", key: `s${i}` },
          { conf: { chat_id: String(chat), timeout: "1h" } },
        ),
      ),
    );
    const botId = Number(sandbox.info.telegram.token.split(":")[0]);
    await eventually(
      "every run to post its button",
      () =>
        sandbox.telegram.calls(botId, "sendMessage").filter((c) => c.ok)
          .length >= chats.length,
      60_000,
    );
    const posted = Date.now();
    const suspended = async () =>
      Number(
        (
          await restate.server.query<{ n: number }>(
            "SELECT count(*) AS n FROM sys_invocation WHERE target_service_name = 'telegram_go_button' AND status = 'suspended'",
          )
        )[0]?.n ?? 0,
      );
    await eventually(
      "every parked run to be suspended",
      async () => (await suspended()) === chats.length,
      10_000,
    );
    // The inactivity timeout (5 s before) was what kept a parked run in the worker.
    expect(Date.now() - posted).toBeLessThan(4_000);
  }, 120_000);
});
