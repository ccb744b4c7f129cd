import type { Json } from "./json.js";
import type { BaseTask } from "./task.js";

// The DAG being built, as Airflow's `with DAG(...)`: tasks constructed inside `dag()`'s build function join it.
const building: BaseTask<object, Json>[][] = [];

/** Collects the tasks constructed while `build` runs. */
export function collectTasks(build: () => void): BaseTask<object, Json>[] {
  const tasks: BaseTask<object, Json>[] = [];
  building.push(tasks);
  try {
    build();
  } finally {
    building.pop();
  }
  return tasks;
}

/** Adds a task to the DAG being built, if any (a task made outside a DAG stays standalone, for tests). */
export function registerTask(task: BaseTask<object, Json>): void {
  building.at(-1)?.push(task);
}
