import * as restate from "@restatedev/restate-sdk";
import { verifyCall, type SignedCall } from "@poekhali/core";

/** The Restate name of the object that keeps whether a DAG is paused, one object key per DAG id. */
export const DAG_STATE_NAME = "poekhali_dag_state";

/** The state key of a DAG's pause; the web tier reads it through Restate's SQL `state` table, never by a call. */
export const PAUSED_STATE_KEY = "paused";

/** What a signed call to this object is signed for (with the DAG id as its scope). */
export const DAG_STATE_PURPOSE = "dag-state";

/** A pause or unpause asked by the web tier. */
export interface PauseChange {
  readonly paused: boolean;
}

/** What an import did: whether it set the pause, and the DAG's pause now. */
export interface PauseImport {
  readonly imported: boolean;
  readonly paused: boolean;
}

const refuse = () =>
  new restate.TerminalError(
    "The DAG state change was not signed by this deployment's web tier.",
    { errorCode: 403 },
  );

/**
 * Whether a DAG is paused (Airflow's `is_paused`), kept in Restate so that every web instance agrees. Its handlers
 * are public, since the web tier reaches them through the ingress, and take only calls the web tier signed with
 * POEKHALI_INTERNAL_KEY for this DAG: a page in the user's browser cannot unpause a DAG behind the web tier's back.
 */
export const dagStateObject = restate.object({
  name: DAG_STATE_NAME,
  description:
    "Whether a DAG is paused (PATCH /api/v2/dags/{dag_id}), shared by every web instance",
  handlers: {
    /** Pauses or unpauses the DAG and answers its pause now. */
    setPaused: (
      ctx: restate.ObjectContext,
      call: SignedCall<PauseChange>,
    ): Promise<boolean> => {
      if (!verifyCall(DAG_STATE_PURPOSE, ctx.key, call))
        return Promise.reject(refuse());
      ctx.set<boolean>(PAUSED_STATE_KEY, call.payload.paused);
      return Promise.resolve(call.payload.paused);
    },
    /**
     * Sets the pause a web tier's old `api-state.json` kept, unless the DAG already has one: importing twice, or
     * after someone changed the pause through another instance, changes nothing.
     */
    importPaused: async (
      ctx: restate.ObjectContext,
      call: SignedCall<PauseChange>,
    ): Promise<PauseImport> => {
      if (!verifyCall(DAG_STATE_PURPOSE, ctx.key, call)) throw refuse();
      const now = await ctx.get<boolean>(PAUSED_STATE_KEY);
      if (now !== null) return { imported: false, paused: now };
      ctx.set<boolean>(PAUSED_STATE_KEY, call.payload.paused);
      return { imported: true, paused: call.payload.paused };
    },
  },
  // The state is what matters, and the event log says who changed what: a kept journal per change would be one more
  // row in Restate for every trigger, for a day.
  options: { journalRetention: 0 },
});

/** The DAG state object's Restate definition type, for typed clients. */
export type DagStateObject = typeof dagStateObject;
/** The DAG state object as a typed target (key: the DAG id): a renamed handler breaks the build. */
export const DAG_STATE: DagStateObject = { name: DAG_STATE_NAME };
