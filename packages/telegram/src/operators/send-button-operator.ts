import {
  BaseOperator,
  handlerTarget,
  type Args,
  type BaseOperatorOptions,
  type OperatorReleaseContext,
  type TaskContext,
} from "@poekhali/core";
import { TelegramHook } from "../hooks/telegram-hook.js";
import {
  buttonKey,
  buttonRef,
  callbackData,
  type SentButton,
} from "../updates/press.js";
import type { TelegramRouter } from "../updates/router.js";
import { ROUTER_NAME, type Close } from "../updates/watch.js";

// A typed stand-in for the router's definition: its handler names are checked against the router's.
const Router: TelegramRouter = { name: ROUTER_NAME };

/** Arguments of {@link SendButtonOperator}. */
export interface SendButtonArgs {
  /** The chat to post in; the connection's chat when absent. */
  readonly chatId?: string | null;
  readonly text: string;
  readonly buttonText: string;
}

/** Options of {@link SendButtonOperator}. */
export interface SendButtonOperatorOptions
  extends BaseOperatorOptions, Args<SendButtonArgs> {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/**
 * Posts a message with one inline button whose callback_data carries this task's nonce, so that a press can be
 * matched to exactly this run. Every try of the task carries the same nonce: Telegram has no idempotent send, and
 * a try cut off after Telegram posted leaves a message the next try cannot know of; sharing the nonce sends that
 * copy's presses to the same router, which answers them truthfully and removes the copy's button.
 *
 * @example
 * const sent = new SendButtonOperator({ taskId: "send_button", text: "Готовы?", buttonText: "Поехали" });
 */
export class SendButtonOperator extends BaseOperator<
  SendButtonArgs,
  SentButton
> {
  readonly title = "send a message with a button";
  readonly telegramConnId: string;

  constructor(options: SendButtonOperatorOptions) {
    super(options, {
      chatId: options.chatId ?? null,
      text: options.text,
      buttonText: options.buttonText,
    });
    this.telegramConnId = options.telegramConnId ?? "telegram_default";
  }

  override async execute(
    args: SendButtonArgs,
    context: TaskContext,
  ): Promise<SentButton> {
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const nonce = nonceOf(hook, context);
    const message = await hook.sendMessage({
      chatId: hook.chatId(args.chatId ?? undefined),
      text: args.text,
      replyMarkup: {
        inline_keyboard: [
          [{ text: args.buttonText, callback_data: callbackData(nonce) }],
        ],
      },
    });
    context.log.info(
      `sent message ${message.message_id} to chat ${message.chat.id}`,
    );
    return {
      bot_id: hook.botId,
      chat_id: String(message.chat.id),
      message_id: message.message_id,
      button: buttonRef(nonce),
    };
  }

  /**
   * The run gave up on this task (cancelled mid-send, or its last try failed): a try cut off may still post a
   * message with a live button that no sensor will watch. Its router is closed, so a press on it is told the run was
   * cancelled (or that the button no longer works) and its button is removed.
   */
  override release(
    args: SendButtonArgs,
    context: OperatorReleaseContext,
  ): void {
    const hook = TelegramHook.fromConnection(
      context.connections.get(this.telegramConnId),
    );
    const chatId = hook.chatId(args.chatId ?? undefined);
    // No message is known: message id 0 is none of Telegram's, so every message with the button counts as a copy.
    const close: Close = {
      reason: context.reason,
      message_id: 0,
      action: "keep",
      text: null,
    };
    context.send(
      handlerTarget(
        Router,
        "close",
        buttonKey(hook.botId, chatId, buttonRef(nonceOf(hook, context))),
      ),
      { ...close },
    );
  }
}

/**
 * The button's secret: the same for every try of the task, new after each clear of the run (the button of the
 * cleared run's last message has been used or closed), and signed with the bot's token, so nobody without it can
 * work it out from the run's public names.
 */
function nonceOf(
  hook: TelegramHook,
  context: Pick<
    TaskContext,
    "dagId" | "runId" | "taskId" | "logicalDate" | "clearNumber"
  >,
): string {
  return hook
    .sign(
      "button",
      context.dagId,
      context.runId,
      context.taskId,
      context.logicalDate.toISOString(),
      // Absent before the first clear, so the buttons of runs that never were cleared keep their nonce.
      ...(context.clearNumber > 0 ? [String(context.clearNumber)] : []),
    )
    .slice(0, 24);
}
