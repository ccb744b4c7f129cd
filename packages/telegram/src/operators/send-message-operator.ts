import {
  BaseOperator,
  type Args,
  type BaseOperatorOptions,
  type TaskContext,
} from "@poekhali/core";
import type { ParseMode } from "grammy/types";
import { TelegramHook } from "../hooks/telegram-hook.js";
import {
  finalIfRefused,
  sentMessage,
  type SentMessage,
} from "./sent-message.js";

/** Arguments of {@link SendMessageOperator}. */
export interface SendMessageArgs {
  /** The chat to post in; the connection's chat when absent. */
  readonly chatId?: string | null;
  readonly text: string;
  /** `HTML`, `MarkdownV2` or the legacy `Markdown`; plain text when absent. */
  readonly parseMode?: ParseMode | null;
}

/** Options of {@link SendMessageOperator}. */
export interface SendMessageOperatorOptions
  extends BaseOperatorOptions, Args<SendMessageArgs> {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/**
 * Posts a text message (Airflow's `TelegramOperator`), spaced within Telegram's limits; its output is the
 * {@link SentMessage}, which a {@link TextMessageSensor} can watch replies to.
 *
 * @example
 * const sent = new SendMessageOperator({ taskId: "ask", text: "<b>Едем?</b> Ответьте на это сообщение", parseMode: "HTML" });
 */
export class SendMessageOperator extends BaseOperator<
  SendMessageArgs,
  SentMessage
> {
  readonly title = "send a message";
  readonly telegramConnId: string;

  constructor(options: SendMessageOperatorOptions) {
    super(options, {
      chatId: options.chatId ?? null,
      text: options.text,
      parseMode: options.parseMode ?? null,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
  }

  override async execute(
    args: SendMessageArgs,
    context: TaskContext,
  ): Promise<SentMessage> {
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const message = await finalIfRefused(
      hook.sendMessage({
        chatId: hook.chatId(args.chatId ?? undefined),
        text: args.text,
        ...(args.parseMode ? { parseMode: args.parseMode } : {}),
        signal: context.signal,
      }),
    );
    context.log.info(
      `sent message ${message.message_id} to chat ${message.chat.id}`,
    );
    return sentMessage(hook.botId, message);
  }
}
