import { describe, expect, it } from "vitest";
import { eventually, postJson, type AppUnderTest } from "./harness.js";
import {
  runState,
  sensorsParked,
  taskStates,
  trigger,
  withSandboxApp,
  type SandboxHelpers,
} from "./sandbox.js";

const ANNA = { id: 42_001, username: "anna_adv", first_name: "Анна" };

/** A press in the last moment of a run's wait, which Telegram is slow to take the answer of. */
describe("a press just before the timeout", () => {
  let app: AppUnderTest;
  let sandbox: SandboxHelpers;
  withSandboxApp((a, s) => ((app = a), (sandbox = s)));

  const botId = () => sandbox.info.telegram.token.split(":")[0];
  const fault = (body: Record<string, unknown>) =>
    postJson(
      `${sandbox.info.telegram.api_root}/_emulator/bots/${botId()}/faults`,
      body,
    );
  const answered = (id: string, timeoutMs = 20_000) =>
    eventually(
      "the press to be answered",
      async () => (await sandbox.callbackAnswer(id)) ?? undefined,
      timeoutMs,
    );
  const messageById = async (id: number) =>
    (await sandbox.messages()).find((m) => m.message_id === id);

  it("is taken and written, though the timer fires while the router is still answering it", async () => {
    const runId = await trigger(app, {
      conf: { text: "Впритык", timeout: "6s" },
    });
    const message = await sandbox.messageWithButton("Впритык");
    await sensorsParked(app, [runId], 30_000);
    const start = (await taskStates(app, runId)).wait_for_press!.start_date!;
    const expiresAt = Date.parse(start) + 6_000;
    // Telegram is slow to take the answer (it is, at times, for a second or more).
    expect(
      (await fault({ method: "answerCallbackQuery", delay_ms: 3_000 })).status,
    ).toBe(200);
    // The press itself comes 1.5 s before the wait ends: the scenario is a moment, not a state.
    await new Promise((r) =>
      setTimeout(r, Math.max(0, expiresAt - 1_500 - Date.now())),
    );
    const press = await sandbox.press(message.message_id, ANNA);
    const answer = await answered(press.body.callback_query_id);
    const state = await runState(app, runId, ["success", "failed"]);
    const rows = (await sandbox.rows()).filter(
      (r) => r.fields.username === ANNA.username,
    );
    // Received in time, so taken: the run writes its row, though its timer fired while Telegram held the answer.
    expect(answer.text).toBe("Поехали!");
    expect(state).toBe("success");
    expect(rows).toHaveLength(1);
    expect(Date.parse(String(rows[0]?.fields.triggered_at))).toBeLessThan(
      expiresAt,
    );
    expect(
      (await messageById(message.message_id))?.reply_markup,
    ).toBeUndefined();
  });

  it("ends on time when Telegram cannot take the expiry edit: the run does not wait for its router's Telegram calls", async () => {
    // Telegram fails every edit for a while: the router keeps retrying its edit, the run must not wait for it.
    expect(
      (
        await fault({
          method: "editMessageText",
          error_code: 500,
          times: 10_000,
        })
      ).status,
    ).toBe(200);
    try {
      const runId = await trigger(app, {
        conf: { text: "Телеграм лежит", timeout: "1s" },
      });
      await sandbox.messageWithButton("Телеграм лежит");
      expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
      expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
        "failed",
      );
    } finally {
      await fetch(
        `${sandbox.info.telegram.api_root}/_emulator/bots/${botId()}/faults`,
        { method: "DELETE" },
      );
    }
  });
});
