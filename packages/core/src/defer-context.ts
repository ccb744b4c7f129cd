import type { TaskContext } from "./context.js";
import type { Json } from "./json.js";

/** A durable one-way message to a Restate handler: how a deferred task registers with its event source. */
export interface DeferTarget {
  readonly service: string;
  readonly handler: string;
  /** The virtual object's or workflow's key; absent for a plain service. */
  readonly key?: string;
}

/** Which try of which task of which run (Airflow's `TaskInstanceKey`): enough for an event source to find its wait. */
export interface TaskInstanceKey {
  readonly dagId: string;
  /** The run's id (`dag_run_id`), also its Restate workflow key. */
  readonly runId: string;
  readonly taskId: string;
  readonly tryNumber: number;
}

/** What a deferred task gets while it registers interest in its event. */
export interface DeferContext extends TaskContext {
  /** The id the event source resolves (a Restate awakeable id) to wake this task with the event. */
  readonly triggerId: string;
  /** When the wait times out (ISO 8601), or null for never: an event source should refuse events after it. */
  readonly deadline: string | null;
  /** Sends a journaled one-way message; sent exactly once even when the run is replayed. */
  send(target: DeferTarget, payload: Json): void;
}

/** Why a deferred wait ended without its event. */
export type ReleaseReason = "timeout" | "cancelled" | "failed";

/** What a deferred task gets when its run stops waiting without the event: which wait, and why. */
export interface ReleaseContext extends TaskInstanceKey {
  readonly reason: ReleaseReason;
  /** Sends a journaled one-way message; sent exactly once even when the run is replayed. */
  send(target: DeferTarget, payload: Json): void;
}

/** A request to an event source, answered with an event it took or null (see `DeferrableOperator.lastWord`). */
export interface LastWord {
  readonly target: DeferTarget;
  readonly payload: Json;
}
