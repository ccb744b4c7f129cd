import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** The file in POEKHALI_HOME that keeps what the REST API knows beyond a run's workflow state. */
export const API_STATE_FILE = "api-state.json";

/** What the API records when it starts a run: what Airflow keeps on its DagRun row and the workflow does not. */
export interface RunRecord {
  /** The trigger's `logical_date`, null when none was given (Airflow 3's manual default). */
  readonly logical_date: string | null;
  readonly run_after: string;
  readonly queued_at: string;
  readonly triggered_by: "rest_api" | "ui" | "cli" | null;
  readonly triggering_user_name: string | null;
  /** The trigger's explicit data interval, if it gave one. */
  readonly data_interval?: readonly [string, string] | null;
  readonly partition_key?: string | null;
  note: string | null;
  /** Notes on task instances, by task id. */
  task_notes?: Record<string, string | null>;
}

interface Kept {
  paused: Record<string, boolean>;
  runs: Record<string, Record<string, RunRecord>>;
}

/**
 * Paused DAGs, run notes and trigger details, kept in one JSON file in POEKHALI_HOME: every change is written to a
 * temporary file and renamed over the old one, so a crash leaves the old or the new state, never half of one. Only
 * the app writes it, and it writes synchronously, so two requests never interleave their writes.
 *
 * @example
 * const state = ApiState.open(config.home);
 * state.setPaused("telegram_go_button", true);
 */
export class ApiState {
  private constructor(
    private readonly file: string,
    private readonly kept: Kept,
  ) {}

  /** Reads the state kept in `home` (none yet: an empty one). */
  static open(home: string): ApiState {
    const file = join(home, API_STATE_FILE);
    if (!existsSync(file)) return new ApiState(file, { paused: {}, runs: {} });
    let kept: Partial<Kept>;
    try {
      kept = JSON.parse(readFileSync(file, "utf8")) as Partial<Kept>;
    } catch (error) {
      throw new Error(
        `${file} is not the JSON poekhali wrote (${error instanceof Error ? error.message : String(error)}); ` +
          "restore it from a backup, or remove it to start with no DAG paused and no run notes",
      );
    }
    return new ApiState(file, {
      paused: kept.paused ?? {},
      runs: kept.runs ?? {},
    });
  }

  /** Whether the DAG is paused: a paused DAG starts no new runs. */
  isPaused(dagId: string): boolean {
    return this.kept.paused[dagId] === true;
  }

  /** Pauses or unpauses a DAG, durably. */
  setPaused(dagId: string, paused: boolean): void {
    this.kept.paused[dagId] = paused;
    this.#write();
  }

  /** What was recorded when the run was started through the API, if it was. */
  run(dagId: string, runId: string): RunRecord | undefined {
    return this.kept.runs[dagId]?.[runId];
  }

  /** Records (or replaces) what the API knows of a run. */
  setRun(dagId: string, runId: string, record: RunRecord): void {
    (this.kept.runs[dagId] ??= {})[runId] = record;
    this.#write();
  }

  /** Forgets a deleted run. */
  deleteRun(dagId: string, runId: string): void {
    delete this.kept.runs[dagId]?.[runId];
    this.#write();
  }

  #write(): void {
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify(this.kept)}\n`, { mode: 0o600 });
    renameSync(temporary, this.file);
  }
}
