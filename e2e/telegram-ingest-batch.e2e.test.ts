import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { RestateIngress } from "@poekhali/core";
import { TelegramHook, UpdatePoller } from "@poekhali/telegram";
import { eventually } from "./harness.js";
import { startSlowIngress } from "./slow-ingress.js";
import { startIngestStack, type IngestStack } from "./telegram-ingest-stack.js";

// The poller against a Restate that answers slowly (a loaded server, a distant one): a proxy holds each request
// before it reaches restate-server. One update at a time, a burst outlives Telegram's 15 s answer window.
describe("the update poller under a slow Restate", () => {
  let stack: IngestStack;
  const lines: string[] = [];
  const running: UpdatePoller[] = [];
  const closers: (() => Promise<void>)[] = [];

  function poller(
    name: string,
    ingressUrl: string,
    options: { leaseMs?: number } = {},
  ): UpdatePoller {
    const { token } = stack.bot;
    const p = new UpdatePoller({
      hook: new TelegramHook({ token, apiRoot: stack.telegram.apiRoot }),
      ingress: new RestateIngress(ingressUrl),
      workerId: name,
      leaseMs: options.leaseMs ?? 3_000,
      timeoutSeconds: 1,
      allowedUpdates: ["callback_query", "message"],
      log: (line) => lines.push(`${name}: ${line}`),
    });
    running.push(p);
    p.start();
    return p;
  }
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
    for (const p of running.splice(0)) await p.stop();
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
      sent.map(async (m, i) => {
        const res = await fetch(`${stack.telegram.apiRoot}/_emulator/press`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            chat_id: stack.chat.id,
            message_id: m.message_id,
            from: { id: 8_000_000 + i, first_name: "P" },
          }),
        });
        return ((await res.json()) as { callback_query_id: string })
          .callback_query_id;
      }),
    );
    poller("burst", slow.url);
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
        // The first hand-over of chat 2's 6th message is refused: the updates after it must wait, and come again.
        if (
          !refusedOnce &&
          path.includes("/message/") &&
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
    await first.stop();
    running.splice(running.indexOf(first), 1);
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

  it("keeps its lease when every renewal takes 2.2 s of a 6 s lease", async () => {
    const slow = await startSlowIngress(
      stack.server.ingressUrl,
      ({ path }) => ({
        delayMs: path.includes("telegram_poll_lease") ? 2_200 : 0,
      }),
    );
    closers.push(() => slow.close());
    const p = poller("slow-lease", slow.url, { leaseMs: 6_000 });
    await eventually("the poller to hold the lease", () => p.polling, 10_000);
    const since = lines.length;
    // Four renewals' worth: a renewal asked a third of the lease after a slow answer lands after the lease ran out.
    const until = Date.now() + 12_000;
    while (Date.now() < until) {
      expect(lines.slice(since).join("\n")).not.toContain("stopped polling");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(p.polling).toBe(true);
  }, 60_000);
});
