import {
  existsSync,
  linkSync,
  readFileSync,
  renameSync,
  unlinkSync,
} from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { DAG_STATE_NAME } from "../api-state/dag-state-object.js";
import { RUN_RECORD_NAME } from "../api-state/run-record-object.js";
import type { ApiState, RunRecord } from "./api-state.js";
import { untilServed } from "./ingress-retry.js";
import { runIdProblem } from "./run-id.js";

/** The file in POEKHALI_HOME where web tiers before Restate kept paused DAGs, run notes and trigger details. */
export const API_STATE_FILE = "api-state.json";

/** What the file becomes once imported: kept as a backup, and never imported again (nor overwritten). */
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

// The DAG ids poekhali's DAGs can have (core's Dag): a key that is none was not written by poekhali.
const DAG_ID = /^[A-Za-z0-9_.-]{1,250}$/;

// A record as the web tier before Restate wrote it (the RunRecord of api-state.ts).
const runRecord = z.strictObject({
  logical_date: z.string().nullable(),
  run_after: z.string(),
  queued_at: z.string(),
  triggered_by: z.enum(["rest_api", "ui", "cli"]).nullable(),
  triggering_user_name: z.string().nullable(),
  data_interval: z.tuple([z.string(), z.string()]).nullable().optional(),
  partition_key: z.string().nullable().optional(),
  note: z.string().nullable(),
  task_notes: z.record(z.string(), z.string().nullable()).optional(),
});

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

const shown = (value: unknown) => JSON.stringify(value) ?? String(value);

/** What the file holds, checked whole: every pause and record, or the list of what is wrong (paths named). */
function parseKept(kept: unknown):
  | {
      paused: [string, boolean][];
      runs: { dagId: string; runId: string; record: RunRecord }[];
    }
  | { problems: string[] } {
  if (!isObject(kept))
    return {
      problems: ['the file: must be an object with "paused" and "runs"'],
    };
  const problems: string[] = [];
  const paused: [string, boolean][] = [];
  const runs: { dagId: string; runId: string; record: RunRecord }[] = [];
  const dagId = (path: string, id: string) => {
    if (DAG_ID.test(id)) return true;
    problems.push(`${path}: not a DAG id (1-250 letters, digits or _ . -)`);
    return false;
  };
  for (const field of Object.keys(kept))
    if (field !== "paused" && field !== "runs")
      problems.push(`${field}: not a field poekhali writes ("paused", "runs")`);
  if (kept.paused !== undefined && !isObject(kept.paused))
    problems.push("paused: must be an object of DAG ids to true or false");
  else
    for (const [id, value] of Object.entries(kept.paused ?? {})) {
      if (!dagId(`paused.${id}`, id)) continue;
      if (typeof value === "boolean") paused.push([id, value]);
      else
        problems.push(
          `paused.${id}: must be true or false, not ${shown(value)}`,
        );
    }
  if (kept.runs !== undefined && !isObject(kept.runs))
    problems.push("runs: must be an object of DAG ids to their runs");
  else
    for (const [id, byRun] of Object.entries(kept.runs ?? {})) {
      if (!dagId(`runs.${id}`, id)) continue;
      if (!isObject(byRun)) {
        problems.push(
          `runs.${id}: must be an object of run ids to records, not ${shown(byRun)}`,
        );
        continue;
      }
      for (const [runId, value] of Object.entries(byRun)) {
        const why = runIdProblem(runId);
        if (why) {
          problems.push(`runs.${id}.${runId}: not a run id (${why})`);
          continue;
        }
        const parsed = runRecord.safeParse(value);
        if (parsed.success)
          runs.push({ dagId: id, runId, record: parsed.data });
        else
          for (const issue of parsed.error.issues)
            problems.push(
              `${["runs", id, runId, ...issue.path.map(String)].join(".")}: ${issue.message}`,
            );
      }
    }
  return problems.length > 0 ? { problems } : { paused, runs };
}

