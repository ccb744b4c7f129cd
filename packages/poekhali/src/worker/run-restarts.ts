import { setTimeout as sleep } from "node:timers/promises";
import * as restate from "@restatedev/restate-sdk";
import {
  handlerTarget,
  type DagRunInput,
  type DagWorkflow,
  type RestateIngress,
} from "@poekhali/core";
import type { RestateAdmin } from "../restate/restate-admin.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

/** The Restate name of the object that starts finished runs again. */
export const RUN_RESTARTS_NAME = "poekhali_run_restarts";

/** The object's key for one run: changes to one run wait for each other. */
export const runRestartsKey = (dagId: string, runId: string) =>
  `${dagId}/${runId}`;

/** Start this finished run again with this input (a clear, or states set by hand). */
export interface RestartRequest {
  readonly dag_id: string;
  readonly run_id: string;
  /** The finished invocation the change was made from. */
  readonly invocation_id: string;
  /**
   * When Restate created that invocation, as its introspection shows it. A workflow's invocation id is derived from
   * its key, so a run started again keeps its id: this tells the two apart, and a change made from an older one
   * than the run's now is refused.
   */
  readonly created_at: string;
  readonly input: DagRunInput;
}

/** Whether the run started again, and as which invocation. */
export type RestartAnswer =
  | { readonly restarted: true; readonly invocation_id: string }
  | { readonly restarted: false; readonly reason: string };

/** How long Restate may take to let go of a purged workflow key. */
const FREE_KEY_MS = 30_000;

/**
 * A Restate object keyed by run that starts a finished run again. A workflow key runs once, so the finished
 * invocation is purged (its state with it) and the key started anew with the edited state as input. Both steps are
 * journaled: a crash between them resumes at the second, and the state travels in this handler's input, which
 * Restate keeps, so a run is never left purged and not started.
 */
export function runRestarts(options: {
  readonly admin: RestateAdmin;
  readonly ingress: RestateIngress;
}) {
  const { admin, ingress } = options;
  return restate.object({
    name: RUN_RESTARTS_NAME,
    handlers: {
      restart: async (
        ctx: restate.ObjectContext,
        request: RestartRequest,
      ): Promise<RestartAnswer> => {
        const current = await ctx.run("which invocation runs it now", () =>
          latestRun(admin, request),
        );
        if (
          current?.id !== request.invocation_id ||
          current.created_at !== request.created_at
        )
          return {
            restarted: false,
            reason: `run '${request.run_id}' was changed by someone else meanwhile`,
          };
        if (current.status !== "completed")
          return {
            restarted: false,
            reason: `run '${request.run_id}' has not ended`,
          };
        await ctx.run("forget the finished invocation", () =>
          forget(admin, request.invocation_id),
        );
        const id = await ctx.run("start the run again", () =>
          startAgain(admin, ingress, request),
        );
        return { restarted: true, invocation_id: id };
      },
    },
  });
}

/** The typed definition of the restarts object, for callers. */
export type RunRestarts = ReturnType<typeof runRestarts>;

async function latestRun(
  admin: RestateAdmin,
  request: RestartRequest,
): Promise<{ id: string; status: string; created_at: string } | null> {
  const rows = await admin.query<{
    id: string;
    status: string;
    created_at: string;
  }>(
    `SELECT id, status, CAST(created_at AS VARCHAR) AS created_at FROM sys_invocation WHERE target_service_name = ${sql(request.dag_id)} ` +
      `AND target_service_key = ${sql(request.run_id)} AND target_handler_name = 'run' ORDER BY created_at DESC LIMIT 1`,
  );
  return rows[0] ?? null;
}

/** Purges the invocation; one already gone (an earlier try of this step purged it) is fine. */
async function forget(admin: RestateAdmin, invocationId: string) {
  try {
    await admin.purge(invocationId);
  } catch (error) {
    const left = await admin.query<{ id: string }>(
      `SELECT id FROM sys_invocation WHERE id = ${sql(invocationId)}`,
    );
    if (left.length > 0) throw error;
  }
}

/** Submits the run again under its key, once Restate has let go of the purged invocation. */
async function startAgain(
  admin: RestateAdmin,
  ingress: RestateIngress,
  request: RestartRequest,
): Promise<string> {
  const deadline = Date.now() + FREE_KEY_MS;
  // A typed stand-in for the DAG's workflow: every DAG's has the handlers of `dagWorkflow`.
  const run: DagWorkflow = { name: request.dag_id };
  for (;;) {
    const accepted = await ingress.send(
      handlerTarget(run, "run", request.run_id),
      request.input as never,
    );
    if (accepted.status === "Accepted") return accepted.invocationId;
    // Already there: this step's own submission before a crash (created anew), or the purge not applied yet.
    const now = await latestRun(admin, request);
    if (now && now.created_at !== request.created_at)
      return accepted.invocationId;
    if (Date.now() > deadline)
      throw new Error(
        `Restate still holds the finished invocation of run '${request.run_id}' ${FREE_KEY_MS / 1000} s after its purge`,
      );
    await sleep(50);
  }
}
