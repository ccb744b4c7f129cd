import type { Json } from "./json.js";
import type { BaseTask } from "./task.js";

/** Orders tasks one after another (Airflow's `chain(a, b, c)`), for tasks that pass no data. */
export function chain(...tasks: BaseTask<object, Json>[]): void {
  for (let i = 1; i < tasks.length; i++) tasks[i]!.after(tasks[i - 1]!);
}
