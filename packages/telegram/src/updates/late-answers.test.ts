import { TelegramEmulator } from "@poekhali/emulators";
import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TelegramHook } from "../hooks/telegram-hook.js";
import type { IncomingUpdate } from "./hand-over.js";
import { LATE_ANSWER_TEXT, LateAnswers } from "./late-answers.js";

let emu: TelegramEmulator;
let bot: { id: number; token: string };
let hook: TelegramHook;
let chatId: number;
let messageId: number;
const stops: LateAnswers[] = [];

beforeEach(async () => {
  emu = await TelegramEmulator.start();
  bot = emu.createBot({ username: "late_bot" });
  chatId = emu.createChat({ type: "supergroup", title: "late" }).id;
  hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
  const sent = await new Api(bot.token, {
    apiRoot: emu.apiRoot,
  }).sendMessage(chatId, "Поехали?", {
    reply_markup: {
      inline_keyboard: [[{ text: "Поехали", callback_data: "go" }]],
    },
  });
  messageId = sent.message_id;
});

afterEach(async () => {
  for (const late of stops.splice(0)) late.stop();
  await emu.close();
});

function late(options: ConstructorParameters<typeof LateAnswers>[0]) {
  const answers = new LateAnswers(options);
  stops.push(answers);
  return answers;
}

/** Presses the button `count` times (user ids from 1) and polls the updates, as the ingester gets them. */
async function presses(count: number): Promise<IncomingUpdate[]> {
  for (let i = 1; i <= count; i++) {
    emu.createUser({ id: 90_000 + i, firstName: `U${i}` });
    const res = await fetch(`${emu.apiRoot}/_emulator/press`, {
      method: "POST",
      body: JSON.stringify({
        chat_id: chatId,
        message_id: messageId,
        from: { id: 90_000 + i },
      }),
    });
    expect(res.status).toBe(200);
  }
  const updates: IncomingUpdate[] = [];
  while (updates.length < count) {
    const next = await hook.getUpdates({
      offset: (updates.at(-1)?.update_id ?? -1) + 1,
      timeoutSeconds: 0,
      allowedUpdates: ["callback_query"],
    });
    updates.push(...next);
  }
  return updates;
}

const queryId = (update: IncomingUpdate | undefined) =>
  update?.callback_query?.id ?? "";
const answerCalls = (id: string) =>
  emu
    .calls(bot.id, "answerCallbackQuery")
    .filter((call) => call.params.callback_query_id === id);
const toast = async (id: string) => {
  const res = await fetch(`${emu.apiRoot}/_emulator/callback_answers/${id}`);
  const body = (await res.json()) as { result?: { text?: string } };
  return body.result?.text;
};

