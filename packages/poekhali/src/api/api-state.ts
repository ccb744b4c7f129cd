import { randomUUID } from "node:crypto";
import * as clients from "@restatedev/restate-sdk-clients";
import {
  DAG_STATE,
  DAG_STATE_NAME,
  KEY_CHECK_KEY,
  PAUSED_STATE_KEY,
  type PauseImport,
} from "../api-state/dag-state-object.js";
import {
  RUN_RECORD,
  RUN_RECORD_NAME,
  RUN_RECORD_STATE_KEY,
  runRecordKey,
  type RunRecord,
} from "../api-state/run-record-object.js";
import { signChange } from "../api-state/signed-change.js";
import type { Introspection } from "./dag-runs.js";
import { retryPassing, untilServed } from "./ingress-retry.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

export type { RunRecord } from "../api-state/run-record-object.js";

/**
 * How long a change waits out Restate failing over or restarting. Each change is sent with one idempotency key for
 * all its tries, so a retry after an unclear failure answers the first call's result and never does the change again
 * after another instance's.
 */
const WRITE_PATIENCE_MS = 20_000;

/** One run, by DAG id and run id. */
export interface RunRef {
  readonly dag_id: string;
  readonly run_id: string;
}

/** How an {@link ApiState} signs and where it tells what it could not do. */
export interface ApiStateOptions {
  /** The key changes are signed with; POEKHALI_INTERNAL_KEY when absent. */
  readonly key?: string;
  /** Where a trigger's record that could not be written is told (never with a key or a signature). */
  readonly log?: (line: string) => void;
}

/**
 * Paused DAGs, and trigger details and notes of runs: what the REST API keeps beyond the runs' workflows, in
 * Restate's `poekhali_dag_state` and `poekhali_run_record` objects, so that every web instance sees the same. Reads
 * are SQL over Restate's `state` table (a read is no invocation Restate keeps); changes are calls signed with
 * POEKHALI_INTERNAL_KEY for their handler and object key.
 *
 * @example
 * const state = new ApiState(restate.ingressUrl, new RestateAdmin(restate.adminUrl));
 * await state.setPaused("telegram_go_button", true);
 */
export class ApiState {
  readonly #ingress: clients.Ingress;
  readonly #key: string | undefined;
  readonly #log: (line: string) => void;

  constructor(
    ingressUrl: string,
    private readonly introspection: Pick<Introspection, "query">,
    options: ApiStateOptions = {},
  ) {
    this.#ingress = clients.connect({ url: ingressUrl });
    this.#key = options.key;
    this.#log = options.log ?? (() => {});
  }

  /**
   * Checks, before the web tier serves, that the workers take its signed calls: waits while Restate is out of reach
   * or serves no `poekhali_dag_state` yet (saying so in `log`), and throws, naming POEKHALI_INTERNAL_KEY, when the
   * worker refuses the signature.
   */
  async checkKey(log: (line: string) => void): Promise<void> {
    await untilServed(
      "checking POEKHALI_INTERNAL_KEY with the workers",
      DAG_STATE_NAME,
      // Signed afresh for each try: waiting for the deployment may take longer than a signature is valid.
      () =>
        this.#ingress
          .objectClient(DAG_STATE, KEY_CHECK_KEY)
          .check(
            signChange(DAG_STATE_NAME, "check", KEY_CHECK_KEY, {}, this.#key),
          ),
      log,
    );
  }

  /** Which of these DAGs are paused (one SQL query). */
  async pausedOf(dagIds: readonly string[]): Promise<ReadonlySet<string>> {
    if (dagIds.length === 0) return new Set();
    const rows = await this.introspection.query<{
      dag_id: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key AS dag_id, value_utf8 FROM state WHERE service_name = ${sql(DAG_STATE_NAME)} ` +
        `AND key = ${sql(PAUSED_STATE_KEY)} AND service_key IN (${dagIds.map(sql).join(", ")})`,
    );
    return new Set(
      rows.filter((r) => r.value_utf8 === "true").map((r) => r.dag_id),
    );
  }

  /** Whether the DAG is paused: a paused DAG starts no new runs. */
  async isPaused(dagId: string): Promise<boolean> {
    return (await this.pausedOf([dagId])).has(dagId);
  }

  /** Pauses or unpauses a DAG, durably, for every web instance; answers the pause as the object set it. */
  async setPaused(dagId: string, paused: boolean): Promise<boolean> {
    const call = signChange(
      DAG_STATE_NAME,
      "setPaused",
      dagId,
      { paused },
      this.#key,
    );
    const idempotencyKey = randomUUID();
    return await retryPassing(
      () =>
        this.#ingress
          .objectClient(DAG_STATE, dagId)
          .setPaused(call, clients.rpc.opts({ idempotencyKey })),
      WRITE_PATIENCE_MS,
    );
  }

  /** Sets the pause an old `api-state.json` kept, unless the DAG has one already. */
  async importPaused(dagId: string, paused: boolean): Promise<PauseImport> {
    return await this.#ingress
      .objectClient(DAG_STATE, dagId)
      .importPaused(
        signChange(
          DAG_STATE_NAME,
          "importPaused",
          dagId,
          { paused },
          this.#key,
        ),
      );
  }

  /** What was recorded of these DAGs' runs (of the runs `runIds` only, when given), by DAG id then run id. */
  async runs(
    dagIds: readonly string[],
    runIds?: readonly string[],
  ): Promise<Map<string, Map<string, RunRecord>>> {
    if (runIds)
      return await this.runsOf(
        dagIds.flatMap((d) => runIds.map((r) => ({ dag_id: d, run_id: r }))),
      );
    if (dagIds.length === 0) return new Map();
    return await this.#records(
      `(${dagIds.map((d) => `starts_with(service_key, ${sql(runRecordKey(d, ""))})`).join(" OR ")})`,
    );
  }

  /** What was recorded of exactly these runs (a page of runs), by DAG id then run id, in one SQL query. */
  async runsOf(
    runs: readonly RunRef[],
  ): Promise<Map<string, Map<string, RunRecord>>> {
    if (runs.length === 0) return new Map();
    return await this.#records(
      `service_key IN (${runs.map((r) => sql(runRecordKey(r.dag_id, r.run_id))).join(", ")})`,
    );
  }

  async #records(which: string): Promise<Map<string, Map<string, RunRecord>>> {
    const byDag = new Map<string, Map<string, RunRecord>>();
    const rows = await this.introspection.query<{
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key AS key, value_utf8 FROM state WHERE service_name = ${sql(RUN_RECORD_NAME)} ` +
        `AND key = ${sql(RUN_RECORD_STATE_KEY)} AND ${which}`,
    );
    for (const row of rows) {
      const record =
        row.value_utf8 === null
          ? null
          : (JSON.parse(row.value_utf8) as RunRecord | null);
      if (record === null) continue;
      // A DAG id holds no "/": the first one ends it, and the run id (which may hold any) is the rest.
      const slash = row.key.indexOf("/");
      const dagId = row.key.slice(0, slash);
      const runs = byDag.get(dagId) ?? new Map<string, RunRecord>();
      runs.set(row.key.slice(slash + 1), record);
      byDag.set(dagId, runs);
    }
    return byDag;
  }

  /** What was recorded when the run was started through the API, if it was. */
  async run(dagId: string, runId: string): Promise<RunRecord | undefined> {
    return (await this.runsOf([{ dag_id: dagId, run_id: runId }]))
      .get(dagId)
      ?.get(runId);
  }

  #run(dagId: string, runId: string) {
    return this.#ingress.objectClient(RUN_RECORD, runRecordKey(dagId, runId));
  }

