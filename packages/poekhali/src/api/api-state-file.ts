import { existsSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import * as clients from "@restatedev/restate-sdk-clients";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import type { ApiState, RunRecord } from "./api-state.js";
import { retryPassing } from "./ingress-retry.js";

/** The file in POEKHALI_HOME where web tiers before Restate kept paused DAGs, run notes and trigger details. */
export const API_STATE_FILE = "api-state.json";

/** What the file becomes once imported: kept as a backup, and never imported again. */
export const IMPORTED_API_STATE_FILE = `${API_STATE_FILE}.imported`;

/** What an import moved into Restate. */
export interface ApiStateImport {
  /** Pauses set (a DAG that already had one in Restate keeps it). */
  readonly pauses: number;
  /** Run records kept (a run that already had one in Restate keeps it). */
  readonly runs: number;
  /** Pauses and records Restate already had, left as they are. */
  readonly kept: number;
}

// Calls at once while run records are imported: a big file goes quicker, without flooding the ingress.
const IMPORT_CONCURRENCY = 16;

const shape = (
  kept: unknown,
): kept is {
  paused?: Record<string, unknown>;
  runs?: Record<string, Record<string, RunRecord>>;
} =>
  typeof kept === "object" &&
  kept !== null &&
  !Array.isArray(kept) &&
  ["paused", "runs"].every((field) => {
    const value = (kept as Record<string, unknown>)[field];
    return (
      value === undefined ||
      (typeof value === "object" && value !== null && !Array.isArray(value))
    );
  });

/**
 * Moves an old `POEKHALI_HOME/api-state.json` (paused DAGs, run notes, trigger details) into Restate, once: pauses
 * first, then run records, each only where Restate has none yet (so an import run twice, or racing a change made
 * through another instance, changes nothing that was set since), then renames the file to `api-state.json.imported`.
 * The web tier awaits it before it listens, so a DAG the file kept paused never takes a trigger. Answers null when
 * there is no file. Waits while the worker does not serve the objects yet (`poekhali register` not run).
 *
 * @example
 * await importApiStateFile(config.home, new ApiState(restate.ingressUrl, admin), log);
 */
export async function importApiStateFile(
  home: string,
  state: Pick<ApiState, "importPaused" | "importRun">,
  log: (line: string) => void,
): Promise<ApiStateImport | null> {
  const file = join(home, API_STATE_FILE);
  if (!existsSync(file)) return null;
  let kept: unknown;
  try {
    kept = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new Error(
      `${file} is not the JSON poekhali wrote (${error instanceof Error ? error.message : String(error)}); ` +
        "restore it from a backup, or remove it to start with no DAG paused and no run notes",
    );
  }
  if (!shape(kept))
    throw new Error(
      `${file} is not the JSON poekhali wrote ("paused" and "runs" must be objects); ` +
        "restore it from a backup, or remove it to start with no DAG paused and no run notes",
    );
  let told = false;
  const patiently = async <T>(call: () => PromiseLike<T>): Promise<T> => {
    try {
      // For as long as it takes: serving before the pauses are in Restate would let a paused DAG take a trigger.
      return await retryPassing(call, Infinity, (error) => {
        if (!told)
          log(
            `importing ${file} into Restate waits for the worker's deployment (poekhali register): ${error instanceof Error ? error.message : String(error)}`,
          );
        told = true;
      });
    } catch (error) {
      if (error instanceof clients.HttpCallError && error.status === 403)
        throw new Error(
          `Restate refused the import of ${file}: the worker's ${INTERNAL_KEY_ENV} is not this web tier's`,
          { cause: error },
        );
      throw error;
    }
  };
  let pauses = 0;
  let runs = 0;
  let already = 0;
  for (const [dagId, paused] of Object.entries(kept.paused ?? {})) {
    if (typeof paused !== "boolean") continue;
    const answer = await patiently(() => state.importPaused(dagId, paused));
    if (answer.imported) pauses += 1;
    else already += 1;
  }
  const records = Object.entries(kept.runs ?? {}).flatMap(([dagId, byRun]) =>
    typeof byRun === "object" && byRun !== null
      ? Object.entries(byRun).map(([runId, record]) => ({
          dagId,
          runId,
          record,
        }))
      : [],
  );
  let next = 0;
  const importer = async () => {
    for (let one = records[next++]; one; one = records[next++]) {
      const { dagId, runId, record } = one;
      if (await patiently(() => state.importRun(dagId, runId, record)))
        runs += 1;
      else already += 1;
    }
  };
  await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, importer));
  renameSync(file, join(home, IMPORTED_API_STATE_FILE));
  log(
    `imported ${file} into Restate: ${pauses} pause(s) and ${runs} run record(s) (${already} already there, left ` +
      `as they were); the file is kept as ${IMPORTED_API_STATE_FILE}`,
  );
  return { pauses, runs, kept: already };
}
