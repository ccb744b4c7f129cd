import {
  DeferrableSensor,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type TaskContext,
} from "@poekhali/core";
import { TelegramHook } from "../hooks/telegram-hook.js";
import {
  messageKey,
  type ButtonPress,
  type SentButton,
} from "../updates/press.js";
import { ROUTER_NAME, type Watch } from "../updates/watch.js";

/** Arguments of {@link ButtonPressSensor}. */
export interface ButtonPressArgs {
  /** The message to watch: the send operator's output. */
  readonly message: SentButton;
  /** The chat the message must be in; a message elsewhere fails the task rather than wait in the wrong chat. */
  readonly chatId?: string | null;
  /** Only these users may press (@ optional, case-insensitive); with `allowedUserIds`, either list admits. */
  readonly allowedUsernames?: readonly string[] | null;
  /** Only these users may press, by Telegram user id; anyone when both lists are empty. */
  readonly allowedUserIds?: readonly number[] | null;
  /** Remove the button once the press is accepted; true by default. */
  readonly hideKeyboard?: boolean | null;
  /** The toast the accepted presser sees. */
  readonly answerText?: string | null;
  /** What the message says once the wait expired. */
  readonly expiredText?: string | null;
  /** On timeout: `expire` edits the text to `expiredText` and drops the button (default), `remove_keyboard` only drops it, `keep` leaves it. */
  readonly onTimeoutAction?: "expire" | "remove_keyboard" | "keep" | null;
}

/** Options of {@link ButtonPressSensor}. */
export interface ButtonPressSensorOptions
  extends BaseSensorOptions, Args<ButtonPressArgs> {
  readonly telegramConnId?: string;
}

/**
 * Waits, deferred, until someone allowed presses the button of the watched message: it registers with
 * the router of that message and parks; the router answers the press, removes the keyboard and wakes it.
 *
 * @example
 * const press = new ButtonPressSensor({ taskId: "wait_for_press", message: sent.output, timeout: "6h" });
 */
export class ButtonPressSensor extends DeferrableSensor<
  ButtonPressArgs,
  ButtonPress
> {
  readonly title = "wait for a press of the button";
  readonly telegramConnId: string;

  constructor(options: ButtonPressSensorOptions) {
    super(options, {
      message: options.message,
      chatId: options.chatId ?? null,
      allowedUsernames: options.allowedUsernames ?? null,
      allowedUserIds: options.allowedUserIds ?? null,
      hideKeyboard: options.hideKeyboard ?? null,
      onTimeoutAction: options.onTimeoutAction ?? null,
      answerText: options.answerText ?? null,
      expiredText: options.expiredText ?? null,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
  }

  override defer(args: ButtonPressArgs, context: DeferContext): void {
    const { bot_id, chat_id, message_id, nonce } = args.message;
    if (args.chatId && args.chatId !== chat_id) {
      throw new Error(
        `chatId ${args.chatId} is not the chat of the watched message (${chat_id})`,
      );
    }
    const watch: Watch = {
      nonce,
      trigger_id: context.triggerId,
      allowed_usernames: args.allowedUsernames?.length
        ? [...args.allowedUsernames]
        : null,
      allowed_user_ids: args.allowedUserIds?.length
        ? [...args.allowedUserIds]
        : null,
      hide_keyboard: args.hideKeyboard ?? true,
      expires_at: context.deadline,
      answer_text: args.answerText ?? "Поехали!",
    };
    context.send(
      {
        service: ROUTER_NAME,
        handler: "watch",
        key: messageKey(bot_id, chat_id, message_id),
      },
      { ...watch },
    );
  }

  override complete(event: ButtonPress): ButtonPress {
    return event;
  }

  override eventTime(event: ButtonPress): string | null {
    return event.accepted_at ?? null;
  }

  override async onTimeout(
    args: ButtonPressArgs,
    context: TaskContext,
  ): Promise<void> {
    const action = args.onTimeoutAction ?? "expire";
    if (action === "keep") return;
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const { chat_id, message_id } = args.message;
    if (action === "remove_keyboard")
      await hook.editReplyMarkup(chat_id, message_id);
    else
      await hook.editText(
        chat_id,
        message_id,
        args.expiredText ?? "Время ожидания истекло.",
      );
    context.log.info(
      `the wait expired; message ${message_id} ${action === "expire" ? "says so" : "lost its button"}`,
    );
  }
}