  #sign<T extends object>(
    handler: string,
    dagId: string,
    runId: string,
    change: T,
  ) {
    return signChange(
      RUN_RECORD_NAME,
      handler,
      runRecordKey(dagId, runId),
      change,
      this.#key,
    );
  }

  /** Records what the API knows of a run it started; notes set on the run meanwhile are kept. */
  async setRun(dagId: string, runId: string, record: RunRecord): Promise<void> {
    const call = this.#sign("record", dagId, runId, record);
    const idempotencyKey = randomUUID();
    await retryPassing(
      () =>
        this.#run(dagId, runId).record(
          call,
          clients.rpc.opts({ idempotencyKey }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /**
   * Records a trigger's details once its run has started. Never throws: the run stands whether or not its record
   * could be written, so the trigger answers the run (a client retrying a 500 would start another); a failure is
   * logged, without the key or the signature.
   */
  async recordTrigger(
    dagId: string,
    runId: string,
    record: RunRecord,
  ): Promise<void> {
    try {
      await this.setRun(dagId, runId, record);
    } catch (error) {
      this.#log(
        `[web] run ${runId} of DAG ${dagId} started, but its trigger details (note, user, run_after) were not ` +
          `recorded in Restate: ${error instanceof clients.HttpCallError ? `${error.status} ${error.responseText.slice(0, 300)}` : error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** Sets a run's note, on `fallback` when the API recorded nothing of the run; answers the record as set. */
  async setRunNote(
    dagId: string,
    runId: string,
    note: string | null,
    fallback: RunRecord,
  ): Promise<RunRecord> {
    const call = this.#sign("setNote", dagId, runId, { note, fallback });
    const idempotencyKey = randomUUID();
    return await retryPassing(
      () =>
        this.#run(dagId, runId).setNote(
          call,
          clients.rpc.opts({ idempotencyKey }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /** Sets a task instance's note, on `fallback` when the API recorded nothing of the run; answers the record. */
  async setTaskNote(
    dagId: string,
    runId: string,
    taskId: string,
    note: string | null,
    fallback: RunRecord,
  ): Promise<RunRecord> {
    const call = this.#sign("setTaskNote", dagId, runId, {
      task_id: taskId,
      note,
      fallback,
    });
    const idempotencyKey = randomUUID();
    return await retryPassing(
      () =>
        this.#run(dagId, runId).setTaskNote(
          call,
          clients.rpc.opts({ idempotencyKey }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /** Forgets a deleted run. */
  async deleteRun(dagId: string, runId: string): Promise<void> {
    const call = this.#sign("forget", dagId, runId, {});
    const idempotencyKey = randomUUID();
    await retryPassing(
      () =>
        this.#run(dagId, runId).forget(
          call,
          clients.rpc.opts({ idempotencyKey }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /** Keeps a record from an old `api-state.json`, unless the run has one already; whether it was kept. */
  async importRun(
    dagId: string,
    runId: string,
    record: RunRecord,
  ): Promise<boolean> {
    return await this.#run(dagId, runId).importRecord(
      this.#sign("importRecord", dagId, runId, record),
    );
  }
}

/** The record of a run the API did not start (nothing recorded): its times are its invocation's creation. */
export function unrecordedRun(snapshot: {
  readonly created_at: string;
}): RunRecord {
  return {
    logical_date: null,
    run_after: snapshot.created_at,
    queued_at: snapshot.created_at,
    triggered_by: null,
    triggering_user_name: null,
    note: null,
  };
}
