import type { Dag, TaskInstance } from "@poekhali/core";
import type { DagRuns } from "./dag-runs.js";
import { deferralLines, taskWait } from "./task-wait.js";

/** When a kept log line was written (its leading ISO 8601 stamp), or 0 for a line without one. */
function timeOf(line: string): number {
  const at = Date.parse(line.slice(0, line.indexOf(" ")));
  return Number.isNaN(at) ? 0 : at;
}

/**
 * The log of one try of a task, as the REST API and the run page show it: the lines the try kept and, for a
 * deferrable task, the lines of its wait, which runs in no step and so keeps none (when it parked, for what, until
 * when, how it ended). Empty for a try that kept nothing.
 */
export async function tryLog(
  runs: DagRuns,
  dag: Dag,
  conf: Record<string, unknown>,
  runId: string,
  ti: TaskInstance,
  tryNumber: number,
): Promise<string[]> {
  const kept = (await runs.logs(dag, runId, ti.task_id, tryNumber)) ?? [];
  const attempt =
    tryNumber === ti.try_number
      ? ti
      : ti.tries?.find((t) => t.try_number === tryNumber);
  if (!attempt) return kept;
  const wait = await taskWait(
    dag,
    conf,
    { task_id: ti.task_id, start_date: attempt.start_date },
    (id) => runs.xcom(dag, runId, id),
  );
  const told = deferralLines(dag, ti.task_id, attempt, wait);
  // Both are stamped with the run's times: merged in time order, so a later line only ever appends.
  return [...kept, ...told].sort((a, b) => timeOf(a) - timeOf(b));
}
