import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import * as restate from "@restatedev/restate-sdk";
import {
  ROUTER_NAME,
  TelegramHook,
  UpdatePoller,
  buttonKey,
  buttonRef,
  callbackData,
  hitlCallbackData,
  telegramHitl,
  type ButtonPress,
  type TelegramRouter,
} from "@poekhali/telegram";
import { eventually, throughout } from "./harness.js";
import { pollerFleet } from "./poller-fleet.js";
import { startSlowIngress } from "./slow-ingress.js";
import { startIngestStack, type IngestStack } from "./telegram-ingest-stack.js";

const Router: TelegramRouter = { name: ROUTER_NAME };

/** A run's stand-in: parks on a button's router as the button-press sensor does, and answers with the press taken. */
const buttonWatcher = restate.service({
  name: "test_button_watcher",
  handlers: {
    wait: async (
      ctx: restate.Context,
      input: { key: string; message_id: number },
    ): Promise<ButtonPress> => {
      const { id, promise } = ctx.awakeable<ButtonPress>();
      ctx.objectSendClient(Router, input.key).watch({
        message_id: input.message_id,
        trigger_id: id,
        allowed_usernames: null,
        answer_text: "Поехали!",
      });
      return promise;
    },
  },
});

// The poller against a Restate that answers slowly (a loaded server, a distant one): a proxy holds each request
// before it reaches restate-server. One update at a time, a burst outlives Telegram's 15 s answer window.
describe("the update poller under a slow Restate", () => {
  let stack: IngestStack;
  const closers: (() => Promise<void>)[] = [];
  const fleet = pollerFleet(() => ({
    token: stack.bot.token,
    apiRoot: stack.telegram.apiRoot,
  }));
  const { lines } = fleet;
  const poller = (
    name: string,
    ingressUrl: string,
    options: { leaseMs?: number } = {},
  ) =>
    fleet.start(name, ingressUrl, {
      ...options,
      allowedUpdates: ["callback_query", "message"],
      // These tests are about the hand-over: the routers' answers alone (late answers have tests of their own).
      lateAnswers: false,
    });
  /** The bot's answer to a callback query, or null while it has none (a late answer is refused, so stays none). */
  const answerOf = async (id: string): Promise<{ text?: string } | null> => {
    const res = await fetch(
      `${stack.telegram.apiRoot}/_emulator/callback_answers/${id}`,
    );
    return ((await res.json()) as { result: { text?: string } | null }).result;
  };

  beforeAll(async () => {
    stack = await startIngestStack();
    await stack.deployMessages();
  });
  afterEach(async () => {
    await fleet.stopAll();
    for (const close of closers.splice(0)) await close();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it("answers a burst of 100 presses within Telegram's 15 s although each hand-over takes 200 ms", async () => {
    const slow = await startSlowIngress(stack.server.ingressUrl, () => ({
      delayMs: 200,
    }));
    closers.push(() => slow.close());
    const hook = new TelegramHook({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    // Buttons that are not a run's: the router answers each press at once, so the hand-over is all that is timed.
    const sent = [];
    for (let i = 0; i < 100; i++)
      sent.push(
        await hook.sendMessage({
          chatId: String(stack.chat.id),
          text: `button ${i}`,
          replyMarkup: {
            inline_keyboard: [[{ text: "press", callback_data: "other" }]],
          },
        }),
      );
    const presses = await Promise.all(
      sent.map(
        async (m, i) =>
          (await stack.press(m.message_id, 8_000_000 + i)).callback_query_id,
      ),
    );
    // Without late answers: this test times the hand-over, which must answer the burst by itself.
    fleet.start("burst", slow.url, {
      allowedUpdates: ["callback_query", "message"],
      lateAnswers: false,
    });
    // The emulator refuses an answer after 15 s, as Telegram does: a press answered late stays unanswered.
    const unanswered = async () => {
      const answers = await Promise.all(presses.map((id) => answerOf(id)));
      return answers.filter((a) => a === null).length;
    };
    await eventually(
      "every press to be answered",
      async () => (await unanswered()) === 0,
      20_000,
    );
    expect(await unanswered()).toBe(0);
  }, 60_000);

  it("counts a backlog's late answers from when the poller last caught up, not from when each batch reached it", async () => {
    // Each batch's relay takes 3 s: 300 presses waiting at Telegram reach the poller in three batches, 3 s apart.
    const slow = await startSlowIngress(stack.server.ingressUrl, ({ path }) =>
      path.includes("telegram_updates") ? { delayMs: 3_000 } : {},
    );
    closers.push(() => slow.close());
    const hook = new TelegramHook({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    const message = await hook.sendMessage({
      chatId: String(stack.chat.id),
      text: "backlog",
      replyMarkup: {
        inline_keyboard: [[{ text: "press", callback_data: "other" }]],
      },
    });
    const presses: { id: string; update: number }[] = [];
    for (let i = 0; i < 300; i++) {
      const body = await stack.press(message.message_id, 8_100_000 + i);
      presses.push({ id: body.callback_query_id, update: body.update_id });
    }
    const callsBefore = stack.telegram.calls(stack.bot.id).length;
    // Late answers 5 s after a press can have been made. The poller has its own hook, so each press's late answer
    // is sent (and refused when the router answered first): the calls' times show when each fell due.
    fleet.start("backlog", slow.url, {
      allowedUpdates: ["callback_query", "message"],
      lateAnswers: { afterMs: 5_000 },
    });
    const lastBatch = new Set(presses.slice(200).map((p) => p.id));
    const calls = () => stack.telegram.calls(stack.bot.id).slice(callsBefore);
    const late = await eventually(
      "the last batch's late answers",
      () => {
        const sent = calls().filter(
          (c) =>
            c.method === "answerCallbackQuery" &&
            c.params.text === "Нажатие получено" &&
            lastBatch.has(String(c.params.callback_query_id)),
        );
        return sent.length === 100 ? sent : undefined;
      },
      40_000,
    );
    const polls = calls().filter((c) => c.method === "getUpdates");
    const firstPoll = polls[0]!.time;
    const thirdPoll = polls.find(
      (c) => Number(c.params.offset) === presses[200]!.update,
    )!.time;
    // Two relays of 3 s came between the first poll and the one that fetched the last batch.
    expect(thirdPoll - firstPoll).toBeGreaterThanOrEqual(6_000);
    // Counted from the backlog's start (the first poll), they fell due ≥ 1 s before the last batch was even
    // fetched; counted from its arrival, they would have come ≥ 5 s after it. The bound leaves 5 s for a loaded box.
    for (const call of late) {
      expect(call.time).toBeGreaterThanOrEqual(firstPoll + 5_000);
      expect(call.time).toBeLessThan(thirdPoll + 4_000);
    }
  }, 90_000);

  it("gives a press held for its run a late answer, and the router, answering in the same worker, makes no call Telegram would refuse", async () => {
    const chat = String(stack.chat.id);
    const nonce = `late-${Date.now()}`;
    const button = await stack.hook.sendMessage({
      chatId: chat,
      text: "late button",
      replyMarkup: {
        inline_keyboard: [[{ text: "go", callback_data: callbackData(nonce) }]],
      },
    });
    const { callback_query_id: id } = await stack.press(
      button.message_id,
      8_500_001,
    );
    // The poller shares the router's hook, as in a worker; its late answer falls due at once.
    const late = new UpdatePoller({
      hook: stack.hook,
      ingress: stack.ingress,
      workerId: "late-shared",
      leaseMs: 3_000,
      timeoutSeconds: 1,
      allowedUpdates: ["callback_query", "message"],
      lateAnswers: { afterMs: 0 },
    });
    late.start();
    closers.push(() => late.stop());
    expect(
      (
        await eventually(
          "the press's late answer",
          async () => (await answerOf(id)) ?? undefined,
        )
      ).text,
    ).toBe("Нажатие получено");
    // No run watches the button yet: the router holds the press. Now one parks, and the router takes it.
    await stack.deploy([buttonWatcher]);
    const taken = await stack.ingress.call<ButtonPress>(
      { service: "test_button_watcher", handler: "wait" },
      {
        key: buttonKey(stack.bot.id, chat, buttonRef(nonce)),
        message_id: button.message_id,
      },
    );
    expect(taken.user_id).toBe(8_500_001);
    // The router's «Поехали!» was not sent: Telegram had the late answer already, and would have refused it.
    const calls = stack.telegram
      .calls(stack.bot.id, "answerCallbackQuery")
      .filter((c) => c.params.callback_query_id === id);
    expect(calls.map((c) => c.ok)).toEqual([true]);
    expect((await answerOf(id))?.text).toBe("Нажатие получено");
  });

  it("keeps each chat's messages in order and hands each over once, across a refused hand-over and a poller restart", async () => {
    const chats = [0, 1, 2, 3].map(
      (i) =>
        stack.telegram.createChat({ type: "supergroup", title: `order ${i}` })
          .id,
    );
    // Each request held 0-40 ms at random: concurrent hand-overs of one chat would overtake each other.
    let refusedOnce = false;
    const slow = await startSlowIngress(
      stack.server.ingressUrl,
      ({ path, body }) => {
        // The first hand-over of chat 2's 6th message (the batch that holds it) is refused: the updates after it
        // must wait, and come again.
        if (
          !refusedOnce &&
          !path.includes("telegram_poll_lease") &&
          body.includes('"text":"2:5"')
        ) {
          refusedOnce = true;
          return { refuse: true };
        }
        return { delayMs: Math.floor(Math.random() * 40) };
      },
    );
    closers.push(() => slow.close());
    const texts = Array.from({ length: 15 }, (_, n) =>
      chats.map((_, c) => `${c}:${n}`),
    ).flat();
    for (const text of texts) {
      const chat = chats[Number(text.split(":")[0])]!;
      stack.telegram.postUserMessage({
        chatId: chat,
        fromId: stack.user.id,
        text,
        botId: stack.bot.id,
      });
    }
    const first = poller("first", slow.url);
    await eventually("the refused hand-over to be reported", () =>
      lines.some((l) => l.startsWith("first: Restate did not accept update")),
    );
    // A new poller takes over where the first stopped (the first gives its lease up).
    await fleet.stop(first);
    poller("second", slow.url);
    const seen = (chat: number) =>
      stack.ingress.call<{ text: string | null }[]>({
        service: "telegram_messages",
        handler: "seen",
        key: `${stack.bot.id}:${chat}`,
      });
    await eventually(
      "every message to be handed over",
      async () =>
        (await Promise.all(chats.map(seen))).every((s) => s.length >= 15),
      30_000,
    );
    await eventually("Telegram to have no update left", async () =>
      (await stack.pending()) === 0 ? true : undefined,
    );
    expect(refusedOnce).toBe(true);
    for (const [c, chat] of chats.entries())
      expect((await seen(chat)).map((e) => e.text)).toEqual(
        Array.from({ length: 15 }, (_, n) => `${c}:${n}`),
      );
  }, 60_000);

  /** A poller whose lease calls are each answered `delayMs` late keeps its 6 s lease (and polls) for 12 s. */
  const keepsLeaseWhenRenewalsTake = async (name: string, delayMs: number) => {
    const slow = await startSlowIngress(
      stack.server.ingressUrl,
      ({ path }) => ({
        delayMs: path.includes("telegram_poll_lease") ? delayMs : 0,
      }),
    );
    closers.push(() => slow.close());
    const p = poller(name, slow.url, { leaseMs: 6_000 });
    await eventually("the poller to hold the lease", () => p.polling, 15_000);
    const since = lines.length;
    await throughout(
      12_000,
      () => {
        expect(lines.slice(since).join("\n")).not.toContain("stopped polling");
      },
      250,
    );
    expect(p.polling).toBe(true);
  };

  // Four renewals' worth: a renewal asked a third of the lease after a slow answer lands after the lease ran out.
  it(
    "keeps its lease when every renewal takes 2.2 s of a 6 s lease",
    () => keepsLeaseWhenRenewalsTake("slow-lease", 2_200),
    60_000,
  );

  // A renewal asked only once the last was answered is answered 7 s after the last grant: past the lease.
  it(
    "keeps its lease when each renewal is answered later than the next one is due (3.5 s of a 6 s lease)",
    () => keepsLeaseWhenRenewalsTake("late-renewals", 3_500),
    60_000,
  );

  it("drops the hand-overs still in flight when it loses its lease", async () => {
    let leaseAsks = 0;
    // The first ask for the lease goes through, every later one is held past the lease; the press's hand-over (a
    // lone update goes through the relay too) is held for a minute, so it is still in flight when the lease runs out.
    const slow = await startSlowIngress(stack.server.ingressUrl, ({ path }) => {
      if (path.includes("telegram_poll_lease/"))
        return {
          delayMs: path.includes("/ask/") && leaseAsks++ > 0 ? 60_000 : 0,
        };
      return { delayMs: path.includes("/handOver/") ? 60_000 : 0 };
    });
    closers.push(() => slow.close());
    const hook = new TelegramHook({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    const sent = await hook.sendMessage({
      chatId: String(stack.chat.id),
      text: "held press",
      replyMarkup: {
        inline_keyboard: [[{ text: "press", callback_data: "other" }]],
      },
    });
    await stack.press(sent.message_id, 8_100_000);
    const since = lines.length;
    poller("loses-lease", slow.url, { leaseMs: 3_000 });
    await eventually(
      "the lease to run out",
      () =>
        lines.slice(since).some((l) => l.includes("stopped polling")) ||
        undefined,
      15_000,
    );
    await eventually(
      "the press's hand-over in flight to be dropped",
      () => slow.abandoned.some((path) => path.includes("/handOver/")),
      5_000,
    );
    expect(slow.abandoned.some((path) => path.includes("/handOver/"))).toBe(
      true,
    );
  }, 60_000);

  /** Posts `count` messages with a button no run waits for (the router answers each press at once), and presses each. */
  async function pressOtherButtons(count: number, from: number) {
    const hook = new TelegramHook({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const m = await hook.sendMessage({
        chatId: String(stack.chat.id),
        text: `button ${from + i}`,
        replyMarkup: {
          inline_keyboard: [[{ text: "press", callback_data: "other" }]],
        },
      });
      ids.push((await stack.press(m.message_id, from + i)).callback_query_id);
    }
    return ids;
  }

  it("hands a poll's batch of presses to Restate in one request, and each reaches its router", async () => {
    const paths: string[] = [];
    const slow = await startSlowIngress(stack.server.ingressUrl, ({ path }) => {
      if (!isLeaseAsk(path)) paths.push(path);
      return {};
    });
    closers.push(() => slow.close());
    const presses = await pressOtherButtons(20, 8_200_000);
    poller("relay", slow.url);
    await eventually(
      "every press to be answered",
      async () =>
        (await Promise.all(presses.map((id) => answerOf(id)))).every(
          (a) => a !== null,
        ),
      20_000,
    );
    expect(paths).toEqual([`/telegram_updates/${stack.bot.id}/handOver/send`]);
  }, 60_000);

  it("hands a lone press through the bot's relay too, so it cannot overtake the batch before it", async () => {
    const paths: string[] = [];
    const slow = await startSlowIngress(stack.server.ingressUrl, ({ path }) => {
      if (!isLeaseAsk(path)) paths.push(path);
      return {};
    });
    closers.push(() => slow.close());
    const [press] = await pressOtherButtons(1, 8_250_000);
    poller("lone", slow.url);
    await eventually(
      "the press to be answered",
      async () => (await answerOf(press!)) !== null,
      20_000,
    );
    expect(paths).toEqual([`/telegram_updates/${stack.bot.id}/handOver/send`]);
  }, 60_000);

  it("hands updates over one by one, and says so once, while Restate does not know the relay", async () => {
    const paths: string[] = [];
    const slow = await startSlowIngress(stack.server.ingressUrl, ({ path }) => {
      if (isLeaseAsk(path)) return {};
      paths.push(path);
      return path.startsWith("/telegram_updates/")
        ? { refuse: true, status: 404 }
        : {};
    });
    closers.push(() => slow.close());
    const presses = await pressOtherButtons(3, 8_300_000);
    const since = lines.length;
    poller("no-relay", slow.url);
    await eventually(
      "every press to be answered",
      async () =>
        (await Promise.all(presses.map((id) => answerOf(id)))).every(
          (a) => a !== null,
        ),
      20_000,
    );
    expect(paths.filter((p) => p.startsWith("/telegram_router/"))).toHaveLength(
      3,
    );
    expect(
      lines
        .slice(since)
        .filter((l) => l.includes("does not know telegram_updates")),
    ).toHaveLength(1);
  }, 60_000);

  it("keeps a chat's messages in Telegram's order across many requests: a lone update never overtakes the batch before it", async () => {
    const chat = stack.telegram.createChat({
      type: "supergroup",
      title: "across requests",
    }).id;
    const filler = stack.telegram.createChat({
      type: "supergroup",
      title: "filler",
    }).id;
    const post = (chatId: number, text: string) =>
      stack.telegram.postUserMessage({
        chatId,
        fromId: stack.user.id,
        text,
        botId: stack.bot.id,
      });
    const ROUNDS = 12;
    // An even round is a batch of 40 other messages with the chat's message last (the relay's slowest send); an odd
    // round is the chat's next message alone. Each round is posted while the previous round's hand-over is held at
    // the proxy, so each comes back in a getUpdates response of its own and goes to Restate in a request of its own.
    const postRound = (round: number) => {
      if (round % 2 === 0)
        for (let i = 0; i < 40; i++) post(filler, `f:${round}:${i}`);
      post(chat, `x:${round}`);
    };
    const posted = new Set<number>([0]);
    const requests: number[] = [];
    const slow = await startSlowIngress(
      stack.server.ingressUrl,
      ({ path, body }) => {
        if (path.includes("telegram_poll_lease")) return {};
        const round = /"text":"x:(\d+)"/.exec(body)?.[1];
        if (round === undefined) return {};
        requests.push(Number(round));
        const next = Number(round) + 1;
        if (next < ROUNDS && !posted.has(next)) {
          posted.add(next);
          postRound(next);
        }
        return { delayMs: 150 };
      },
    );
    closers.push(() => slow.close());
    postRound(0);
    poller("rounds", slow.url);
    const seen = () =>
      stack.ingress.call<{ text: string | null }[]>({
        service: "telegram_messages",
        handler: "seen",
        key: `${stack.bot.id}:${chat}`,
      });
    await eventually(
      "every round's message to be handed over",
      async () => (await seen()).length >= ROUNDS,
      40_000,
    );
    // Every round went to Restate in a request of its own.
    expect(new Set(requests).size).toBe(ROUNDS);
    expect((await seen()).map((e) => e.text)).toEqual(
      Array.from({ length: ROUNDS }, (_, r) => `x:${r}`),
    );
  }, 90_000);

  it("takes the first press on one button and tells later ones it was taken, although the batch before them cannot be relayed yet", async () => {
    const hook = new TelegramHook({
      token: stack.bot.token,
      apiRoot: stack.telegram.apiRoot,
    });
    const chat = String(stack.chat.id);
    const nonce = `order-${Date.now()}`;
    const button = await hook.sendMessage({
      chatId: chat,
      text: "one button",
      replyMarkup: {
        inline_keyboard: [[{ text: "go", callback_data: callbackData(nonce) }]],
      },
    });
    // A HITL request's button: its consumer, telegram_hitl, is not deployed yet, so the relay cannot finish the
    // batch that holds its press (RT0018, retried) until it is.
    const request = await hook.sendMessage({
      chatId: chat,
      text: "a request",
      replyMarkup: {
        inline_keyboard: [
          [{ text: "yes", callback_data: hitlCallbackData("orderreq", 0) }],
        ],
      },
    });
    const press = async (messageId: number, userId: number) =>
      (await stack.press(messageId, userId, `U${userId}`)).callback_query_id;
    await stack.deploy([buttonWatcher]);
    const key = buttonKey(stack.bot.id, chat, buttonRef(nonce));
    // The run's stand-in parks on the button, as the button-press sensor does, and answers with the press it took.
    const taken = stack.ingress.call<ButtonPress>(
      { service: "test_button_watcher", handler: "wait" },
      { key, message_id: button.message_id },
    );
    await eventually("the watch to be registered", async () => {
      const rows = await stack.server.query<{ n: number }>(
        `SELECT count(*) AS n FROM state WHERE service_name = '${ROUTER_NAME}' AND service_key = '${key}' AND key = 'watch'`,
      );
      return (rows[0]?.n ?? 0) > 0 || undefined;
    });
    // The first batch: the request's press, then the first press on the button.
    await press(request.message_id, 8_400_000);
    const first = await press(button.message_id, 8_400_001);
    poller("one-button", stack.server.ingressUrl);
    // Handed over, the poller waits for more: the later presses come in a batch (a request) of their own.
    await stack.telegram.whenPolling(stack.bot.id);
    const later = [
      await press(button.message_id, 8_400_002),
      await press(button.message_id, 8_400_003),
    ];
    await eventually("Telegram to have no update left", async () =>
      (await stack.pending()) === 0 ? true : undefined,
    );
    // Restate has both batches, and the first cannot be relayed yet: its press is not answered.
    expect(await answerOf(first)).toBeNull();
    // Now the relay can finish the first batch: the later one must have waited behind it.
    await stack.deploy([telegramHitl({ hookFor: () => hook })]);
    expect((await taken).user_id).toBe(8_400_001);
    await eventually(
      "every press on the button to be answered",
      async () =>
        (await Promise.all([first, ...later].map(answerOf))).every(
          (a) => a !== null,
        ) || undefined,
      20_000,
    );
    expect((await answerOf(first))?.text).toBe("Поехали!");
    for (const id of later)
      expect((await answerOf(id))?.text).toBe("Уже нажали");
  }, 60_000);

  it("refuses a malformed batch at once, naming what is wrong", async () => {
    const target = {
      service: "telegram_updates",
      handler: "handOver",
      key: String(stack.bot.id),
    };
    await expect(
      stack.ingress.call(target, { updates: "everything" }),
    ).rejects.toThrow(/`updates` is not an array/);
    await expect(
      stack.ingress.call(target, {
        updates: [{ kind: "message", event: { bot_id: stack.bot.id } }],
      }),
    ).rejects.toThrow(/updates\[0\]\.event\.update_id is not an integer/);
  }, 60_000);

  it("sends on no forged event, so a forged batch with an upcoming update id does not take the real update's key", async () => {
    const chat = stack.telegram.createChat({
      type: "supergroup",
      title: "forged",
    }).id;
    // The real message waits at Telegram (no poller yet); a hostile batch with its update id comes first.
    const real = stack.telegram.postUserMessage({
      chatId: chat,
      fromId: stack.user.id,
      text: "the real one",
      botId: stack.bot.id,
    }).updates[0]!.update_id;
    const forged = (signature: string) => ({
      kind: "message",
      event: {
        bot_id: stack.bot.id,
        update_id: real,
        chat_id: String(chat),
        message_id: 1,
        text: "forged",
        from: { id: 1, first_name: "F" },
        received_at: new Date().toISOString(),
        signature,
      },
    });
    // Called, not sent: once it answers, the relay has journaled every send it makes.
    await stack.ingress.call(
      {
        service: "telegram_updates",
        handler: "handOver",
        key: String(stack.bot.id),
      },
      { updates: [forged(""), forged("AAAA")] },
    );
    poller("forged", stack.server.ingressUrl);
    const seen = () =>
      stack.ingress.call<{ text: string | null; update_id: number }[]>({
        service: "telegram_messages",
        handler: "seen",
        key: `${stack.bot.id}:${chat}`,
      });
    await eventually(
      "the real message to be handed over",
      async () => (await seen()).length > 0,
      20_000,
    );
    expect((await seen()).map((e) => e.text)).toEqual(["the real one"]);
  }, 60_000);
});

/** A request of the poll lease: an ask (sent to the lease object), or the wait for its answer (Restate's attach). */
function isLeaseAsk(path: string): boolean {
  return (
    path.includes("telegram_poll_lease") ||
    path.startsWith("/restate/invocation/")
  );
}
