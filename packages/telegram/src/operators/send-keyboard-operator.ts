import {
  BaseOperator,
  type Args,
  type BaseOperatorOptions,
  type TaskContext,
} from "@poekhali/core";
import type { InlineKeyboardButton, ParseMode } from "grammy/types";
import { TelegramHook } from "../hooks/telegram-hook.js";
import {
  finalIfRefused,
  sentMessage,
  type SentMessage,
} from "./sent-message.js";

/** Arguments of {@link SendKeyboardOperator}. */
export interface SendKeyboardArgs {
  /** The chat to post in; the connection's chat when absent. */
  readonly chatId?: string | null;
  readonly text: string;
  readonly parseMode?: ParseMode | null;
  /**
   * The inline keyboard, rows of buttons, as the Bot API takes it: `url`, `callback_data`, `copy_text`… buttons.
   * grammY's `new InlineKeyboard().url(…).row()…` builds one: pass its `inline_keyboard`.
   */
  readonly keyboard: InlineKeyboardButton[][];
}

/** Options of {@link SendKeyboardOperator}. */
export interface SendKeyboardOperatorOptions
  extends BaseOperatorOptions, Args<SendKeyboardArgs> {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/**
 * Posts a message with any inline keyboard. Presses of its `callback_data` buttons are not routed to runs:
 * for a button a run waits on, use {@link SendButtonOperator} and {@link ButtonPressSensor}.
 *
 * @example
 * const keyboard = new InlineKeyboard().url("Расписание", "https://example.org/schedule");
 * new SendKeyboardOperator({ taskId: "links", text: "Полезное", keyboard: keyboard.inline_keyboard });
 */
export class SendKeyboardOperator extends BaseOperator<
  SendKeyboardArgs,
  SentMessage
> {
  readonly title = "send a message with a keyboard";
  readonly telegramConnId: string;

  constructor(options: SendKeyboardOperatorOptions) {
    super(options, {
      chatId: options.chatId ?? null,
      text: options.text,
      parseMode: options.parseMode ?? null,
      keyboard: options.keyboard,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
  }

  override async execute(
    args: SendKeyboardArgs,
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
        replyMarkup: { inline_keyboard: args.keyboard },
        signal: context.signal,
      }),
    );
    const buttons = args.keyboard.reduce((n, row) => n + row.length, 0);
    context.log.info(
      `sent message ${message.message_id} with ${buttons} buttons to chat ${message.chat.id}`,
    );
    return sentMessage(hook.botId, message);
  }
}
