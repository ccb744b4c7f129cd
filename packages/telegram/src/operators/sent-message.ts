import type { Message } from "grammy/types";

/** A message a run posted: the output of the send operators, and what the text-message sensor can watch replies to. */
export type SentMessage = {
  readonly bot_id: number;
  readonly chat_id: string;
  readonly message_id: number;
  readonly text: string;
  /** ISO 8601 UTC, from Telegram's `date` (whole seconds). */
  readonly date: string;
};

/** The output of a send operator for a message Telegram accepted. */
export function sentMessage(
  botId: number,
  message: Message.TextMessage,
): SentMessage {
  return {
    bot_id: botId,
    chat_id: String(message.chat.id),
    message_id: message.message_id,
    text: message.text,
    date: new Date(message.date * 1_000).toISOString(),
  };
}
