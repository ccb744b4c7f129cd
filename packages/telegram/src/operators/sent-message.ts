import * as restate from "@restatedev/restate-sdk";
import type { Message } from "grammy/types";
import { TelegramError } from "../errors.js";

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

/**
 * Awaits a Bot API call and turns Telegram's refusal of it (400 bad request, 403 blocked, 404) into a
 * TerminalError, which no retry repeats: the same request would be refused again. Rate limits, 5xx and the
 * network stay retryable.
 */
export async function finalIfRefused<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof TelegramError && !error.retryable)
      throw new restate.TerminalError(error.message, {
        errorCode: error.errorCode,
      });
    throw error;
  }
}
