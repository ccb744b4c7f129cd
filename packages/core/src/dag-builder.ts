import type { Duration } from "./duration.js";
import type { Json } from "./json.js";
import type { BaseTask } from "./task.js";

/** Operator options a DAG gives every task that does not set its own (Airflow's `default_args`). */
export interface DefaultArgs {
  readonly retries?: number;
  readonly retryDelay?: Duration;
  readonly retryExponentialBackoff?: boolean;
  readonly maxRetryDelay?: Duration;
  readonly executionTimeout?: Duration;
}

interface Building {
  readonly tasks: BaseTask<object, Json>[];
  readonly defaults: DefaultArgs;
}

// The DAG being built, as Airflow's `with DAG(...)`: tasks constructed inside `dag()`'s build function join it.
const building: Building[] = [];

/** Collects the tasks constructed while `build` runs; they see `defaults` through {@link currentDefaults}. */
export function collectTasks(
  build: () => void,
  defaults: DefaultArgs = {},
): BaseTask<object, Json>[] {
  const tasks: BaseTask<object, Json>[] = [];
  building.push({ tasks, defaults });
  try {
    build();
  } finally {
    building.pop();
  }
  return tasks;
}

/** Adds a task to the DAG being built, if any (a task made outside a DAG stays standalone, for tests). */
export function registerTask(task: BaseTask<object, Json>): void {
  building.at(-1)?.tasks.push(task);
}

/** The default arguments of the DAG being built (none outside a DAG). */
export function currentDefaults(): DefaultArgs {
  return building.at(-1)?.defaults ?? {};
}
