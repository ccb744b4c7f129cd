import type { Context } from "hono";
import type { V2Env, V2Options } from "./v2-options.js";

/** What a route changed by hand, for the event log; `event` is Airflow's name for it (its route function's). */
export interface Action {
  readonly event: string;
  readonly dag_id: string;
  readonly run_id?: string | null;
  readonly task_id?: string | null;
  readonly map_index?: number | null;
  readonly try_number?: number | null;
  readonly logical_date?: string | null;
  /** What was asked (the request body, or what was chosen), stored JSON-encoded as Airflow's `extra`. */
  readonly extra?: unknown;
}

/** Who made a change: the token's user, or Airflow's `Anonymous` when the API asks for no password. */
export const actionOwner = (c: Context<V2Env>) => c.get("user") ?? "Anonymous";

/**
 * Records a change already made as one entry of the event log. It never throws and never changes the answer: an
 * entry Restate could not take is lost, and said so in the app's log.
 */
export async function recordAction(
  c: Context<V2Env>,
  options: V2Options,
  action: Action,
): Promise<void> {
  await options.eventLog.record({
    when: new Date().toISOString(),
    event: action.event,
    owner: actionOwner(c),
    dag_id: action.dag_id,
    run_id: action.run_id ?? null,
    task_id: action.task_id ?? null,
    map_index: action.map_index ?? null,
    try_number: action.try_number ?? null,
    logical_date: action.logical_date ?? null,
    extra: action.extra === undefined ? null : JSON.stringify(action.extra),
  });
}
