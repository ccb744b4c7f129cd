import * as restate from "@restatedev/restate-sdk";
import {
  CHANGE_IDEMPOTENCY_RETENTION,
  checkChange,
  type SignedChange,
} from "./signed-change.js";

/** The Restate name of the object that keeps whether a DAG is paused, one object key per DAG id. */
export const DAG_STATE_NAME = "poekhali_dag_state";

/** The state key of a DAG's pause; the web tier reads it through Restate's SQL `state` table, never by a call. */
export const PAUSED_STATE_KEY = "paused";

/** The object key the web tier's start-up `check` is sent to: no DAG id holds a `~`. */
export const KEY_CHECK_KEY = "~";

/** A pause or unpause asked by the web tier. */
export interface PauseChange {
  readonly paused: boolean;
}

/** What an import did: whether it set the pause, and the DAG's pause now. */
export interface PauseImport {
  readonly imported: boolean;
  readonly paused: boolean;
}

/**
 * Whether a DAG is paused (Airflow's `is_paused`), kept in Restate so that every web instance agrees. Its handlers
 * are public, since the web tier reaches them through the ingress, and take only calls the web tier signed with
 * POEKHALI_INTERNAL_KEY for this handler and this DAG, within minutes: a page in the user's browser cannot unpause a
 * DAG behind the web tier's back.
 */
export const dagStateObject = restate.object({
  name: DAG_STATE_NAME,
  description:
    "Whether a DAG is paused (PATCH /api/v2/dags/{dag_id}), shared by every web instance",
  handlers: {
    /** Pauses or unpauses the DAG and answers its pause now. */
    setPaused: async (
      ctx: restate.ObjectContext,
      call: SignedChange<PauseChange>,
    ): Promise<boolean> => {
      await checkChange(ctx, DAG_STATE_NAME, "setPaused", call);
      ctx.set<boolean>(PAUSED_STATE_KEY, call.payload.paused);
      return call.payload.paused;
    },
    /**
     * Sets the pause a web tier's old `api-state.json` kept, unless the DAG already has one: importing twice, or
     * after someone changed the pause through another instance, changes nothing.
     */
    importPaused: async (
      ctx: restate.ObjectContext,
      call: SignedChange<PauseChange>,
    ): Promise<PauseImport> => {
      await checkChange(ctx, DAG_STATE_NAME, "importPaused", call);
      const now = await ctx.get<boolean>(PAUSED_STATE_KEY);
      if (now !== null) return { imported: false, paused: now };
      ctx.set<boolean>(PAUSED_STATE_KEY, call.payload.paused);
      return { imported: true, paused: call.payload.paused };
    },
    /**
     * Changes nothing: answers true when the call is signed with this worker's POEKHALI_INTERNAL_KEY, so that a web
     * instance with another key refuses to start instead of failing every change it is asked for. Shared, so it
     * waits behind no change.
     */
    check: restate.handlers.object.shared(
      async (
        ctx: restate.ObjectSharedContext,
        call: SignedChange<object>,
      ): Promise<boolean> => {
        await checkChange(ctx, DAG_STATE_NAME, "check", call);
        return true;
      },
    ),
  },
  // The state is what matters, and the event log says who changed what: no journal is kept; a change's result is
  // kept only as long as a retry of it may come (see CHANGE_IDEMPOTENCY_RETENTION).
  options: {
    journalRetention: 0,
    idempotencyRetention: CHANGE_IDEMPOTENCY_RETENTION,
  },
});

/** The DAG state object's Restate definition type, for typed clients. */
export type DagStateObject = typeof dagStateObject;
/** The DAG state object as a typed target (key: the DAG id): a renamed handler breaks the build. */
export const DAG_STATE: DagStateObject = { name: DAG_STATE_NAME };
