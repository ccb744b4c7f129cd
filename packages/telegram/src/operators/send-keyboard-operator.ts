import type { Arg } from "@poekhali/core";
import type { InlineKeyboardButton } from "grammy/types";
import {
  SendMessageOperator,
  type SendMessageArgs,
  type SendMessageOperatorOptions,
} from "./send-message-operator.js";

/** Arguments of {@link SendKeyboardOperator}: a message whose keyboard is required. */
export interface SendKeyboardArgs extends SendMessageArgs {
  readonly keyboard: InlineKeyboardButton[][];
}

/** Options of {@link SendKeyboardOperator}. */
export type SendKeyboardOperatorOptions = SendMessageOperatorOptions & {
  readonly keyboard: Arg<InlineKeyboardButton[][]>;
};

/**
 * Posts a message with any inline keyboard: a {@link SendMessageOperator} whose keyboard is required. Presses of
 * its `callback_data` buttons are not routed to runs: for a button a run waits on, use {@link SendButtonOperator}
 * and {@link ButtonPressSensor}.
 *
 * @example
 * const keyboard = new InlineKeyboard().url("Расписание", "https://example.org/schedule");
 * new SendKeyboardOperator({ taskId: "links", text: "Полезное", keyboard: keyboard.inline_keyboard });
 */
export class SendKeyboardOperator extends SendMessageOperator {
  override readonly title = "send a message with a keyboard";

  constructor(options: SendKeyboardOperatorOptions) {
    super(options);
  }
}
