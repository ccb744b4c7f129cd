import { describe, expect, it } from "vitest";
import { chaosUser, driveRun, messageIndex } from "../bench/chaos-runs.js";
import { alive, eventually, type AppUnderTest } from "./harness.js";
import { withSandboxApp, type SandboxHelpers } from "./sandbox.js";

/**
 * The chaos driver against one `poekhali up`: a kill that cuts off a send's result makes Telegram post the run's
 * message twice, and the driver, like a person, presses the copy first; it must end the run on the run's own
 * message, not wait on the copy until its deadline (what CI's chaos met once: one run left "unfinished").
 */
describe("the chaos driver", () => {
  let app: AppUnderTest;
  let sandbox: SandboxHelpers;
  withSandboxApp((a, s) => ((app = a), (sandbox = s)));

  it("ends a run whose send step posted a stray copy, pressing the run's own message after the copy's answer", async () => {
    const log: string[] = [];
    const target = {
      webUrl: app.url,
      telegramApiRoot: sandbox.info.telegram.api_root,
      chatId: sandbox.info.telegram.chat_id,
      deadline: Date.now() + 110_000,
      log: (line: string) => log.push(line),
    };
    // Telegram posts the message but the worker dies before it hears so: Restate runs the step again.
    await sandbox.fault({ method: "sendMessage", delay_ms: 60_000 });
    const messages = messageIndex(target);
    try {
      const driven = driveRun(target, messages, 0);
      await sandbox.called("sendMessage", (p) => p.text === "chaos run 0");
      const worker = app.pids().worker;
      process.kill(worker, "SIGKILL");
      await eventually("a new worker", () => {
        const pid = app.pids().worker;
        return pid !== worker && alive(pid);
      });
      expect(await driven, log.join("\n")).toBe("success");
    } finally {
      await messages.stop();
    }
    const copies = (await sandbox.messages()).filter(
      (m) => m.text === "chaos run 0",
    );
    expect(copies).toHaveLength(2);
    // The driver saw the copy first and pressed it; that press is answered as stale, or not at all when the new
    // worker comes after Telegram's 15 s, and the copy's button goes. Either way the run ended on the other message.
    expect(copies.filter((m) => m.reply_markup)).toEqual([]);
    const rows = (await sandbox.rows()).filter(
      (r) => r.fields.username === chaosUser(0),
    );
    expect(rows).toHaveLength(1);
  });
});
