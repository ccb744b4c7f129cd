import * as restate from "@restatedev/restate-sdk";
import type { StoredVariable } from "../variable-store.js";

/** The Restate virtual object that keeps Airflow Variables; one object key per Variable key. */
export const AIRFLOW_VARIABLE_NAME = "airflow_variable";

/** The state key a Variable is kept under; the REST API lists Variables by it through Restate's SQL. */
export const VARIABLE_STATE_KEY = "variable";

/** What `update` changes: the fields given, the others kept. */
export interface VariableChange {
  readonly value?: string;
  readonly description?: string | null;
}

/**
 * Keeps Airflow Variables durably in Restate, so every worker and the REST API see the same values; each Variable is
 * one object, so writes to one key are serialized and writes to different keys are not.
 *
 * @example
 * createEndpointHandler({ services: [airflowVariable, ...workflows] });
 */
export const airflowVariable = restate.object({
  name: AIRFLOW_VARIABLE_NAME,
  description:
    "Airflow Variables, one object per key (set over /api/v2/variables or by a task's setVariable)",
  handlers: {
    /** Stores the Variable, replacing what was there (Airflow's upsert). */
    set: async (
      ctx: restate.ObjectContext,
      variable: StoredVariable,
    ): Promise<void> => {
      ctx.set<StoredVariable>(VARIABLE_STATE_KEY, variable);
      await Promise.resolve();
    },
    /** Stores the Variable only when the key is free; `created: false` when it exists (the API's 409). */
    create: async (
      ctx: restate.ObjectContext,
      variable: StoredVariable,
    ): Promise<{ created: boolean }> => {
      if (await ctx.get<StoredVariable>(VARIABLE_STATE_KEY))
        return { created: false };
      ctx.set<StoredVariable>(VARIABLE_STATE_KEY, variable);
      return { created: true };
    },
    /** Changes the fields given of an existing Variable; `null` when there is none (the API's 404). */
    update: async (
      ctx: restate.ObjectContext,
      change: VariableChange,
    ): Promise<StoredVariable | null> => {
      const found = await ctx.get<StoredVariable>(VARIABLE_STATE_KEY);
      if (!found) return null;
      const updated: StoredVariable = {
        value: change.value ?? found.value,
        description:
          change.description === undefined
            ? found.description
            : change.description,
      };
      ctx.set<StoredVariable>(VARIABLE_STATE_KEY, updated);
      return updated;
    },
    /** Deletes the Variable; `deleted: false` when there was none. */
    delete: async (
      ctx: restate.ObjectContext,
    ): Promise<{ deleted: boolean }> => {
      const found = await ctx.get<StoredVariable>(VARIABLE_STATE_KEY);
      ctx.clear(VARIABLE_STATE_KEY);
      return { deleted: found !== null };
    },
    /** The Variable, or `null` when there is none. */
    get: restate.handlers.object.shared(
      async (
        ctx: restate.ObjectSharedContext,
      ): Promise<StoredVariable | null> =>
        (await ctx.get<StoredVariable>(VARIABLE_STATE_KEY)) ?? null,
    ),
  },
});

/** The Variable object's Restate definition type, for typed clients. */
export type AirflowVariableObject = typeof airflowVariable;
