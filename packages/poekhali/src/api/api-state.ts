import * as clients from "@restatedev/restate-sdk-clients";
import { signCall } from "@poekhali/core";
import {
  DAG_STATE,
  DAG_STATE_NAME,
  DAG_STATE_PURPOSE,
  PAUSED_STATE_KEY,
  type PauseImport,
} from "../api-state/dag-state-object.js";
import {
  RUN_RECORD,
  RUN_RECORD_NAME,
  RUN_RECORD_PURPOSE,
  RUN_RECORD_STATE_KEY,
  runRecordKey,
  type RunRecord,
} from "../api-state/run-record-object.js";
import type { Introspection } from "./dag-runs.js";
import { retryPassing } from "./ingress-retry.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

export type { RunRecord } from "../api-state/run-record-object.js";

/**
 * How long a change waits out Restate failing over or restarting. Every handler sets a value, so a change made again
 * after an unclear failure changes nothing more; a trigger whose run started is not answered 500 for its record.
 */
const WRITE_PATIENCE_MS = 20_000;

/**
 * Paused DAGs, and trigger details and notes of runs: what the REST API keeps beyond the runs' workflows, in
 * Restate's `poekhali_dag_state` and `poekhali_run_record` objects, so that every web instance sees the same. Reads
 * are SQL over Restate's `state` table (a read is no invocation Restate keeps); changes are calls signed with
 * POEKHALI_INTERNAL_KEY.
 *
 * @example
 * const state = new ApiState(restate.ingressUrl, new RestateAdmin(restate.adminUrl));
 * await state.setPaused("telegram_go_button", true);
 */
export class ApiState {
  readonly #ingress: clients.Ingress;

  constructor(
    ingressUrl: string,
    private readonly introspection: Pick<Introspection, "query">,
  ) {
    this.#ingress = clients.connect({ url: ingressUrl });
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

  /** Pauses or unpauses a DAG, durably, for every web instance. */
  async setPaused(dagId: string, paused: boolean): Promise<void> {
    await retryPassing(
      () =>
        this.#ingress
          .objectClient(DAG_STATE, dagId)
          .setPaused(signCall(DAG_STATE_PURPOSE, dagId, { paused })),
      WRITE_PATIENCE_MS,
    );
  }

  /** Sets the pause an old `api-state.json` kept, unless the DAG has one already. */
  async importPaused(dagId: string, paused: boolean): Promise<PauseImport> {
    return await this.#ingress
      .objectClient(DAG_STATE, dagId)
      .importPaused(signCall(DAG_STATE_PURPOSE, dagId, { paused }));
  }

  /**
   * What was recorded of these DAGs' runs (of the runs `runIds` only, when given), by DAG id and then run id, in one
   * SQL query.
   */
  async runs(
    dagIds: readonly string[],
    runIds?: readonly string[],
  ): Promise<Map<string, Map<string, RunRecord>>> {
    const byDag = new Map<string, Map<string, RunRecord>>();
    if (dagIds.length === 0 || runIds?.length === 0) return byDag;
    const which = runIds
      ? `service_key IN (${dagIds.flatMap((d) => runIds.map((r) => sql(runRecordKey(d, r)))).join(", ")})`
      : `(${dagIds.map((d) => `starts_with(service_key, ${sql(runRecordKey(d, ""))})`).join(" OR ")})`;
    const rows = await this.introspection.query<{
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key AS key, value_utf8 FROM state WHERE service_name = ${sql(RUN_RECORD_NAME)} ` +
        `AND key = ${sql(RUN_RECORD_STATE_KEY)} AND ${which}`,
    );
    for (const row of rows) {
      if (row.value_utf8 === null) continue;
      // A DAG id holds no "/": the first one ends it, and the run id (which may hold any) is the rest.
      const slash = row.key.indexOf("/");
      const dagId = row.key.slice(0, slash);
      const runs = byDag.get(dagId) ?? new Map<string, RunRecord>();
      runs.set(
        row.key.slice(slash + 1),
        JSON.parse(row.value_utf8) as RunRecord,
      );
      byDag.set(dagId, runs);
    }
    return byDag;
  }

  /** What was recorded when the run was started through the API, if it was. */
  async run(dagId: string, runId: string): Promise<RunRecord | undefined> {
    return (await this.runs([dagId], [runId])).get(dagId)?.get(runId);
  }

  #run(dagId: string, runId: string) {
    return this.#ingress.objectClient(RUN_RECORD, runRecordKey(dagId, runId));
  }

  #sign<T>(dagId: string, runId: string, payload: T) {
    return signCall(RUN_RECORD_PURPOSE, runRecordKey(dagId, runId), payload);
  }

  /** Records (or replaces) what the API knows of a run. */
  async setRun(dagId: string, runId: string, record: RunRecord): Promise<void> {
    await retryPassing(
      () => this.#run(dagId, runId).record(this.#sign(dagId, runId, record)),
      WRITE_PATIENCE_MS,
    );
  }

  /** Sets a run's note, on `fallback` when the API recorded nothing of the run. */
  async setRunNote(
    dagId: string,
    runId: string,
    note: string | null,
    fallback: RunRecord,
  ): Promise<RunRecord> {
    return await retryPassing(
      () =>
        this.#run(dagId, runId).setNote(
          this.#sign(dagId, runId, { note, fallback }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /** Sets a task instance's note, on `fallback` when the API recorded nothing of the run. */
  async setTaskNote(
    dagId: string,
    runId: string,
    taskId: string,
    note: string | null,
    fallback: RunRecord,
  ): Promise<RunRecord> {
    return await retryPassing(
      () =>
        this.#run(dagId, runId).setTaskNote(
          this.#sign(dagId, runId, { task_id: taskId, note, fallback }),
        ),
      WRITE_PATIENCE_MS,
    );
  }

  /** Forgets a deleted run. */
  async deleteRun(dagId: string, runId: string): Promise<void> {
    await retryPassing(
      () => this.#run(dagId, runId).forget(this.#sign(dagId, runId, null)),
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
      this.#sign(dagId, runId, record),
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
