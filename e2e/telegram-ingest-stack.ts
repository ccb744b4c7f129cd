import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { TelegramEmulator } from "@poekhali/emulators";
import {
  MESSAGES_NAME,
  TelegramHook,
  pollLease,
  updateRelay,
  telegramRouter,
  type MessageEvent,
} from "@poekhali/telegram";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";

/** A stand-in for the text-message sensor's object: it keeps every message event it is handed. */
export const messageRecorder = restate.object({
  name: MESSAGES_NAME,
  handlers: {
    message: async (
      ctx: restate.ObjectContext,
      event: MessageEvent,
    ): Promise<void> => {
      ctx.set("seen", [
        ...((await ctx.get<MessageEvent[]>("seen")) ?? []),
        event,
      ]);
    },
    seen: restate.handlers.object.shared(
      async (ctx: restate.ObjectSharedContext): Promise<MessageEvent[]> =>
        (await ctx.get<MessageEvent[]>("seen")) ?? [],
    ),
  },
});

/**
 * A restate-server, a Telegram emulator with one bot and a group, and an endpoint serving the router and the poll
 * lease (and, once `deployMessages` is called, the message recorder and the update relay) — everything an ingester
 * talks to.
 */
export async function startIngestStack() {
  const restateServer = await startTemporaryRestate("poekhali-ingest-");
  const { server, ingress } = restateServer;
  const telegram = await TelegramEmulator.start();
  const bot = telegram.createBot({ username: "ingest_bot" });
  const chat = telegram.createChat({ type: "supergroup", title: "ingest" });
  const user = telegram.createUser({ username: "anna", firstName: "Анна" });
  const hook = new TelegramHook({
    token: bot.token,
    apiRoot: telegram.apiRoot,
  });
  const router = telegramRouter({ hookFor: () => hook });
  // No relay yet: it is deployed with all of its consumers (as the worker serves them), here by `deployMessages`.
  await restateServer.deploy([router, pollLease]);
  const control = async <T>(
    path: string,
    init?: { method: string; body?: unknown },
  ): Promise<T> => {
    const res = await fetch(`${telegram.apiRoot}/_emulator${path}`, {
      method: init?.method ?? "GET",
      ...(init?.body === undefined
        ? {}
        : {
            headers: { "content-type": "application/json" },
            body: JSON.stringify(init.body),
          }),
    });
    return ((await res.json()) as { result: T }).result;
  };
  return {
    server,
    telegram,
    /** The hook the router answers presses through (a poller given it shares what it answered, as in a worker). */
    hook,
    bot,
    chat,
    user,
    ingress,
    /** Serves the message recorder in a second deployment, as when the text-message sensor ships. */
    async deployMessages() {
      await restateServer.deploy([
        router,
        pollLease,
        updateRelay({ hookFor: () => hook }),
        messageRecorder,
      ]);
    },
    /** Serves more services in a deployment of their own (a consumer deployed later, a test's own service). */
    async deploy(services: Parameters<typeof restateServer.deploy>[0]) {
      await restateServer.deploy(services);
    },
    /** A user's message in the group, queued as a `message` update; resolves with its update id. */
    post(text: string): number {
      const posted = telegram.postUserMessage({
        chatId: chat.id,
        fromId: user.id,
        text,
        botId: bot.id,
      });
      const id = posted.updates[0]?.update_id;
      if (id === undefined || id === null)
        throw new Error("the emulator queued no update for the bot");
      return id;
    },
    /** The message events the recorder has for the group. */
    seen: () =>
      ingress.call<MessageEvent[]>({
        service: MESSAGES_NAME,
        handler: "seen",
        key: `${bot.id}:${chat.id}`,
      }),
    /** A press of a message's button by user `userId`, as Telegram queues it for the bot. */
    async press(
      messageId: number,
      userId: number,
      firstName = "P",
    ): Promise<{ callback_query_id: string; update_id: number }> {
      const res = await fetch(`${telegram.apiRoot}/_emulator/press`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          chat_id: chat.id,
          message_id: messageId,
          from: { id: userId, first_name: firstName },
        }),
      });
      return (await res.json()) as {
        callback_query_id: string;
        update_id: number;
      };
    },
    /** How many updates wait unconfirmed at Telegram. */
    pending: async () =>
      (await control<{ pending_update_count: number }>(`/bots/${bot.id}`))
        .pending_update_count,
    /** Holds the bot's next call of `method` for `delayMs` before answering it normally. */
    hold: (method: string, delayMs: number) =>
      control(`/bots/${bot.id}/faults`, {
        method: "POST",
        body: { method, delay_ms: delayMs },
      }),
    /** Faults not yet picked up by a call. */
    faults: () => control<unknown[]>(`/bots/${bot.id}/faults`),
    async stop() {
      await telegram.close();
      await restateServer.stop();
    },
  };
}

/** A stack of {@link startIngestStack}. */
export type IngestStack = Awaited<ReturnType<typeof startIngestStack>>;
