import {
  BaseOperator,
  type Args,
  type BaseOperatorOptions,
  type TaskContext,
} from "@poekhali/core";
import type { InlineKeyboardButton, ParseMode } from "grammy/types";
import { TelegramHook } from "../hooks/telegram-hook.js";

/** Arguments of {@link EditMessageOperator}. */
export interface EditMessageArgs {
  /** The message to edit: a send operator's output, or its chat and id. */
  readonly message: { readonly chat_id: string; readonly message_id: number };
  /** The new text; null edits the keyboard alone and keeps the text. */
  readonly text?: string | null;
  readonly parseMode?: ParseMode | null;
  /** The keyboard the message shows afterwards; null for none (Telegram drops a keyboard that a text edit omits). */
  readonly keyboard?: InlineKeyboardButton[][] | null;
}

/** Options of {@link EditMessageOperator}. */
export interface EditMessageOperatorOptions
  extends BaseOperatorOptions, Args<EditMessageArgs> {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/** What {@link EditMessageOperator} did. */
export type EditedMessage = {
  readonly chat_id: string;
  readonly message_id: number;
  /** False when the message already read so: Telegram's "message is not modified", which is no failure. */
  readonly modified: boolean;
};

/**
 * Edits a message's text and keyboard, or its keyboard alone: afterwards the message shows exactly `keyboard`
 * (none when null). An edit to what the message already says succeeds with `modified: false`, so a retried
 * or repeated edit never fails a run.
 *
 * @example
 * new EditMessageOperator({ taskId: "close", message: sent.output, text: "Набор закрыт", keyboard: null });
 */
export class EditMessageOperator extends BaseOperator<
  EditMessageArgs,
  EditedMessage
> {
  readonly title = "edit a message";
  readonly telegramConnId: string;

  constructor(options: EditMessageOperatorOptions) {
    super(options, {
      message: options.message,
      text: options.text ?? null,
      parseMode: options.parseMode ?? null,
      keyboard: options.keyboard ?? null,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
  }

  override async execute(
    args: EditMessageArgs,
    context: TaskContext,
  ): Promise<EditedMessage> {
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const { chat_id, message_id } = args.message;
    const modified = await hook.editMessage({
      chatId: chat_id,
      messageId: message_id,
      ...(args.text == null ? {} : { text: args.text }),
      ...(args.parseMode ? { parseMode: args.parseMode } : {}),
      ...(args.keyboard
        ? { replyMarkup: { inline_keyboard: args.keyboard } }
        : {}),
      signal: context.signal,
    });
    context.log.info(
      modified
        ? `edited message ${message_id}`
        : `message ${message_id} already read so; nothing to edit`,
    );
    return { chat_id, message_id, modified };
  }
}
