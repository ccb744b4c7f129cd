import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DagRunStatus } from "@poekhali/core";
import { startSandbox, type Sandbox } from "@poekhali/emulators";
import { telegramGoButton } from "../dags/telegram_go_button.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import type { Worker } from "../packages/poekhali/src/worker/worker.js";
import { sandboxWorker } from "../bench/sandbox-worker.js";
import { eventually } from "./harness.js";

type ChatMessage = { message_id: number; reply_markup?: unknown };

// What one press costs Restate: the router's invocations and their journal entries, counted in Restate's SQL. The
// press rate under a burst is bound by this work (bench:parked), so each cut is pinned here.
describe("the cost of a press", () => {
  let sandbox: Sandbox;
  let restate: TemporaryRestate;
  let worker: Worker;
  let botId: number;
  let runs = 0;

  beforeAll(async () => {
    sandbox = await startSandbox();
    restate = await startTemporaryRestate("poekhali-press-cost-");
    worker = await sandboxWorker(sandbox.info, restate.server, [
      telegramGoButton,
    ]);
    await restate.server.register(worker.deployments[0]!);
    botId = Number(sandbox.info.telegram.token.split(":")[0]);
  });
  afterAll(async () => {
    await worker?.stop();
    await restate?.stop();
    await sandbox?.close();
  });

  const query = <T>(sql: string) => restate.server.query<T>(sql);
  const count = async (where: string) =>
    Number(
      (
        await query<{ n: number }>(
          `SELECT count(*) AS n FROM sys_invocation WHERE ${where}`,
        )
      )[0]?.n ?? 0,
    );
  const chatMessages = async (chat: number) => {
    const res = await fetch(
      `${sandbox.info.telegram.api_root}/_emulator/chats/${chat}/messages`,
    );
    return ((await res.json()) as { result: ChatMessage[] }).result;
  };

  /** Journal entries of every router `press` invocation so far. */
  const pressEntries = async () =>
    Number(
      (
        await query<{ n: number }>(
          "SELECT count(*) AS n FROM sys_journal j JOIN sys_invocation i ON j.id = i.id WHERE i.target_service_name = 'telegram_router' AND i.target_handler_name = 'press'",
        )
      )[0]?.n ?? 0,
    );

  /**
   * The journaled outcome of each router press's keyboard try (its `Run` named "remove the keyboard at once" and
   * the result its completion holds): true where the keyboard went within the press, false where it was handed on.
   */
  async function keyboardTries(): Promise<boolean[]> {
    const rows = await query<{ id: string; entry_json: string }>(
      "SELECT j.id, j.entry_json FROM sys_journal j JOIN sys_invocation i ON j.id = i.id WHERE i.target_service_name = 'telegram_router' AND i.target_handler_name = 'press' AND j.entry_type IN ('Command: Run', 'Notification: Run') ORDER BY j.id, j.index",
    );
    const runs = new Map<string, number>();
    const results: boolean[] = [];
    for (const row of rows) {
      const entry = JSON.parse(row.entry_json) as {
        Command?: { Run?: { completion_id: number; name: string } };
        Notification?: {
          Completion?: {
            Run?: { completion_id: number; result: { Success?: number[] } };
          };
        };
      };
      const command = entry.Command?.Run;
      if (command?.name === "remove the keyboard at once")
        runs.set(row.id, command.completion_id);
      const done = entry.Notification?.Completion?.Run;
      if (done && runs.get(row.id) === done.completion_id)
        results.push(
          JSON.parse(Buffer.from(done.result.Success ?? []).toString()) ===
            true,
        );
    }
    return results;
  }

  /** Parks `n` runs, each in a chat of its own, and resolves with their chats and button messages. */
  async function park(n: number) {
    const first = runs;
    runs += n;
    const chats = Array.from(
      { length: n },
      (_, i) =>
        sandbox.telegram.createChat({
          type: "supergroup",
          title: `c${first + i}`,
        }).id,
    );
    await Promise.all(
      chats.map((chat, i) =>
        restate.ingress.send(
          {
            service: "telegram_go_button",
            handler: "run",
            key: `c${first + i}`,
          },
          { conf: { chat_id: String(chat), timeout: "1h" } },
        ),
      ),
    );
    await eventually(
      "every run to wait for its press",
      async () =>
        (await count(
          "target_service_name = 'telegram_router' AND target_handler_name = 'watch' AND status = 'completed'",
        )) >= runs,
      60_000,
    );
    return Promise.all(
      chats.map(async (chat) => {
        const message = (await chatMessages(chat)).find((m) => m.reply_markup);
        if (!message) throw new Error(`chat ${chat} has no button`);
        return { chat, message_id: message.message_id };
      }),
    );
  }

  /** Presses each button once and waits until every run ended and every keyboard is gone. */
  async function pressAll(buttons: { chat: number; message_id: number }[]) {
    const ids = await Promise.all(
      buttons.map(async ({ chat, message_id }, i) => {
        const res = await fetch(
          `${sandbox.info.telegram.api_root}/_emulator/press`,
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({
              chat_id: chat,
              message_id,
              from: { id: 90_000 + runs * 10 + i, first_name: "P" },
            }),
          },
        );
        return ((await res.json()) as { callback_query_id: string })
          .callback_query_id;
      }),
    );
    await eventually(
      "every pressed run to end",
      async () =>
        (await count(
          "target_service_name = 'telegram_go_button' AND status = 'completed'",
        )) >= runs,
      60_000,
    );
    await eventually(
      "every pressed button's keyboard to be removed",
      async () => {
        for (const { chat, message_id } of buttons) {
          const message = (await chatMessages(chat)).find(
            (m) => m.message_id === message_id,
          );
          if (message?.reply_markup) return false;
        }
        return true;
      },
      30_000,
    );
    // Each press answered once, and told it was taken.
    const answers = sandbox.telegram
      .calls(botId, "answerCallbackQuery")
      .filter((c) => ids.includes(String(c.params.callback_query_id)));
    expect(answers.map((c) => c.params.text)).toEqual(
      ids.map(() => "Поехали!"),
    );
  }

  it("takes a press in one router invocation: the keyboard goes within it, not in a call of its own", async () => {
    const buttons = await park(3);
    await pressAll(buttons);
    const router = await query<{ handler: string; n: number }>(
      "SELECT target_handler_name AS handler, count(*) AS n FROM sys_invocation WHERE target_service_name = 'telegram_router' GROUP BY target_handler_name",
    );
    const byHandler = Object.fromEntries(
      router.map((r) => [r.handler, Number(r.n)]),
    );
    // On a loaded box a try can outlast its 1.5 s: that press hands its keyboard to `removeKeyboard`, as it should.
    const tries = await keyboardTries();
    expect(tries).toHaveLength(3);
    const handedOn = tries.filter((removed) => !removed).length;
    // main: press 3, removeKeyboard 3 (a second invocation per press).
    expect(byHandler).toEqual({
      watch: 3,
      press: 3,
      ...(handedOn > 0 ? { removeKeyboard: handedOn } : {}),
    });
    // main: 13 a press (and 4 more in its removeKeyboard). The same 13 here: up to its answer a press's journal is
    // main's (`done` is read again in settle), so a press journaled by main replays on this code; only its tail
    // differs, the try (a run and its result) instead of the one-way send, which follows only a failed try (a command
    // and the notification of its invocation's id).
    expect(await pressEntries()).toBe(3 * 13 + 2 * handedOn);
  }, 120_000);

  it("resumes a parked run on a press by replaying 20 journal entries, and ends it in 12 more", async () => {
    const [button] = await park(1);
    const run = `c${runs - 1}`;
    const entries = async () => {
      const rows = await query<{ status: string; n: number }>(
        `SELECT i.status AS status, count(j.index) AS n FROM sys_invocation i LEFT JOIN sys_journal j ON j.id = i.id WHERE i.target_service_name = 'telegram_go_button' AND i.target_service_key = '${run}' AND i.target_handler_name = 'run' GROUP BY i.status`,
      );
      return rows[0] ? { status: rows[0].status, n: Number(rows[0].n) } : null;
    };
    await eventually(
      "the run to suspend while it waits for its press",
      async () => (await entries())?.status === "suspended",
      60_000,
    );
    // What Restate replays to the worker when the press wakes the run. main: 28 (the run's record and its task
    // instances written in full at every change, ten times each); journal version 2 writes each once per wait,
    // step or message.
    expect((await entries())?.n).toBe(20);
    await pressAll([button!]);
    // main: 19 (the same writes, and a clock read for the run's end).
    expect((await entries())?.n).toBe(20 + 12);
    // Without that clock read the run ends when its last task did.
    const status = await restate.ingress.call<DagRunStatus>({
      service: "telegram_go_button",
      handler: "status",
      key: run,
    });
    const ends = status.task_instances.map((ti) => Date.parse(ti.end_date!));
    expect(Date.parse(status.dag_run.end_date!)).toBe(Math.max(...ends));
  }, 120_000);

  it("hands the keyboard to a durable retry when Telegram does not drop it at once", async () => {
    const buttons = await park(1);
    const removals = () =>
      count(
        "target_service_name = 'telegram_router' AND target_handler_name = 'removeKeyboard'",
      );
    const removalsBefore = await removals();
    const entriesBefore = await pressEntries();
    const handedOn = async () =>
      (await keyboardTries()).filter((removed) => !removed).length;
    const handedOnBefore = await handedOn();
    // Flood control: the try hands on at the first 429 (auto-retry would have held the key 5 s to wait it out).
    sandbox.telegram.injectFault(botId, {
      method: "editMessageReplyMarkup",
      error_code: 429,
      retry_after: 5,
    });
    await pressAll(buttons);
    expect(await removals()).toBe(removalsBefore + 1);
    expect(await handedOn()).toBe(handedOnBefore + 1);
    // The failed try's press: main's 13 entries, then the one-way send (2).
    expect((await pressEntries()) - entriesBefore).toBe(15);
  }, 120_000);
});
