import { join } from "node:path";
import type { Dag } from "@poekhali/core";
import { loadDags, type DagImportError } from "../dag-loader.js";
import { snapshotDags, type DagVersion } from "../versions/dag-versions.js";

/** The DAG code as it is now: its kept version and what loading it found. */
export interface DagCode {
  readonly current: DagVersion;
  readonly dags: ReadonlyMap<string, Dag>;
  /** Each DAG's file in the user's DAGs folder (not the snapshot), by DAG id. */
  readonly files: ReadonlyMap<string, string>;
  /** Files that failed to load, named by their path in the user's folder. */
  readonly errors: readonly DagImportError[];
}

/**
 * Snapshots the DAGs folder (kept by its hash, so that runs started on this code can finish on it after edits),
 * loads the snapshot and logs what it found.
 */
export async function loadDagCode(
  dagsFolder: string,
  log: (line: string) => void,
): Promise<DagCode> {
  const current = snapshotDags(dagsFolder);
  const loaded = await loadDags(current.folder);
  // Name the user's files, not their snapshot copies.
  const errors = loaded.errors.map((e) => ({
    ...e,
    path: e.path.replace(current.folder, dagsFolder),
  }));
  for (const e of errors) log(`could not load DAG file ${e.path}: ${e.error}`);
  for (const warning of loaded.warnings) log(`warning: ${warning}`);
  log(
    `DAGs: ${[...loaded.dags.keys()].join(", ") || "none"} (from ${dagsFolder}, code version ${current.hash})`,
  );
  return {
    current,
    dags: loaded.dags,
    files: new Map(
      [...loaded.files].map(([id, name]) => [id, join(dagsFolder, name)]),
    ),
    errors,
  };
}