/**
 * Moves the imported file aside, never over an earlier backup: claimed first by an atomic rename (so of two instances
 * importing at once, one moves it and the other finds it gone), then linked under the first free backup name.
 * Answers the backup's name, or null when another instance had moved it already.
 */
function keepAsBackup(home: string, file: string): string | null {
  const claim = join(home, `${API_STATE_FILE}.importing-${process.pid}`);
  try {
    renameSync(file, claim);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw error;
  }
  const stamp = new Date().toISOString().replaceAll(":", "-");
  for (let n = 0; ; n++) {
    const name =
      n === 0
        ? IMPORTED_API_STATE_FILE
        : `${IMPORTED_API_STATE_FILE}.${stamp}${n > 1 ? `-${n}` : ""}`;
    try {
      linkSync(claim, join(home, name));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "EEXIST") continue;
      throw error;
    }
    unlinkSync(claim);
    return name;
  }
}

/**
 * Moves an old `POEKHALI_HOME/api-state.json` (paused DAGs, run notes, trigger details) into Restate, once: the whole
 * file is checked first (a bad entry is an error naming it, and nothing is imported), then pauses, then run records,
 * each only where Restate has none yet (so an import run twice, or racing a change made through another instance,
 * changes nothing that was set since), then the file is kept as `api-state.json.imported` (or, when that backup
 * exists already, under a name with the time). The web tier awaits it before it listens, so a DAG the file kept
 * paused never takes a trigger. Answers null when there is no file. Waits while Restate is out of reach or the worker
 * does not serve the objects yet (`poekhali register` not run), saying which.
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
  const what = `importing ${file} into Restate`;
  let kept: unknown;
  try {
    kept = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return null; // another instance imported it just now
    throw new Error(
      `${file} is not the JSON poekhali wrote (${error instanceof Error ? error.message : String(error)}); ` +
        "restore it from a backup, or remove it to start with no DAG paused and no run notes",
    );
  }
  const parsed = parseKept(kept);
  if ("problems" in parsed)
    throw new Error(
      `${file} is not the JSON poekhali wrote (nothing of it was imported):\n` +
        parsed.problems
          .slice(0, 20)
          .map((p) => `  - ${p}`)
          .join("\n") +
        (parsed.problems.length > 20
          ? `\n  - and ${parsed.problems.length - 20} more`
          : "") +
        "\nfix these entries, restore the file from a backup, or remove it to start with no DAG paused and no run notes",
    );
  if (existsSync(join(home, IMPORTED_API_STATE_FILE)))
    log(
      `${file} is back after an earlier import: is a poekhali web of an older version still running on this home? ` +
        "Stop it: what it changes is not seen by the others, and this import sets only what Restate does not have yet",
    );
  let pauses = 0;
  let runs = 0;
  let already = 0;
  for (const [dagId, paused] of parsed.paused) {
    const answer = await untilServed(
      what,
      DAG_STATE_NAME,
      () => state.importPaused(dagId, paused),
      log,
    );
    if (answer.imported) pauses += 1;
    else already += 1;
  }
  let next = 0;
  const importer = async () => {
    for (let one = parsed.runs[next++]; one; one = parsed.runs[next++]) {
      const { dagId, runId, record } = one;
      const imported = await untilServed(
        what,
        RUN_RECORD_NAME,
        () => state.importRun(dagId, runId, record),
        log,
      );
      if (imported) runs += 1;
      else already += 1;
    }
  };
  await Promise.all(Array.from({ length: IMPORT_CONCURRENCY }, importer));
  const backup = keepAsBackup(home, file);
  log(
    `imported ${file} into Restate: ${pauses} pause(s) and ${runs} run record(s) (${already} already there, left ` +
      `as they were); ${backup ? `the file is kept as ${backup}` : "another instance moved the file aside meanwhile"}`,
  );
  return { pauses, runs, kept: already };
}
