import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebhookSettings } from "@poekhali/telegram";
import { alive, eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, sandboxOf, trigger } from "./sandbox.js";

describe("the app's poller across worker restarts", () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    const token = (await sandboxOf(app)).info.telegram.token;
    expect(app.output()).not.toContain(token);
    await app?.stop();
  });

  /** SIGKILLs the worker; `meanwhile` runs once it is gone, before the app has restarted it. */
  async function killWorker(meanwhile?: () => Promise<unknown>): Promise<void> {
    const before = app.pids().worker;
    process.kill(before, "SIGKILL");
    await eventually("the killed worker to be gone", () => !alive(before));
    await meanwhile?.();
    await eventually("a new worker", () => {
      const pid = app.pids().worker;
      return pid !== before && alive(pid) ? pid : undefined;
    });
  }

  it("polls again at once after the worker is SIGKILLed: the restarted worker is the same lease holder", async () => {
    const holders = () =>
      [
        ...app
          .output()
          .matchAll(/polling bot \d+ as \S+ \(lease holder (\S+)\)/g),
      ].map((m) => m[1]);
    const before = await eventually("the worker to poll", () =>
      holders().at(-1),
    );
    const count = holders().length;
    await killWorker();
    // Its predecessor is dead, so its lease is taken over by renewal, not waited out (15 s).
    const after = await eventually(
      "the restarted worker to poll",
      () => (holders().length > count ? holders().at(-1) : undefined),
      12_000,
    );
    expect(after).toBe(before);
  });

  it("accepts a press exactly once when the worker is SIGKILLed while it dispatches it", async () => {
    const sandbox = await sandboxOf(app);
    const tg = sandbox.info.telegram;
    const botId = tg.token.split(":")[0] ?? "";
    const runId = await trigger(app, { dag_run_id: "ingest_crash_1" });
    const message = await sandbox.messageWithButton();
    // The router's answer to the press hangs: the worker is killed in the middle of handling it.
    await fetch(`${tg.api_root}/_emulator/bots/${botId}/faults`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ method: "answerCallbackQuery", delay_ms: 60_000 }),
    });
    expect(
      (
        await sandbox.press(message.message_id, {
          id: 1001,
          username: "anna",
          first_name: "Анна",
        })
      ).status,
    ).toBe(200);
    await eventually("the router to be answering the press", async () => {
      const res = await fetch(`${tg.api_root}/_emulator/bots/${botId}/faults`);
      return ((await res.json()) as { result: unknown[] }).result.length === 0;
    });
    await killWorker();

    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await sandbox.rows();
    expect(rows.map((r) => r.fields.username)).toEqual(["anna"]);
  });

  it("says once, naming cause and fix, that a webhook left set keeps the new worker from polling", async () => {
    const tg = (await sandboxOf(app)).info.telegram;
    const settings = new WebhookSettings({
      token: tg.token,
      apiRoot: tg.api_root,
    });
    // Set while no worker runs (the app restarts it after 250 ms), so only the new worker meets it.
    await killWorker(() =>
      settings.set("http://127.0.0.1:9/hook", {
        secretToken: "left-behind-secret-123",
        allowedUpdates: ["callback_query"],
      }),
    );
    const reports = () =>
      app
        .output()
        .split("\n")
        .filter((l) => l.includes("has a webhook set"));
    await eventually(
      "the new worker to report the webhook",
      () => reports().length > 0,
      30_000,
    );
    expect(reports()[0]).toMatch(/deleteWebhook.*TELEGRAM_UPDATES=webhook/);

    const botId = tg.token.split(":")[0] ?? "";
    const refused = async () => {
      const res = await fetch(
        `${tg.api_root}/_emulator/bots/${botId}/calls?method=getUpdates`,
      );
      return (
        (await res.json()) as { result: { error_code?: number }[] }
      ).result.filter((c) => c.error_code === 409).length;
    };
    const before = await refused();
    await eventually(
      "polling to be refused again, backing off",
      async () => (await refused()) >= before + 2,
      30_000,
    );
    expect(reports()).toHaveLength(1);
    await settings.delete();
  });
});
