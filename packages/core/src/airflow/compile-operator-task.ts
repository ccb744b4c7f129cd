import { DagDefinitionError } from "../errors.js";
import type { Json } from "../json.js";
import type { BaseTask } from "../task.js";
import type { TriggerRule } from "../trigger-rule.js";
import type { Args } from "../xcom.js";
import {
  buildOperatorTask,
  type OperatorTask,
  type OperatorTaskOptions,
} from "./operator-task.js";
import type { TaskSpec } from "./task-spec.js";

// What a waiting task does not act on: its bound is its own timeout, and a sensor is not retried.
const SENSOR_IGNORED_OPTIONS = [
  "retries",
  "retryDelay",
  "retryExponentialBackoff",
  "maxRetryDelay",
  "executionTimeout",
] as const;

/** A duration the SDK gives in seconds, as core takes it (`"<n>s"`); a negative or non-number one is refused. */
export function seconds(
  dagId: string,
  taskId: string,
  option: string,
  value: number,
): string {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0)
    throw new DagDefinitionError(
      dagId,
      `option "${option}" of task "${taskId}" must be a number of seconds ≥ 0, got ${String(value)}`,
    );
  return `${value}s`;
}

/** The core options of an operator from an SDK task's options: Airflow's defaults, durations in seconds. */
export function coreOperatorOptions(
  dagId: string,
  taskId: string,
  s: TaskSpec,
): OperatorTaskOptions {
  return {
    taskId,
    ...(s.triggerRule !== undefined && {
      triggerRule: s.triggerRule as TriggerRule,
    }),
    ...(s.retries !== undefined && { retries: s.retries }),
    // Airflow's default retry delay, 300 s, in seconds as the SDK gives every duration.
    retryDelay: seconds(dagId, taskId, "retryDelay", s.retryDelay ?? 300),
    ...(s.retryExponentialBackoff !== undefined && {
      retryExponentialBackoff: s.retryExponentialBackoff > 0,
    }),
    ...(s.maxRetryDelay !== undefined && {
      maxRetryDelay: seconds(dagId, taskId, "maxRetryDelay", s.maxRetryDelay),
    }),
    ...(s.executionTimeout !== undefined && {
      executionTimeout: seconds(
        dagId,
        taskId,
        "executionTimeout",
        s.executionTimeout,
      ),
    }),
  };
}

/**
 * The core task of a provider's task (`dag.task(id, sendButton())`): its operator or sensor, built with the task's
 * options and its named inputs as arguments. A sensor takes only the id and the trigger rule; the retry options it
 * cannot act on are reported once in `warnings`.
 */
export function compileOperatorTask(
  dagId: string,
  taskId: string,
  task: OperatorTask<object, unknown>,
  spec: TaskSpec,
  args: Args<object>,
  warnings: string[],
): BaseTask<object, Json> {
  if (task.kind === "sensor") {
    for (const option of SENSOR_IGNORED_OPTIONS)
      if (spec[option] !== undefined)
        warnings.push(
          `DAG "${dagId}": option "${option}" of task "${taskId}" is ignored: ${task.operatorName} waits, bounded by its timeout, and is not retried`,
        );
    return buildOperatorTask(
      task,
      {
        taskId,
        ...(spec.triggerRule !== undefined && {
          triggerRule: spec.triggerRule as TriggerRule,
        }),
      },
      args,
    );
  }
  return buildOperatorTask(
    task,
    coreOperatorOptions(dagId, taskId, spec),
    args,
  );
}
