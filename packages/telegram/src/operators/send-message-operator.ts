import {
  BaseOperator,
  type Args,
  type BaseOperatorOptions,
  type TaskContext,
} from "@poekhali/core";
import type { InlineKeyboardButton, ParseMode } from "grammy/types";
import { TelegramHook } from "../hooks/telegram-hook.js";
import { sentMessage, type SentMessage } from "./sent-message.js";

/** Arguments of {@link SendMessageOperator}. */
export interface SendMessageArgs {
  /** The chat to post in; the connection's chat when absent. */
  readonly chatId?: string | null;
  readonly text: string;
  /** `HTML`, `MarkdownV2` or the legacy `Markdown`; plain text when absent. */
  readonly parseMode?: ParseMode | null;
  /**
   * An inline keyboard, rows of buttons as the Bot API takes them (`url`, `callback_data`, `copy_text`…);
   * grammY's `new InlineKeyboard()…` builds one: pass its `inline_keyboard`.
   */
  readonly keyboard?: InlineKeyboardButton[][] | null;
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
  readonly title: string = "send a message";
  readonly telegramConnId: string;

  constructor(options: SendMessageOperatorOptions) {
    super(options, {
      chatId: options.chatId ?? null,
      text: options.text,
      parseMode: options.parseMode ?? null,
      keyboard: options.keyboard ?? null,
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
    const message = await hook.sendMessage({
      chatId: hook.chatId(args.chatId ?? undefined),
      text: args.text,
      ...(args.parseMode ? { parseMode: args.parseMode } : {}),
      ...(args.keyboard
        ? { replyMarkup: { inline_keyboard: args.keyboard } }
        : {}),
      signal: context.signal,
    });
    const buttons = args.keyboard?.reduce((n, row) => n + row.length, 0) ?? 0;
    context.log.info(
      `sent message ${message.message_id}${buttons ? ` with ${buttons} buttons` : ""} to chat ${message.chat.id}`,
    );
    return sentMessage(hook.botId, message);
  }
}