describe("LateAnswers", () => {
  it("answers a press nothing else answered with «Нажатие получено», once its delay is over", async () => {
    const [update] = await presses(1);
    const answers = late({ hook, afterMs: 400 });
    const watched = performance.now();
    answers.watch([update!]);
    expect(answers.counts).toEqual({
      shown: 0,
      refused: 0,
      failed: 0,
      expired: 0,
      waiting: 1,
    });
    await vi.waitFor(() => expect(answers.counts.shown).toBe(1), 10_000);
    expect(performance.now() - watched).toBeGreaterThanOrEqual(400);
    expect(await toast(queryId(update))).toBe(LATE_ANSWER_TEXT);
    expect(answers.counts).toEqual({
      shown: 1,
      refused: 0,
      failed: 0,
      expired: 0,
      waiting: 0,
    });
  });

  it("leaves a press answered first alone: Telegram keeps that answer, and one answered by this hook costs no call", async () => {
    const [elsewhere, here] = await presses(2);
    // Answered by another process (a second worker's router): the late answer is sent, and refused.
    await new Api(bot.token, { apiRoot: emu.apiRoot }).answerCallbackQuery(
      queryId(elsewhere),
      { text: "Поехали!" },
    );
    // Answered through this hook (the router in the worker that polls): the late answer is not even sent.
    await hook.answerCallbackQuery(queryId(here), "Уже нажали");
    const logs: string[] = [];
    const answers = late({ hook, afterMs: 0, log: (m) => logs.push(m) });
    answers.watch([elsewhere!, here!]);
    await vi.waitFor(() => expect(answers.counts.refused).toBe(2), 10_000);
    expect(await toast(queryId(elsewhere))).toBe("Поехали!");
    expect(await toast(queryId(here))).toBe("Уже нажали");
    expect(
      answerCalls(queryId(elsewhere)).map((c) => c.error_code ?? 200),
    ).toEqual([200, 400]);
    expect(answerCalls(queryId(here))).toHaveLength(1);
    expect(answers.counts).toEqual({
      shown: 0,
      refused: 2,
      failed: 0,
      expired: 0,
      waiting: 0,
    });
    expect(logs).toEqual([]);
  });

  it("makes a router's answer after it cost no call either: the press shows one toast", async () => {
    const [update] = await presses(1);
    const answers = late({ hook, afterMs: 0 });
    answers.watch([update!]);
    await vi.waitFor(() => expect(answers.counts.shown).toBe(1), 10_000);
    expect(hook.answeredLately(queryId(update))).toBe(true);
    expect(answerCalls(queryId(update))).toHaveLength(1);
  });

  it("answers a press polled twice (a lost lease, a retried batch) once", async () => {
    const updates = await presses(3);
    const answers = late({ hook, afterMs: 100 });
    answers.watch(updates);
    answers.watch(updates);
    answers.watch(updates.slice(1));
    await vi.waitFor(() => expect(answers.counts.shown).toBe(3), 10_000);
    for (const update of updates)
      expect(answerCalls(queryId(update))).toHaveLength(1);
    expect(answers.counts.waiting).toBe(0);
  });

  it("answers a burst of 300 presses, never more than 64 calls at once", async () => {
    const updates = await presses(300);
    let inFlight = 0;
    let most = 0;
    const counting = {
      answeredLately: (id: string) => hook.answeredLately(id),
      async answerCallbackQuery(id: string, text?: string) {
        most = Math.max(most, ++inFlight);
        try {
          return await hook.answerCallbackQuery(id, text);
        } finally {
          inFlight--;
        }
      },
    };
    const answers = late({ hook: counting, afterMs: 0 });
    answers.watch(updates);
    await vi.waitFor(() => expect(answers.counts.shown).toBe(300), 30_000);
    expect(most).toBe(64);
    expect(new Set(updates.map(queryId)).size).toBe(300);
  });

  it("counts a Telegram it cannot reach as failed and says so once, with no token in the line", async () => {
    const updates = await presses(3);
    const unreachable = new TelegramHook({
      token: bot.token,
      apiRoot: "http://127.0.0.1:9",
    });
    const logs: string[] = [];
    const answers = late({
      hook: unreachable,
      afterMs: 0,
      log: (m) => logs.push(m),
    });
    answers.watch(updates);
    await vi.waitFor(() => expect(answers.counts.failed).toBe(3), 20_000);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(
      /^could not give a press its late answer: could not reach Telegram/,
    );
    expect(logs.join("\n")).not.toContain(bot.token);
  });

  it("drops the answers still to come when stopped", async () => {
    const [first, second] = await presses(2);
    const stopped = late({ hook, afterMs: 200 });
    stopped.watch([first!]);
    stopped.stop();
    expect(stopped.counts.waiting).toBe(0);
    stopped.watch([second!]);
    expect(stopped.counts.waiting).toBe(0);
    // A second ingester's answer, due after the stopped one's would have been, comes: the stopped one sent nothing.
    const later = late({ hook, afterMs: 400 });
    later.watch([second!]);
    await vi.waitFor(() => expect(later.counts.shown).toBe(1), 10_000);
    expect(answerCalls(queryId(first))).toHaveLength(0);
  });

  it("counts from the earliest moment the presses can have been made: a backlog's come sooner", async () => {
    const [update] = await presses(1);
    const answers = late({ hook, afterMs: 60_000 });
    // Made up to 59.9 s before it reached the ingester (behind a backlog): due in a moment, not in a minute.
    answers.watch([update!], performance.now() - 59_900);
    await vi.waitFor(() => expect(answers.counts.shown).toBe(1), 10_000);
    expect(await toast(queryId(update))).toBe(LATE_ANSWER_TEXT);
  });

  it("sends no answer due after the press's window surely closed, and counts it expired", async () => {
    const [update] = await presses(1);
    let now = 1_000_000;
    const answers = late({ hook, afterMs: 1, now: () => now });
    // The timer fires in a moment; by then, on this clock, 15 s have passed since the press reached the ingester.
    answers.watch([update!]);
    now += 15_001;
    await vi.waitFor(() => expect(answers.counts.expired).toBe(1), 10_000);
    expect(answerCalls(queryId(update))).toHaveLength(0);
    expect(answers.counts).toEqual({
      shown: 0,
      refused: 0,
      failed: 0,
      expired: 1,
      waiting: 0,
    });
  });

  it("answers only presses on a message, which go to a consumer (not an inline message's, nor other updates)", () => {
    const answers = late({ hook, afterMs: 0 });
    answers.watch([
      {
        update_id: 1,
        callback_query: {
          id: "inline-1",
          from: { id: 1, first_name: "I" },
          data: "x",
        },
      },
      {
        update_id: 2,
        message: { message_id: 5, chat: { id: chatId }, text: "hi" },
      },
    ]);
    expect(answers.counts.waiting).toBe(0);
  });

  it("does not wait out a 429: the answer fails at once, counted, and the next ones go on", async () => {
    const [first, second] = await presses(2);
    emu.injectFault(bot.id, {
      method: "answerCallbackQuery",
      error_code: 429,
      retry_after: 30,
    });
    const logs: string[] = [];
    const answers = late({ hook, afterMs: 0, log: (m) => logs.push(m) });
    answers.watch([first!, second!]);
    await vi.waitFor(
      () => expect(answers.counts).toMatchObject({ shown: 1, failed: 1 }),
      5_000,
    );
    expect(logs[0]).toMatch(
      /could not give a press its late answer: Telegram refused answerCallbackQuery \(429/,
    );
  });

  it("refuses a delay that is not a whole number of milliseconds", () => {
    expect(() => new LateAnswers({ hook, afterMs: -1 })).toThrow(
      "afterMs must be a whole number of milliseconds ≥ 0, got -1",
    );
    expect(() => new LateAnswers({ hook, afterMs: Number.NaN })).toThrow(
      /got NaN/,
    );
  });
});
