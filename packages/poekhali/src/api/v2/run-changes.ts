import type { Dag } from "@poekhali/core";
import { RunChangeRefused, type RunEdit } from "../dag-runs.js";
import { waitFor } from "../../wait-for.js";
import { V2Error } from "./v2-error.js";
import { runFacts, type V2Options } from "./v2-options.js";

/** How long a state set by hand may take to show: the run starts again, finds nothing to do, and ends. */
const SETTLE_MS = 30_000;

/**
 * Changes a finished run (a clear, or states set by hand) and starts it again from where it stopped; Airflow's 409
 * names why when the run cannot be changed now. With `settle`, answers once the run has ended again (a state set by
 * hand runs nothing, so this is quick); without, once it is queued. Returns false when the edit changed nothing.
 */
export async function changeRun(
  options: V2Options,
  dag: Dag,
  runId: string,
  edit: RunEdit,
  settle: boolean,
): Promise<boolean> {
  let changed: boolean;
  try {
    changed = await options.runs.restart(dag, runId, edit);
  } catch (error) {
    if (error instanceof RunChangeRefused)
      throw new V2Error(409, error.message);
    throw error;
  }
  if (changed && settle)
    await waitFor(`run ${runId} to end again`, SETTLE_MS, async () => {
      const [now] = await runFacts(options, [dag], runId);
      return (
        now?.snapshot.state === "success" || now?.snapshot.state === "failed"
      );
    });
  return changed;
}

/** Refuses a change to a run that has not ended, before anything changes. */
export function refuseWhileGoing(runId: string, state: string, what: string) {
  if (state === "queued" || state === "running")
    throw new V2Error(
      409,
      `run '${runId}' is ${state}: poekhali ${what} only once a run has ended; set the run's state to "failed" ` +
        `to stop it first`,
    );
}
