import * as restate from "@restatedev/restate-sdk";
import type { Json } from "../json.js";

/** The Restate virtual object that keeps a run's XCom written under a key; one object key per DAG run. */
export const AIRFLOW_XCOM_NAME = "airflow_xcom";

/** The object key of a DAG run's XComs. */
export function xcomObjectKey(dagId: string, runId: string): string {
  return JSON.stringify([dagId, runId]);
}

// Task ids never hold a NUL, so a task id and a key joined by one cannot collide.
const stateKey = (taskId: string, key: string) => `${taskId}\u0000${key}`;

/**
 * Keeps the XCom that tasks of Airflow's TypeScript SDK write with `setXCom`, by task and key, durably in Restate;
 * a task's returned value is kept by its DAG run, not here.
 *
 * @example
 * createEndpointHandler({ services: [airflowXCom, ...workflows] });
 */
export const airflowXCom = restate.object({
  name: AIRFLOW_XCOM_NAME,
  description:
    "XCom written under a key by tasks of one DAG run (Airflow's TypeScript SDK setXCom)",
  handlers: {
    /** Writes one XCom, replacing what was there. */
    set: async (
      ctx: restate.ObjectContext,
      request: { taskId: string; key: string; value: Json },
    ): Promise<void> => {
      ctx.set(stateKey(request.taskId, request.key), request.value);
      await Promise.resolve();
    },
    /**
     * Forgets the XComs of these tasks (all of the run's when none are named): Airflow clears a task's XComs when
     * the task is cleared, and a run's when the run is deleted.
     */
    forget: async (
      ctx: restate.ObjectContext,
      request: { taskIds?: string[] },
    ): Promise<void> => {
      const ids = request.taskIds ? new Set(request.taskIds) : null;
      for (const key of await ctx.stateKeys()) {
        const taskId = key.slice(0, key.indexOf("\u0000"));
        if (ids === null || ids.has(taskId)) ctx.clear(key);
      }
    },
    /** Reads one XCom; `null` when none was written. */
    get: restate.handlers.object.shared(
      async (
        ctx: restate.ObjectSharedContext,
        request: { taskId: string; key: string },
      ): Promise<Json | null> =>
        (await ctx.get<Json>(stateKey(request.taskId, request.key))) ?? null,
    ),
  },
});

/** The XCom object's Restate definition type, for typed clients. */
export type AirflowXComObject = typeof airflowXCom;
