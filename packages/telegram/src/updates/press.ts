/** A message with a button that a run sent and now watches (the send operator's output). */
export type SentButton = {
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  /** The per-run secret carried in the button's callback_data. */
  readonly nonce: string;
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
  };
  /** ISO 8601 UTC with milliseconds: when the update reached us (a CallbackQuery carries no time). */
  readonly received_at: string;
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

/** The router's key for a message: bot, chat and message ids (never the token). */
export function messageKey(
  botId: number,
  chatId: string,
  messageId: number,
): string {
  return `${botId}:${chatId}:${messageId}`;
}

/** The best name to show for a presser: the @username, else the first name, else the user id. */
export function displayName(
  press: Pick<ButtonPress, "username" | "first_name" | "user_id">,
): string {
  return press.username ?? (press.first_name || String(press.user_id));
}
