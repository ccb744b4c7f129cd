/** The Restate virtual object that receives a chat's text messages, one key per chat (`<bot id>:<chat id>`). */
export const MESSAGES_NAME = "telegram_messages";

/** A `message` update (a text message or a reply in a chat) as the ingester hands it to {@link MESSAGES_NAME}. */
export type MessageEvent = {
  readonly update_id: number;
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  readonly from: {
    readonly id: number;
    readonly username?: string;
    readonly first_name: string;
  };
  /** The message's text; null for a message without text (a photo, a sticker, a service message). */
  readonly text: string | null;
  /** The id of the message this one replies to, null when it is no reply. */
  readonly reply_to_message_id: number | null;
  /** ISO 8601 UTC with milliseconds: when the update reached us. */
  readonly received_at: string;
};

/** The key of {@link MESSAGES_NAME} for a chat: bot and chat ids (never the token). */
export function chatKey(botId: number, chatId: string): string {
  return `${botId}:${chatId}`;
}

/** A message event as the ingester hands it over: signed with the bot's token, so a made-up one is dropped. */
export type SignedMessageEvent = MessageEvent & {
  /** The ingester's signature over the rest (see {@link messageSigningText}). */
  readonly signature: string;
};

/** What the ingester signs of a message event, field by field in a fixed order. */
export function messageSigningText(event: MessageEvent): string {
  return JSON.stringify([
    event.update_id,
    event.bot_id,
    event.chat_id,
    event.message_id,
    event.from.id,
    event.from.username ?? null,
    event.from.first_name,
    event.text,
    event.reply_to_message_id,
    event.received_at,
  ]);
}
