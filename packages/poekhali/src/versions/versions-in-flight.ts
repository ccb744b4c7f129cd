import type { Introspection } from "../api/dag-runs.js";
import { keptVersion, versionOf, type DagVersion } from "./dag-versions.js";

/**
 * The versions of the DAG code that unfinished runs are pinned to, other than `current`: the worker must keep
 * serving them until those runs end. A version whose snapshot is gone is reported, not served.
 */
export async function versionsInFlight(
  restate: Introspection,
  dagsFolder: string,
  current: string,
): Promise<{ versions: DagVersion[]; lost: { hash: string; runs: number }[] }> {
  const rows = await restate.query<{ endpoint: string; runs: number }>(
    "SELECT d.endpoint AS endpoint, COUNT(*) AS runs FROM sys_invocation i JOIN sys_deployment d ON i.pinned_deployment_id = d.id " +
      "WHERE i.status != 'completed' GROUP BY d.endpoint",
  );
  const versions: DagVersion[] = [];
  const lost: { hash: string; runs: number }[] = [];
  for (const row of rows) {
    const hash = versionOf(row.endpoint);
    if (!hash || hash === current || versions.some((v) => v.hash === hash))
      continue;
    const kept = keptVersion(dagsFolder, hash);
    if (kept) versions.push(kept);
    else lost.push({ hash, runs: Number(row.runs) });
  }
  return { versions, lost };
}
