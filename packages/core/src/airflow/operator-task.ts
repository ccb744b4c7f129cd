import type { Json } from "../json.js";
import type { BaseOperatorOptions } from "../operator.js";
import { paramRef, type ParamRef } from "../params.js";
import type { BaseTask } from "../task.js";
import type { Args } from "../xcom.js";
import type { JsonCompatible, TaskRef } from "./nodes.js";

// On a global symbol: a DAG file may reach this module under the SDK's name while a provider imports it as
// `@poekhali/core/airflow`, and the compiler must still know the value.
const OPERATOR_TASK = Symbol.for("poekhali.airflow.operator-task");

// Carries a task's input and output types without a value.
declare const TYPES: unique symbol;

/** The core options a provider's task is built with: the SDK task options, converted (durations as `"<n>s"`). */
export type OperatorTaskOptions = BaseOperatorOptions;

/** Builds the provider's core task from its id and options and the task's named inputs as core arguments. */
export type OperatorTaskBuild<TArgs extends object> = (
  options: OperatorTaskOptions,
  args: Args<TArgs>,
) => BaseTask<object, Json>;

/**
 * What a provider returns to pass to `dag.task(id, ...)` in place of a handler: the task runs as the provider's
 * operator or sensor, taking the named inputs as its arguments.
 */
export interface OperatorTask<TArgs extends object, TReturn> {
  /**
   * `operator`: the SDK's `retries`, `retryDelay`, `executionTimeout` apply. `sensor`: they are ignored with a
   * warning, as a waiting task's bound is its `timeout`.
   */
  readonly kind: "operator" | "sensor";
  /** The core class the task compiles to, for messages. */
  readonly operatorName: string;
  readonly [OPERATOR_TASK]: OperatorTaskBuild<TArgs>;
  /** Never set; carries the inputs the operator takes and its output. */
  readonly [TYPES]?: (args: TArgs) => TReturn;
}

/**
 * The inputs of a provider's task by argument name: an upstream task's reference of the argument's type, a param
 * reference of that type (`param<string>("text")`), or a JSON literal of it. Stricter than a handler's inputs,
 * whose references are unchecked: the operator's argument types are known here.
 */
export type OperatorInputs<TArgs> = {
  [K in keyof TArgs]:
    TaskRef<TArgs[K]> | ParamRef<TArgs[K]> | JsonCompatible<TArgs[K]>;
};

/** What `dag.task(id, operatorTask)` returns: call it once with the operator's inputs to place the task. */
export type OperatorTaskFactory<TArgs extends object, TReturn> =
  Record<never, never> extends OperatorInputs<TArgs>
    ? (inputs?: OperatorInputs<TArgs>) => TaskRef<TReturn>
    : (inputs: OperatorInputs<TArgs>) => TaskRef<TReturn>;

/**
 * Makes a provider's task for `dag.task(id, ...)`: `build` turns the task's id, options and inputs into the core
 * operator or sensor when the DAG is compiled.
 *
 * @example
 * export const sendButton = (options: { telegramConnId?: string } = {}) =>
 *   operatorTask<SendButtonArgs, SentButton>("operator", "SendButtonOperator", (core, args) =>
 *     new SendButtonOperator({ ...core, ...args, ...options }));
 */
export function operatorTask<TArgs extends object, TReturn extends Json>(
  kind: "operator" | "sensor",
  operatorName: string,
  build: OperatorTaskBuild<TArgs>,
): OperatorTask<TArgs, TReturn> {
  return Object.freeze({ kind, operatorName, [OPERATOR_TASK]: build });
}

/** Tells a provider's task (from any copy of this module) apart from a handler. */
export function isOperatorTask(
  value: unknown,
): value is OperatorTask<object, unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as Record<symbol, unknown>)[OPERATOR_TASK] === "function"
  );
}

/** Builds the core task of a provider's task (what compile.ts calls). */
export function buildOperatorTask(
  task: OperatorTask<object, unknown>,
  options: OperatorTaskOptions,
  args: Args<object>,
): BaseTask<object, Json> {
  return task[OPERATOR_TASK](options, args);
}

/**
 * A reference to one of the DAG's params, as an input of a provider's task (Airflow's `"{{ params.text }}"` in a
 * templated field): resolved when the task runs, after the trigger's conf was validated. The name must be one the
 * Dag's `params` declare; the type is the caller's word, checked against the operator's argument.
 *
 * @example
 * dag.task("send_button", sendButton())({ text: param<string>("text"), buttonText: param<string>("button_text") });
 */
export function param<T>(name: string): ParamRef<T> {
  return paramRef<T>(name);
}
