import {
  handlerTarget,
  type IngressTarget,
  type Json,
  type RestateIngress,
} from "@poekhali/core";
import {
  chatKey,
  messageSigningText,
  MESSAGES_NAME,
  type MessageEvent,
  type SignedMessageEvent,
} from "./message-event.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { pressKey, pressSigningText, type PressEvent } from "./press.js";
import type { ReceptionClock } from "./reception-clock.js";
import type { TelegramMessages } from "./message-watch.js";
import type { TelegramRouter } from "./router.js";
import { ROUTER_NAME } from "./watch.js";
import {
  hitlKey,
  parseHitlCallbackData,
  TELEGRAM_HITL_NAME,
} from "../hitl/hitl-callback.js";
import type { TelegramHitlObject } from "../hitl/telegram-hitl.js";

// Typed stand-ins for the consumers' definitions: their handler names are checked against the consumers'.
const Router: TelegramRouter = { name: ROUTER_NAME };
const Messages: TelegramMessages = { name: MESSAGES_NAME };
const TelegramHitl: TelegramHitlObject = { name: TELEGRAM_HITL_NAME };

type User = {
  readonly id: number;
  readonly first_name: string;
  readonly username?: string | undefined;
  readonly language_code?: string | undefined;
};
type Chat = { readonly id: number };

/** The parts of a Bot API `Update` the ingester reads; grammY's `Update` fits it. */
export interface IncomingUpdate {
  readonly update_id: number;
  readonly callback_query?:
    | {
        readonly id: string;
        readonly from: User;
        readonly data?: string | undefined;
        readonly message?:
          { readonly message_id: number; readonly chat: Chat } | undefined;
      }
    | undefined;
  readonly message?:
    | {
        readonly message_id: number;
        readonly chat: Chat;
        readonly from?: User | undefined;
        readonly text?: string | undefined;
        readonly reply_to_message?: { readonly message_id: number } | undefined;
      }
    | undefined;
}

/** Update types the ingesters hand to Restate; ask Telegram for `message` only once {@link MESSAGES_NAME} is deployed. */
export type IngestedUpdateType = "callback_query" | "message";

/** What the ingesters ask Telegram for unless told otherwise: presses only, which need just the router. */
export const DEFAULT_ALLOWED_UPDATES: readonly IngestedUpdateType[] = [
  "callback_query",
];

/** Every update type the ingesters hand over; ask for these when both the router and `telegram_messages` are served. */
export const INGESTED_UPDATES: readonly IngestedUpdateType[] = [
  "callback_query",
  "message",
];

/** The idempotency key of an update in Restate: Telegram's retries and a second poll of it are taken once. */
export function updateIdempotencyKey(botId: number, updateId: number): string {
  return `telegram-update-${botId}-${updateId}`;
}

/** One update made ready for Restate: where it goes, what is sent, and its idempotency key. */
export interface PreparedUpdate {
  readonly update_id: number;
  /** What it is: a press (to a button's router or a HITL request) or a text message (to its chat's messages). */
  readonly kind: "press" | "message";
  readonly target: IngressTarget;
  readonly payload: Json;
  readonly idempotencyKey: string;
}

/**
 * Makes one update ready for Restate: a callback query goes to the router of its button (a HITL request's button
 * to its `telegram_hitl` object), a message to {@link MESSAGES_NAME} of its chat, each stamped and signed. Other
 * updates (and callback queries of inline messages, messages without a sender) have no consumer: null. Stamps in
 * the order of the calls, so prepare a batch's updates in Telegram's order.
 */
export function prepareUpdate(
  update: IncomingUpdate,
  to: Pick<HandOverTo, "hook" | "clock">,
): PreparedUpdate | null {
  const { hook, clock } = to;
  const botId = hook.botId;
  const idempotencyKey = updateIdempotencyKey(botId, update.update_id);
  const query = update.callback_query;
  if (query?.message) {
    const unsigned: Omit<PressEvent, "signature"> = {
      update_id: update.update_id,
      callback_query_id: query.id,
      bot_id: botId,
      chat_id: String(query.message.chat.id),
      message_id: query.message.message_id,
      data: query.data ?? null,
      from: sender(query.from),
      received_at: clock.stamp(String(query.message.chat.id)),
    };
    const event: PressEvent = {
      ...unsigned,
      signature: hook.sign("press", pressSigningText(unsigned)),
    };
    // A request's button goes to the `telegram_hitl` object of its request, any other to the router of its button.
    const hitl = parseHitlCallbackData(event.data);
    return {
      update_id: update.update_id,
      kind: "press",
      target: hitl
        ? handlerTarget(
            TelegramHitl,
            "press",
            hitlKey(botId, event.chat_id, hitl.nonce),
          )
        : handlerTarget(Router, "press", pressKey(event)),
      payload: { ...event, from: { ...event.from } },
      idempotencyKey,
    };
  }
  const message = update.message;
  if (message?.from) {
    const event: MessageEvent = {
      update_id: update.update_id,
      bot_id: botId,
      chat_id: String(message.chat.id),
      message_id: message.message_id,
      from: sender(message.from),
      text: message.text ?? null,
      reply_to_message_id: message.reply_to_message?.message_id ?? null,
      received_at: clock.stamp(String(message.chat.id)),
    };
    const signed: SignedMessageEvent = {
      ...event,
      signature: hook.sign("message", messageSigningText(event)),
    };
    return {
      update_id: update.update_id,
      kind: "message",
      target: handlerTarget(Messages, "message", chatKey(botId, event.chat_id)),
      payload: { ...signed, from: { ...signed.from } },
      idempotencyKey,
    };
  }
  return null;
}

/** What handing updates over needs. */
export interface HandOverTo {
  /** The bot's hook: its id names the update's consumer, and its token signs a press or message for its consumer. */
  readonly hook: Pick<TelegramHook, "botId" | "sign">;
  readonly ingress: RestateIngress;
  /** Stamps the update when it is handed over: one stamp per update, never two alike in a chat. */
  readonly clock: ReceptionClock;
}

/**
 * Hands one update to Restate and resolves once Restate has durably accepted it (see {@link prepareUpdate} for
 * where it goes); resolves with `false` for an update that has no consumer.
 */
export async function handOverUpdate(
  update: IncomingUpdate,
  to: HandOverTo,
): Promise<boolean> {
  const prepared = prepareUpdate(update, to);
  if (!prepared) return false;
  await to.ingress.send(prepared.target, prepared.payload, {
    idempotencyKey: prepared.idempotencyKey,
  });
  return true;
}

function sender(user: User): PressEvent["from"] {
  return {
    id: user.id,
    first_name: user.first_name,
    ...(user.username ? { username: user.username } : {}),
    ...(user.language_code ? { language_code: user.language_code } : {}),
  };
}
