import { createHash } from "node:crypto";

/** A message with a button that a run sent and now watches (the send operator's output). */
export type SentButton = {
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  /**
   * Names the button's router (see {@link buttonRef}); derived from the button's secret, which it does not reveal:
   * the secret stays in the button's callback_data and out of task outputs.
   */
  readonly button: string;
};

/** A callback query as the ingester hands it to the router, stamped when it was received. */
export type PressEvent = {
  readonly update_id: number;
  readonly callback_query_id: string;
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  readonly data: string | null;
  readonly from: {
    readonly id: number;
    readonly username?: string;
    readonly first_name: string;
    /** The presser's IETF language tag, when their client tells it: answers to them are in their language. */
    readonly language_code?: string;
  };
  /** ISO 8601 UTC with milliseconds: when the update reached us (a CallbackQuery carries no time). */
  readonly received_at: string;
  /** The ingester's signature over the rest (see {@link pressSigningText}): a press from anywhere else is dropped. */
  readonly signature: string;
};

/** An accepted press: the button-press sensor's output. */
export type ButtonPress = {
  readonly chat_id: string;
  readonly message_id: number;
  readonly user_id: number;
  readonly username: string | null;
  readonly first_name: string;
  /** ISO 8601 UTC with milliseconds, stamped when the update was received. */
  readonly triggered_at: string;
  readonly callback_query_id: string;
  readonly update_id: number;
  /** When the router accepted the press and woke the run (ISO 8601 UTC); the sensor's end time. */
  readonly accepted_at?: string;
};

const PREFIX = "poekhali:";

/** The callback_data of a run's button: a prefix and the run's nonce (well under Telegram's 64 bytes). */
export function callbackData(nonce: string): string {
  return `${PREFIX}${nonce}`;
}

/** The nonce in a button's callback_data, or null when the button is not one of ours. */
export function nonceOf(data: string | null | undefined): string | null {
  return data?.startsWith(PREFIX) ? data.slice(PREFIX.length) : null;
}

/** The public name of a button's secret: a hash that cannot be turned back into it. */
export function buttonRef(nonce: string): string {
  return createHash("sha256").update(nonce).digest("base64url").slice(0, 16);
}

/**
 * The router's key for a button: bot, chat and the button's {@link buttonRef}. Every message that carries the
 * button (the one the run watches, and any second copy a retried send posted) meets in one router.
 */
export function buttonKey(botId: number, chatId: string, ref: string): string {
  return `${botId}:${chatId}:${ref}`;
}

/** The router's key for a press: its button's, or, for a button not of ours, its message's. */
export function pressKey(
  event: Pick<PressEvent, "bot_id" | "chat_id" | "message_id" | "data">,
): string {
  const nonce = nonceOf(event.data);
  return nonce === null
    ? `${event.bot_id}:${event.chat_id}:m${event.message_id}`
    : buttonKey(event.bot_id, event.chat_id, buttonRef(nonce));
}

/** What the ingester signs of a press, field by field in a fixed order. */
export function pressSigningText(event: Omit<PressEvent, "signature">): string {
  return JSON.stringify([
    event.update_id,
    event.callback_query_id,
    event.bot_id,
    event.chat_id,
    event.message_id,
    event.data,
    event.from.id,
    event.from.username ?? null,
    event.from.first_name,
    event.received_at,
    // Only when present, so that a press signed before the field existed still verifies.
    ...(event.from.language_code === undefined
      ? []
      : [event.from.language_code]),
  ]);
}

/** The best name to show for a presser: the @username, else the first name, else the user id. */
export function displayName(
  press: Pick<ButtonPress, "username" | "first_name" | "user_id">,
): string {
  return press.username ?? (press.first_name || String(press.user_id));
}
