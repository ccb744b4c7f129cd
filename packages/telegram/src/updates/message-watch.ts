import type { DeferTarget } from "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import {
  messageSigningText,
  MESSAGES_NAME,
  type MessageEvent,
  type SignedMessageEvent,
} from "./message-event.js";
import {
  matchRegExp,
  matchesMessage,
  type MessageMatch,
} from "./message-match.js";
import { signedByBot } from "./press-replies.js";

/**
 * A registration with the `telegram_messages` object of a chat: a text-message sensor's (an awakeable to resolve), or
 * a handler's that waits for a message between its own calls (a HITL form's reply: `deliver_to`).
 */
export type MessageWatch = {
  /** The awakeable to resolve with the first matching message; with `deliver_to`, only the watch's id. */
  readonly trigger_id: string;
  readonly match: MessageMatch;
  /** The sensor's timeout: the registration is dropped after it. Null: kept until a message matches. */
  readonly timeout_ms: number | null;
  /** The handler that gets the first matching message as a {@link WatchedMessage}, instead of an awakeable. */
  readonly deliver_to?: DeferTarget;
};

/** What a watch's `deliver_to` handler gets: which watch matched, and the message. */
export type WatchedMessage = {
  readonly trigger_id: string;
  readonly message: ReceivedMessage;
};

/** A message that woke a text-message sensor: the sensor's output. */
export type ReceivedMessage = {
  readonly chat_id: string;
  readonly message_id: number;
  readonly user_id: number;
  readonly username: string | null;
  readonly first_name: string;
  readonly text: string;
  readonly reply_to_message_id: number | null;
  /** ISO 8601 UTC with milliseconds, stamped when the update was received. */
  readonly received_at: string;
  readonly update_id: number;
};

/** A registration as kept in state, with the time (ms) after which it is dropped. */
type Watcher = MessageWatch & { readonly expires_at: number | null };

/** Options of {@link telegramMessages}. */
export interface TelegramMessagesOptions {
  /** The hook of a bot, by its id: its token checks that a message was handed over by our own ingester. */
  hookFor(botId: number): Pick<TelegramHook, "verify">;
  /** How long a message no sensor took is kept for sensors that register later; 10 minutes by default. */
  readonly keepUnclaimedMs?: number;
  readonly log?: (message: string) => void;
}

/** Unclaimed messages kept per chat; older ones go first. */
const MAX_KEPT = 50;

/** The shape of a message event as a sensor's output. */
export function receivedMessage(
  event: MessageEvent & { text: string },
): ReceivedMessage {
  return {
    chat_id: event.chat_id,
    message_id: event.message_id,
    user_id: event.from.id,
    username: event.from.username ?? null,
    first_name: event.from.first_name,
    text: event.text,
    reply_to_message_id: event.reply_to_message_id,
    received_at: event.received_at,
    update_id: event.update_id,
  };
}

/**
 * Matches a chat's text messages to parked text-message sensors, one virtual-object key per chat
 * (`<bot id>:<chat id>`): each message wakes the first registered sensor whose {@link MessageMatch} it meets, or,
 * for a watch with `deliver_to` (a HITL form waiting for a reply), is sent to that handler. A message no watch takes
 * is kept a while (capped) for watches that register later with `after_message_id`, which proves the message is
 * newer than the run's own. Registrations are dropped when their timeout passes, or on `unwatch`.
 *
 * @example
 * const messages = telegramMessages({ hookFor: () => hook, log: console.log });
 * createEndpointHandler({ services: [telegramRouter({ hookFor }), messages, ...workflows] });
 */
