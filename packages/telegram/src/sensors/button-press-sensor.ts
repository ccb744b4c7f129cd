import {
  DeferrableSensor,
  handlerTarget,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
  type LastWord,
  type ReleaseContext,
} from "@poekhali/core";
import {
  buttonKey,
  type ButtonPress,
  type SentButton,
} from "../updates/press.js";
import type { TelegramRouter } from "../updates/router.js";
import { ROUTER_NAME, type Close, type Watch } from "../updates/watch.js";

// A typed stand-in for the router's definition: its handler names are checked against the router's.
const Router: TelegramRouter = { name: ROUTER_NAME };

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
    const { chat_id, message_id } = args.message;
    if (args.chatId && args.chatId !== chat_id) {
      throw new Error(
        `chatId ${args.chatId} is not the chat of the watched message (${chat_id})`,
      );
    }
    const watch: Watch = {
      message_id,
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
    context.send(routerOf(args.message, "watch"), { ...watch });
  }

  /** The run stopped waiting: the router tells later pressers why and drops the button (or edits the text). */
  override release(args: ButtonPressArgs, context: ReleaseContext): void {
    context.send(routerOf(args.message, "close"), {
      ...closeOf(args, context.reason),
    });
  }

  /**
   * On timeout the run asks the router to close, and takes the press the router accepted just before, if any: a
   * press received in time but handled after the timer fired was told «Поехали!» and must become the run's row.
   */
  override lastWord(args: ButtonPressArgs): LastWord {
    return {
      target: routerOf(args.message, "close"),
      payload: { ...closeOf(args, "timeout") },
    };
  }

  /** A press on the watched message, and by whom when the sensor allows only some people. */
  override waitsFor(args: ButtonPressArgs): string {
    const { chat_id, message_id } = args.message;
    const who = [
      ...(args.allowedUsernames ?? []).map((u) => `@${u.replace(/^@/, "")}`),
      ...(args.allowedUserIds ?? []).map((id) => `user ${id}`),
    ];
    return `a press on message ${message_id} in chat ${chat_id}${who.length ? ` by ${who.join(", ")}` : ""}`;
  }

  override complete(event: ButtonPress): ButtonPress {
    return event;
  }

  override eventTime(event: ButtonPress): string | null {
    return event.accepted_at ?? null;
  }
}

function closeOf(args: ButtonPressArgs, reason: Close["reason"]): Close {
  return {
    reason,
    message_id: args.message.message_id,
    action:
      reason === "timeout"
        ? (args.onTimeoutAction ?? "expire")
        : "remove_keyboard",
    text: args.expiredText ?? "Время ожидания истекло.",
  };
}

function routerOf(message: SentButton, handler: "watch" | "close") {
  return handlerTarget(
    Router,
    handler,
    buttonKey(message.bot_id, message.chat_id, message.button),
  );
}
