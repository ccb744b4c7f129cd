import type { Arg, Duration } from "@poekhali/core";
import { operatorTask, type OperatorTask } from "@poekhali/core/airflow";
import {
  SendButtonOperator,
  type SendButtonArgs,
} from "../operators/send-button-operator.js";
import {
  ButtonPressSensor,
  type ButtonPressArgs,
} from "../sensors/button-press-sensor.js";
import type { ButtonPress, SentButton } from "../updates/press.js";

/** What a Telegram task of an SDK DAG is configured with when declared (not inputs: fixed for every run). */
export interface TelegramTaskOptions {
  /** The connection with the bot token; `telegram_default` by default. */
  readonly telegramConnId?: string;
}

/**
 * {@link SendButtonOperator} as a task of Airflow's TypeScript SDK: its inputs are the operator's arguments
 * (`chatId`, `text`, `buttonText`), its output the {@link SentButton} to wait on.
 *
 * @example
 * const sent = dag.task("send_button", sendButton(), { retries: 2 })({ text: "Готовы?", buttonText: "Поехали" });
 */
export function sendButton(
  options: TelegramTaskOptions = {},
): OperatorTask<SendButtonArgs, SentButton> {
  return operatorTask<SendButtonArgs, SentButton>(
    "operator",
    "SendButtonOperator",
    (core, args) =>
      new SendButtonOperator({
        ...core,
        ...args,
        ...(options.telegramConnId !== undefined && {
          telegramConnId: options.telegramConnId,
        }),
      }),
  );
}

/** The inputs of {@link waitForButtonPress}: the sensor's arguments, and its `timeout` and `softFail`. */
export interface ButtonPressTaskArgs extends ButtonPressArgs {
  /** How long to wait (`"90s"`, `"6h"`); forever when absent. */
  readonly timeout?: Duration | null;
  /** On timeout, end `skipped` instead of `failed`. */
  readonly softFail?: boolean;
}

/**
 * {@link ButtonPressSensor} as a task of Airflow's TypeScript SDK: it takes the sent button (`message`) and the
 * sensor's arguments as inputs, parks deferred until an allowed press, and outputs the {@link ButtonPress}.
 *
 * @example
 * const press = dag.task("wait_for_press", waitForButtonPress())({ message: sent, timeout: "6h" });
 */
export function waitForButtonPress(
  options: TelegramTaskOptions = {},
): OperatorTask<ButtonPressTaskArgs, ButtonPress> {
  return operatorTask<ButtonPressTaskArgs, ButtonPress>(
    "sensor",
    "ButtonPressSensor",
    (core, { timeout, softFail, ...args }) =>
      new ButtonPressSensor({
        taskId: core.taskId,
        ...(core.triggerRule !== undefined && {
          triggerRule: core.triggerRule,
        }),
        ...args,
        // An input left out is absent here, never an `undefined` reference: these are the sensor's own types.
        ...(timeout !== undefined && {
          timeout: timeout as Arg<Duration | null>,
        }),
        ...(softFail !== undefined && { softFail: softFail as Arg<boolean> }),
        ...(options.telegramConnId !== undefined && {
          telegramConnId: options.telegramConnId,
        }),
      }),
  );
}