export function telegramMessages(options: TelegramMessagesOptions) {
  const log = options.log ?? (() => undefined);
  const keepMs = options.keepUnclaimedMs ?? 600_000;

  const later = (
    ctx: restate.ObjectContext,
    method: "expire" | "prune",
    parameter: string | null,
    delay: number,
  ) =>
    ctx.genericSend({
      service: MESSAGES_NAME,
      method,
      key: ctx.key,
      parameter,
      delay,
      inputSerde: restate.serde.json,
    });

  const fresh = (kept: MessageEvent[], now: number) =>
    kept.filter((m) => Date.parse(m.received_at) + keepMs > now);

  /** Keeps an unclaimed message, and makes sure one clean-up is on its way. */
  async function keep(
    ctx: restate.ObjectContext,
    event: MessageEvent,
    now: number,
  ): Promise<void> {
    const kept = fresh((await ctx.get<MessageEvent[]>("unclaimed")) ?? [], now);
    if (kept.some((m) => m.update_id === event.update_id)) return;
    ctx.set("unclaimed", [...kept, event].slice(-MAX_KEPT));
    if (!(await ctx.get<boolean>("prune_due"))) {
      ctx.set("prune_due", true);
      later(ctx, "prune", null, keepMs);
    }
  }

  /** Whether the message was handed over by our own ingester, which signs it with the bot's token. */
  function signed(event: MessageEvent, signature: unknown): boolean {
    return messageSignedByBot((botId) => options.hookFor(botId), {
      ...event,
      signature,
    } as SignedMessageEvent);
  }

  function setWatchers(ctx: restate.ObjectContext, watchers: Watcher[]): void {
    if (watchers.length > 0) ctx.set("watchers", watchers);
    else ctx.clear("watchers");
  }

  /** Hands a matching message to its watch: resolves the sensor's awakeable, or sends it to the watch's handler. */
  function deliver(
    ctx: restate.ObjectContext,
    watch: MessageWatch,
    message: ReceivedMessage,
  ): void {
    const target = watch.deliver_to;
    if (!target) return ctx.resolveAwakeable(watch.trigger_id, message);
    const parameter: WatchedMessage = { trigger_id: watch.trigger_id, message };
    ctx.genericSend({
      service: target.service,
      method: target.handler,
      ...(target.key === undefined ? {} : { key: target.key }),
      parameter,
      inputSerde: restate.serde.json,
    });
  }

  /** Drops a registration by its id. */
  async function drop(
    ctx: restate.ObjectContext,
    triggerId: string,
  ): Promise<void> {
    const watchers = (await ctx.get<Watcher[]>("watchers")) ?? [];
    const left = watchers.filter((w) => w.trigger_id !== triggerId);
    if (left.length !== watchers.length) setWatchers(ctx, left);
  }

  return restate.object({
    name: MESSAGES_NAME,
    description:
      "Matches Telegram text messages to the runs waiting for them, one key per chat",
    handlers: {
      /** A sensor parks in this chat: a kept message may wake it at once, else it waits for the next match. */
      watch: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          watch: MessageWatch,
        ): Promise<void> => {
          try {
            matchRegExp(watch.match);
          } catch (error) {
            const reason = `the text-message sensor's text_matches is not a regular expression: ${(error as Error).message}`;
            if (!watch.deliver_to)
              return ctx.rejectAwakeable(watch.trigger_id, reason);
            throw new restate.TerminalError(reason);
          }
          const watchers = (await ctx.get<Watcher[]>("watchers")) ?? [];
          if (watchers.some((w) => w.trigger_id === watch.trigger_id)) return;
          const now = await ctx.date.now();
          if (watch.match.after_message_id !== undefined) {
            const kept = fresh(
              (await ctx.get<MessageEvent[]>("unclaimed")) ?? [],
              now,
            );
            const early = kept.find((m) => matchesMessage(watch.match, m));
            if (early?.text != null) {
              ctx.set(
                "unclaimed",
                kept.filter((m) => m !== early),
              );
              log(
                `message ${early.message_id} came before its sensor; delivered now`,
              );
              return deliver(
                ctx,
                watch,
                receivedMessage({ ...early, text: early.text }),
              );
            }
          }
          const expires_at =
            watch.timeout_ms === null ? null : now + watch.timeout_ms;
          setWatchers(ctx, [...watchers, { ...watch, expires_at }]);
          if (watch.timeout_ms !== null)
            later(ctx, "expire", watch.trigger_id, watch.timeout_ms);
        },
      ),

      /** One text message in this chat, handed over (and signed) by the ingester. */
      message: async (
        ctx: restate.ObjectContext,
        signedEvent: SignedMessageEvent,
      ): Promise<void> => {
        const { signature, ...event } = signedEvent;
        if (!signed(event, signature)) {
          // Not from our ingester (a local process calling the ingress): no sensor may take it, none keeps it.
          log(`dropped a message in ${ctx.key} that our ingester did not sign`);
          return;
        }
        const now = await ctx.date.now();
        const all = (await ctx.get<Watcher[]>("watchers")) ?? [];
        const watchers = all.filter(
          (w) => w.expires_at === null || w.expires_at > now,
        );
        const taker =
          event.text === null
            ? undefined
            : watchers.find((w) => matchesMessage(w.match, event));
        if (taker && event.text !== null) {
          deliver(ctx, taker, receivedMessage({ ...event, text: event.text }));
          setWatchers(
            ctx,
            watchers.filter((w) => w !== taker),
          );
          return;
        }
        if (watchers.length !== all.length) setWatchers(ctx, watchers);
        if (event.text !== null) await keep(ctx, event, now);
      },

      /** A sensor's timeout passed: its registration goes (the sensor has already moved on). */
      expire: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, triggerId: string): Promise<void> =>
          drop(ctx, triggerId),
      ),

      /** Whoever registered a watch no longer waits for its message (a form another answer made moot). */
      unwatch: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext, triggerId: string): Promise<void> =>
          drop(ctx, triggerId),
      ),

      /** Drops unclaimed messages past their keeping time; comes back while some remain. */
      prune: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext): Promise<void> => {
          const now = await ctx.date.now();
          const kept = fresh(
            (await ctx.get<MessageEvent[]>("unclaimed")) ?? [],
            now,
          );
          if (kept.length === 0) {
            ctx.clear("unclaimed");
            return ctx.clear("prune_due");
          }
          ctx.set("unclaimed", kept);
          const oldest = Math.min(
            ...kept.map((m) => Date.parse(m.received_at)),
          );
          later(ctx, "prune", null, Math.max(1_000, oldest + keepMs - now));
        },
      ),

      /** The registrations waiting in this chat (for tests and for people looking into a stuck run). */
      watchers: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<Watcher[]> =>
          (await ctx.get<Watcher[]>("watchers")) ?? [],
      ),
    },
  });
}

/** The Restate definition type of {@link telegramMessages}. */
export type TelegramMessages = ReturnType<typeof telegramMessages>;

/** Whether a message event carries our ingester's signature for this bot (what the chat's consumer checks). */
export function messageSignedByBot(
  hookFor: (botId: number) => Pick<TelegramHook, "verify">,
  signedEvent: SignedMessageEvent,
): boolean {
  const { signature, ...event } = signedEvent;
  return signedByBot(
    hookFor,
    event.bot_id,
    signature,
    "message",
    messageSigningText(event),
  );
}
