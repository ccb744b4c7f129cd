import type * as restate from "@restatedev/restate-sdk";
import type { Outcome } from "./attempt.js";
import type { Json } from "./json.js";
import type { BaseTask } from "./task.js";

/** What one in-flight durable promise of a task settled with. */
export type Settled =
  | { taskId: string; kind: "try"; outcome: Outcome }
  | { taskId: string; kind: "retry-due" }
  | { taskId: string; kind: "poke-due" }
  | { taskId: string; kind: "event"; event: Json }
  | { taskId: string; kind: "event-failed"; failure: restate.TerminalError };

/** Where a task's next durable promise (a step, a timer, an awakeable) goes for the run's loop to race. */
export interface InFlight {
  wait(taskId: string, promise: restate.RestatePromise<Settled>): void;
}

/** How a task that succeeded passes its choice of downstream tasks on (see `BaseTask.follow`). */
export type Follow = (
  task: BaseTask<object, Json>,
  output: Json,
  at: string,
) => void;
