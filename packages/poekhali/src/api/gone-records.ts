import type { RunRecord, RunRef } from "./api-state.js";

/** How old a record of a run Restate does not list must be before it is taken for gone. */
export const GONE_AFTER_MS = 24 * 60 * 60 * 1000;

/**
 * The records, among those read of some DAGs, whose runs Restate no longer lists (purged after the workflow's
 * retention, or imported from an old `api-state.json` for runs long gone), queued more than a day ago: a run started
 * just now may not be listed yet, and one that still runs is listed however old it is.
 */
export function goneRecords(
  records: ReadonlyMap<string, ReadonlyMap<string, RunRecord>>,
  listed: readonly RunRef[],
  now: number,
): RunRef[] {
  const runs = new Set(listed.map((r) => `${r.dag_id}\u0000${r.run_id}`));
  const gone: RunRef[] = [];
  for (const [dagId, byRun] of records)
    for (const [runId, record] of byRun) {
      const queued = Date.parse(record.queued_at);
      if (
        !runs.has(`${dagId}\u0000${runId}`) &&
        Number.isFinite(queued) &&
        now - queued > GONE_AFTER_MS
      )
        gone.push({ dag_id: dagId, run_id: runId });
    }
  return gone;
}
