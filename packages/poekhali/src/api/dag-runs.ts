import type * as clients from "@restatedev/restate-sdk-clients";
import {
  AIRFLOW_XCOM_NAME,
  xcomObjectKey,
  type AirflowXComObject,
} from "@poekhali/core/airflow";
import {
  RUN_RESTARTS_NAME,
  runRestartsKey,
  type RunRestarts,
} from "../worker/run-restarts.js";
import {
  INGRESS_REFUSED,
  instancesOf,
  logKey,
  RUN_KEY,
  TASK_INSTANCES_KEY,
  xcomKey,
  type DagWorkflow,
  type Json,
  type RunResume,
  type Dag,
  type DagRun,
  type DagRunState,
  type RestateIngress,
  type TaskInstance,
} from "@poekhali/core";
import { HitlRequests } from "./hitl-requests.js";
import { telegramTallies, type TelegramTally } from "./telegram-tallies.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";
import { connectIngress } from "../restate/connect-ingress.js";

/** A run as the REST API shows it (Airflow's DAGRun). */
export interface DagRunView {
  readonly dag_id: string;
  readonly dag_run_id: string;
  readonly state: DagRunState;
  readonly conf: Record<string, unknown>;
  readonly logical_date: string | null;
  readonly start_date: string | null;
  readonly end_date: string | null;
}

/** SQL over Restate's admin API, as `RestateServer.query` offers it. */
export interface Introspection {
  query<Row>(sql: string): Promise<Row[]>;
  /** Asks Restate to cancel an invocation. */
  cancel(invocationId: string): Promise<void>;
  /** Asks Restate to forget a completed invocation, with its workflow's state. */
  purge(invocationId: string): Promise<void>;
}

/** A run as Restate keeps it: its invocation and, once it has started, its workflow's state. */
export interface RunSnapshot {
  readonly dag_id: string;
  readonly run_id: string;
  readonly invocation_id: string;
  readonly state: DagRunState;
  /** The trigger's conf, once the run has started (before that Restate keeps it only in the journal). */
  readonly conf: Record<string, unknown>;
  /** When Restate accepted the run (ISO 8601). */
  readonly created_at: string;
  readonly start_date: string | null;
  readonly end_date: string | null;
  /** The task instances in DAG order; null before the run has started. */
  readonly task_instances: TaskInstance[] | null;
}

/** Which runs of {@link DagRuns.pageOf} a page holds, and in what order. */
export interface RunQuery {
  readonly limit: number;
  readonly offset: number;
  /** Runs in any of these states; all runs when absent or empty. */
  readonly states?: readonly DagRunState[] | null | undefined;
  /** Runs whose id matches any of these SQL `ILIKE` patterns; all runs when absent, none when empty. */
  readonly runIdLike?: readonly string[] | null | undefined;
  /** The order: when Restate took the run (Airflow's `id`), its DAG id or its run id. */
  readonly order?: readonly {
    readonly key: "created_at" | "dag_id" | "run_id";
    readonly descending: boolean;
  }[];
}

/** One page of a DAG's runs: the runs, how many the filter takes in all, and how many runs are in each state. */
export interface RunPage {
  readonly runs: RunSnapshot[];
  readonly total: number;
  readonly counts: Readonly<Record<DagRunState, number>>;
}

const DAG_RUN_STATES: readonly DagRunState[] = [
  "queued",
  "running",
  "success",
  "failed",
];

/**
 * A `run` invocation that the ingress gate refused (a trigger forged by a web page, posted to Restate's ingress)
 * ran nothing and is no run: the REST API neither shows nor counts it, and a trigger of its id takes the id back.
 */
const REFUSED_AT_GATE = `(status = 'completed' AND completion_result = 'failure' AND completion_failure LIKE ${sql(`%${INGRESS_REFUSED}: %`)})`;
const ADMITTED = `NOT ${REFUSED_AT_GATE}`;

/** How long a trigger waits for Restate to free the id of a refused invocation it purged. */
const FREE_KEY_MS = 30_000;

// The run states in terms of the `run` invocation, as `stateOf` reads them, for a WHERE clause.
const STATE_SQL: Record<DagRunState, string> = {
  queued: "status IN ('pending', 'scheduled', 'ready')",
  running: "status NOT IN ('pending', 'scheduled', 'ready', 'completed')",
  success: "(status = 'completed' AND completion_result = 'success')",
  failed:
    "(status = 'completed' AND (completion_result IS NULL OR completion_result != 'success'))",
};

interface SnapshotRow {
  dag_id: string;
  run_id: string;
  id: string;
  status: string;
  completion_result: string | null;
  created_at: string | number | null;
}

interface StateRow {
  dag_id: string;
  run_id: string;
  key: string;
  value_utf8: string | null;
}

/** A run cannot be changed now: it has not ended, never started, or changed under the caller. */
export class RunChangeRefused extends Error {
  override name = "RunChangeRefused";
}

/** What a change to a finished run makes of its kept state; null when it changes nothing. */
export type RunEdit = (
  state: Readonly<Record<string, Json>>,
) => RunResume | null;

/** The `dag_run_id` is taken already. */
export class RunExistsError extends Error {
  override name = "RunExistsError";
}

interface InvocationRow {
  run_id: string;
  status: string;
  completion_result: string | null;
  created_at: string | number | null;
}

/** A typed stand-in for a DAG's workflow definition: one per DAG id, all with the handlers of `dagWorkflow`. */
const workflowOf = (dag: Dag): DagWorkflow => ({ name: dag.id });

/** Triggers and reads DAG runs: each run is one Restate workflow keyed by its `dag_run_id`. */
export class DagRuns {
  #hitl: HitlRequests | undefined;
  readonly #clients: clients.Ingress;

  constructor(
    private readonly ingress: RestateIngress,
    private readonly introspection: Introspection,
  ) {
    this.#clients = connectIngress(ingress.url);
  }

  #run(dag: Dag, runId: string) {
    return this.#clients.workflowClient(workflowOf(dag), runId);
  }

  /** The vote tallies of these DAGs' HITL requests put to Telegram chats. */
  telegramTallies(dagIds: readonly string[]): Promise<TelegramTally[]> {
    return telegramTallies(this.introspection, dagIds);
  }

  /** The runs' requests to people (human-in-the-loop tasks) and their answers. */
  get hitl(): HitlRequests {
    return (this.#hitl ??= new HitlRequests(
      this.ingress.url,
      this.introspection,
    ));
  }

  /**
   * Starts a run; throws {@link RunExistsError} when the id was used before. An id that only a refused, forged
   * trigger used is taken back: that invocation is purged and the run started.
   */
  async trigger(
    dag: Dag,
    runId: string,
    conf: Record<string, unknown>,
    /** ISO 8601: what the run's tasks see as its logical date (else when it starts). */
    logicalDate?: string,
  ): Promise<DagRunView> {
    const deadline = Date.now() + FREE_KEY_MS;
    for (;;) {
      const accepted = await this.#run(dag, runId).workflowSubmit({
        conf,
        ...(logicalDate === undefined ? {} : { logical_date: logicalDate }),
      });
      if (accepted.status !== "PreviouslyAccepted") break;
      const [held] = await this.introspection.query<{
        id: string;
        refused: boolean;
      }>(
        `SELECT id, ${REFUSED_AT_GATE} AS refused FROM sys_invocation WHERE target_service_name = ${sql(dag.id)} ` +
          `AND target_service_key = ${sql(runId)} AND target_handler_name = 'run' ORDER BY created_at DESC LIMIT 1`,
      );
      // A run of that id (or another trigger's, just now): the id is taken.
      if (held && !held.refused)
        throw new RunExistsError(
          `DAG run "${runId}" of DAG "${dag.id}" already exists`,
        );
      if (Date.now() > deadline)
        throw new Error(
          `Restate still holds the refused invocation under run id "${runId}" ${FREE_KEY_MS / 1000} s after its purge`,
        );
      // Refused at the gate: forget it. Gone already (purged, the key not yet free in Restate): submit again.
      if (held) await this.introspection.purge(held.id).catch(() => undefined);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return {
      dag_id: dag.id,
      dag_run_id: runId,
      state: "queued",
      conf,
      logical_date: logicalDate ?? null,
      start_date: null,
      end_date: null,
    };
  }

  /**
   * The run and its task instances, or null when there is no such run. Read over Restate's SQL introspection, not
   * by calling the workflow's `status` handler: a call would be an invocation Restate keeps for the workflow's
   * journal retention (30 days), one more per page poll.
   */
  async get(
    dag: Dag,
    runId: string,
  ): Promise<{ run: DagRunView; taskInstances: TaskInstance[] } | null> {
    const kept = await this.#kept(dag, runId, [RUN_KEY, TASK_INSTANCES_KEY]);
    const run = kept.get(RUN_KEY) as DagRun | undefined;
    if (run)
      return {
        run: { ...run },
        taskInstances:
          (kept.get(TASK_INSTANCES_KEY) as TaskInstance[] | undefined) ?? [],
      };
    // No state yet: the run is queued, failed before its first step, or does not exist.
    const rows = await this.#invocations(
      dag,
      `AND target_service_key = ${sql(runId)}`,
    );
    const row = rows[0];
    if (!row) return null;
    const taskInstances: TaskInstance[] = dag.tasks.map((t) => ({
      task_id: t.taskId,
      state: "scheduled",
      start_date: null,
      end_date: null,
      try_number: 0,
    }));
    return { run: this.#fromRow(dag, row), taskInstances };
  }

  /** The DAG's runs, newest first. */
  async list(dag: Dag, limit = 100): Promise<DagRunView[]> {
    const rows = await this.#invocations(dag, "", limit);
    return rows.map((row) => this.#fromRow(dag, row));
  }

  /**
   * One page of the DAG's runs, newest first, with their task instances, read with the paging and the state filter
   * done in Restate's SQL: a page costs the same with 10 runs or 10,000. `counts` has every state's number of runs.
   */
  async page(
    dag: Dag,
    options: { limit: number; offset: number; states?: readonly DagRunState[] },
  ): Promise<RunPage> {
    return this.pageOf([dag.id], {
      ...options,
      order: [{ key: "created_at", descending: true }],
    });
  }

  /**
   * One page of these DAGs' runs in the order asked (then oldest first, by DAG id and run id, for stable pages),
   * filtered by state and run id, paged and counted in Restate's SQL; the page's runs come with their kept state.
   */
  async pageOf(dagIds: readonly string[], query: RunQuery): Promise<RunPage> {
    const counts: Record<DagRunState, number> = {
      queued: 0,
      running: 0,
      success: 0,
      failed: 0,
    };
    if (dagIds.length === 0) return { runs: [], total: 0, counts };
    const names = dagIds.map(sql).join(", ");
    // An empty list is a pattern with no terms (`|`, spaces): it matches no run, as Airflow's pattern match does.
    const patterns = !query.runIdLike
      ? ""
      : query.runIdLike.length === 0
        ? "AND FALSE"
        : `AND (${query.runIdLike.map((p) => `target_service_key ILIKE ${sql(p)}`).join(" OR ")})`;
    // A workflow key has one `run` invocation: Restate attaches a second submit of the key to the first. Made
    // unique with a window instead, these queries cost about twice as much (5,000 runs: ~50 vs ~75-125 ms).
    const runs =
      `(SELECT target_service_name AS dag_id, target_service_key AS run_id, id, status, completion_result, created_at ` +
      `FROM sys_invocation WHERE target_handler_name = 'run' AND target_service_name IN (${names}) AND ${ADMITTED} ${patterns})`;
    const states = query.states?.length ? query.states : null;
    const filter = states
      ? `AND (${states.map((s) => STATE_SQL[s]).join(" OR ")})`
      : "";
    // Then oldest first, by DAG id and run id, for stable pages; a key already ordered by is not sorted on again.
    const asked = query.order ?? [];
    const order = [
      ...asked,
      ...(["created_at", "dag_id", "run_id"] as const)
        .filter((key) => !asked.some((o) => o.key === key))
        .map((key) => ({ key, descending: false })),
    ]
      .map((o) => `${o.key} ${o.descending ? "DESC" : "ASC"}`)
      .join(", ");
    const [rows, groups] = await Promise.all([
      this.introspection.query<SnapshotRow>(
        `SELECT dag_id, run_id, id, status, completion_result, created_at FROM ${runs} WHERE TRUE ${filter} ` +
          `ORDER BY ${order} LIMIT ${Math.max(0, Math.floor(query.limit))} OFFSET ${Math.max(0, Math.floor(query.offset))}`,
      ),
      this.introspection.query<{
        status: string;
        completion_result: string | null;
        n: number | string;
      }>(
        `SELECT status, completion_result, COUNT(*) AS n FROM ${runs} GROUP BY status, completion_result`,
      ),
    ]);
    for (const g of groups) counts[stateOf(g)] += Number(g.n);
    const total = (states ?? DAG_RUN_STATES).reduce(
      (sum, s) => sum + counts[s],
      0,
    );
    const kept = new Map<string, { run?: DagRun; tis?: TaskInstance[] }>();
    if (rows.length > 0)
      // One `IN` query: on Restate 1.7.12 a `service_key =` query per run costs about as much each as this one does
      // for the whole page (docs/benchmarks.md, bench:ui-grid), so splitting it made a page 6-35 times slower.
      for (const row of await this.introspection.query<StateRow>(
        `SELECT service_name AS dag_id, service_key AS run_id, key, value_utf8 FROM state ` +
          `WHERE service_name IN (${[...new Set(rows.map((r) => r.dag_id))].map(sql).join(", ")}) ` +
          `AND key IN ('dag_run', 'task_instances') AND service_key IN (${[...new Set(rows.map((r) => r.run_id))].map(sql).join(", ")})`,
      )) {
        if (row.value_utf8 === null) continue;
        const id = `${row.dag_id}\u0000${row.run_id}`;
        const entry = kept.get(id) ?? {};
        if (row.key === "dag_run")
          entry.run = JSON.parse(row.value_utf8) as DagRun;
        else entry.tis = JSON.parse(row.value_utf8) as TaskInstance[];
        kept.set(id, entry);
      }
    return {
      runs: rows.map((row) =>
        snapshotOf(
          row.dag_id,
          row,
          kept.get(`${row.dag_id}\u0000${row.run_id}`),
        ),
      ),
      total,
      counts,
    };
  }

  /** The last `limit` runs of each of these DAGs, newest first, with their states only (one SQL query). */
  async latest(
    dagIds: readonly string[],
    limit: number,
  ): Promise<Map<string, { run_id: string; state: DagRunState }[]>> {
    const byDag = new Map<string, { run_id: string; state: DagRunState }[]>(
      dagIds.map((id) => [id, []]),
    );
    if (dagIds.length === 0) return byDag;
    const rows = await this.introspection.query<
      InvocationRow & { dag_id: string }
    >(
      `SELECT dag_id, run_id, status, completion_result, created_at FROM (` +
        `SELECT target_service_name AS dag_id, target_service_key AS run_id, status, completion_result, created_at, ` +
        `ROW_NUMBER() OVER (PARTITION BY target_service_name ORDER BY created_at DESC) AS nth FROM sys_invocation ` +
        `WHERE target_handler_name = 'run' AND target_service_name IN (${dagIds.map(sql).join(", ")}) AND ${ADMITTED}` +
        `) WHERE nth <= ${Math.max(1, Math.floor(limit))} ORDER BY created_at DESC`,
    );
    for (const row of rows)
      byDag.get(row.dag_id)?.push({ run_id: row.run_id, state: stateOf(row) });
    return byDag;
  }

  /** A task's output (its XCom return_value), or null when it has produced none; read from the run's kept state. */
  async xcom(
    dag: Dag,
    runId: string,
    taskId: string,
  ): Promise<{ value: unknown } | null> {
    const key = xcomKey(taskId);
    const kept = await this.#kept(dag, runId, [key]);
    return kept.has(key) ? { value: kept.get(key) ?? null } : null;
  }

  /** A task try's kept log lines, or null when the run, task or try has none; read from the run's kept state. */
  async logs(
    dag: Dag,
    runId: string,
    taskId: string,
    tryNumber: number,
  ): Promise<string[] | null> {
    const key = logKey(taskId, tryNumber);
    return (
      ((await this.#kept(dag, runId, [key])).get(key) as
        string[] | undefined) ?? null
    );
  }

  /** Cancels a queued or running run: its sensor stops waiting and the run ends failed. False when it had ended. */
  async cancel(dag: Dag, runId: string): Promise<boolean> {
    const rows = await this.introspection.query<{ id: string }>(
      `SELECT id FROM sys_invocation WHERE target_service_name = ${sql(dag.id)} AND target_service_key = ${sql(runId)} ` +
        `AND target_handler_name = 'run' AND status != 'completed'`,
    );
    const id = rows[0]?.id;
    if (!id) return false;
    await this.introspection.cancel(id);
    return true;
  }

  /**
   * Every run of these DAGs (or the one run `runId`), read in two SQL queries over Restate's introspection: the
   * `run` invocations and the workflows' `dag_run`/`task_instances` state. Unordered.
   */
  async snapshots(
    dagIds: readonly string[],
    runId?: string,
  ): Promise<RunSnapshot[]> {
    if (dagIds.length === 0) return [];
    const names = dagIds.map(sql).join(", ");
    const oneRun = (column: string) =>
      runId === undefined ? "" : ` AND ${column} = ${sql(runId)}`;
    const [rows, states] = await Promise.all([
      this.introspection.query<SnapshotRow>(
        `SELECT target_service_name AS dag_id, target_service_key AS run_id, id, status, completion_result, created_at ` +
          `FROM sys_invocation WHERE target_handler_name = 'run' AND target_service_name IN (${names}) AND ${ADMITTED}` +
          oneRun("target_service_key"),
      ),
      this.introspection.query<StateRow>(
        `SELECT service_name AS dag_id, service_key AS run_id, key, value_utf8 FROM state ` +
          `WHERE service_name IN (${names}) AND key IN ('dag_run', 'task_instances')` +
          oneRun("service_key"),
      ),
    ]);
    const kept = new Map<string, { run?: DagRun; tis?: TaskInstance[] }>();
    for (const row of states) {
      if (row.value_utf8 === null) continue;
      const id = `${row.dag_id}\u0000${row.run_id}`;
      const entry = kept.get(id) ?? {};
      if (row.key === "dag_run")
        entry.run = JSON.parse(row.value_utf8) as DagRun;
      else entry.tis = JSON.parse(row.value_utf8) as TaskInstance[];
      kept.set(id, entry);
    }
    // A run invoked twice with one key shows once: the first invocation is the run, a second one was refused.
    const seen = new Set<string>();
    const snapshots: RunSnapshot[] = [];
    for (const row of rows.sort((a, b) =>
      String(a.created_at).localeCompare(String(b.created_at)),
    )) {
      const id = `${row.dag_id}\u0000${row.run_id}`;
      if (seen.has(id)) continue;
      seen.add(id);
      snapshots.push(snapshotOf(row.dag_id, row, kept.get(id)));
    }
    return snapshots;
  }

  /** Which tasks of these DAGs' runs (or of the one run `runId`) have an output (XCom `return_value`) kept. */
  async outputs(
    dagIds: readonly string[],
    runId?: string,
  ): Promise<{ dag_id: string; run_id: string; task_id: string }[]> {
    if (dagIds.length === 0) return [];
    const rows = await this.introspection.query<{
      dag_id: string;
      run_id: string;
      key: string;
    }>(
      `SELECT service_name AS dag_id, service_key AS run_id, key FROM state ` +
        `WHERE service_name IN (${dagIds.map(sql).join(", ")}) AND key LIKE 'xcom:%'` +
        (runId === undefined ? "" : ` AND service_key = ${sql(runId)}`),
    );
    return rows.map((r) => ({
      dag_id: r.dag_id,
      run_id: r.run_id,
      task_id: r.key.slice("xcom:".length),
    }));
  }

  /**
   * Changes a finished run and starts it again from where it stopped: tasks the edit left `scheduled` run, the rest
   * keep their state and output. Throws {@link RunChangeRefused} when the run has not ended or was changed meanwhile.
   * Returns false when the edit changed nothing.
   */
  async restart(dag: Dag, runId: string, edit: RunEdit): Promise<boolean> {
    const latestRun = async () =>
      (
        await this.introspection.query<{
          id: string;
          status: string;
          created_at: string;
        }>(
          `SELECT id, status, CAST(created_at AS VARCHAR) AS created_at FROM sys_invocation WHERE target_service_name = ${sql(dag.id)} AND target_service_key = ${sql(runId)} ` +
            `AND target_handler_name = 'run' ORDER BY created_at DESC LIMIT 1`,
        )
      )[0];
    // Found a moment ago by the caller: gone now means another change purged it and is starting it again.
    const restarting = new RunChangeRefused(
      `run '${runId}' is being started again by another change; try again once it has ended`,
    );
    const latest = await latestRun();
    if (!latest) throw restarting;
    if (latest.status !== "completed")
      throw new RunChangeRefused(
        `run '${runId}' has not ended: set its state to "failed" first (it then stops), or wait for it to end`,
      );
    const rows = await this.introspection.query<{
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT key, value_utf8 FROM state WHERE service_name = ${sql(dag.id)} AND service_key = ${sql(runId)}`,
    );
    const state: Record<string, Json> = {};
    for (const row of rows)
      if (row.value_utf8 !== null)
        state[row.key] = JSON.parse(row.value_utf8) as Json;
    if (!state.dag_run) {
      // Its state gone since the run was read: another change purged it in between.
      const now = await latestRun();
      if (now?.id !== latest.id || now.created_at !== latest.created_at)
        throw restarting;
      throw new RunChangeRefused(
        `run '${runId}' ended before its first task (its conf was refused?): there is nothing to run again; trigger a new run`,
      );
    }
    const resume = edit(state);
    if (!resume) return false;
    // The tasks that will run again lose what they wrote under keys of their own, as Airflow clears their XComs.
    const rerun = instancesOf(resume.state)
      .filter((ti) => ti.state === "scheduled")
      .map((ti) => ti.task_id);
    if (rerun.length > 0) await this.#forgetXComs(dag, runId, rerun);
    const answer = await connectIngress(this.ingress.url)
      .objectClient<RunRestarts>(
        { name: RUN_RESTARTS_NAME },
        runRestartsKey(dag.id, runId),
      )
      .restart({
        dag_id: dag.id,
        run_id: runId,
        invocation_id: latest.id,
        created_at: latest.created_at,
        input: { resume },
      });
    if (!answer.restarted) throw new RunChangeRefused(answer.reason);
    return true;
  }

  /**
   * The XComs tasks wrote under a key of their own (the SDK's `setXCom`), kept by the `airflow_xcom` object, of these
   * DAGs' runs (or of the one run `runId`).
   */
  async keyedXComs(
    dagIds: readonly string[],
    runId?: string,
  ): Promise<
    {
      dag_id: string;
      run_id: string;
      task_id: string;
      key: string;
      value: Json;
    }[]
  > {
    if (dagIds.length === 0) return [];
    const oneRun =
      runId !== undefined && dagIds.length === 1
        ? ` AND service_key = ${sql(xcomObjectKey(dagIds[0] ?? "", runId))}`
        : "";
    const rows = await this.introspection.query<{
      service_key: string;
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key, key, value_utf8 FROM state WHERE service_name = ${sql(AIRFLOW_XCOM_NAME)}${oneRun}`,
    );
    return rows.flatMap((row) => {
      const [dagId, run] = JSON.parse(row.service_key) as [string, string];
      const cut = row.key.indexOf("\u0000");
      if (
        !dagIds.includes(dagId) ||
        (runId !== undefined && run !== runId) ||
        cut < 0 ||
        row.value_utf8 === null
      )
        return [];
      return [
        {
          dag_id: dagId,
          run_id: run,
          task_id: row.key.slice(0, cut),
          key: row.key.slice(cut + 1),
          value: JSON.parse(row.value_utf8) as Json,
        },
      ];
    });
  }

  /** Whether Restate answers a query: the API's "metadatabase". */
  async healthy(): Promise<boolean> {
    return this.introspection
      .query("SELECT id FROM sys_invocation LIMIT 1")
      .then(
        () => true,
        () => false,
      );
  }

  /** Forgets a finished run: its invocation and its workflow's state. False when there is no such finished run. */
  async purge(dag: Dag, runId: string): Promise<boolean> {
    const rows = await this.introspection.query<{ id: string }>(
      `SELECT id FROM sys_invocation WHERE target_service_name = ${sql(dag.id)} AND target_service_key = ${sql(runId)} ` +
        `AND target_handler_name = 'run' AND status = 'completed'`,
    );
    for (const row of rows) await this.introspection.purge(row.id);
    if (rows.length > 0) await this.#forgetXComs(dag, runId);
    return rows.length > 0;
  }

  /** Forgets what tasks of a run wrote under keys of their own (all of the run's when no task is named). */
  async #forgetXComs(dag: Dag, runId: string, taskIds?: string[]) {
    await connectIngress(this.ingress.url)
      .objectClient<AirflowXComObject>(
        { name: AIRFLOW_XCOM_NAME },
        xcomObjectKey(dag.id, runId),
      )
      .forget(taskIds ? { taskIds } : {});
  }

  /** These keys of a run's workflow state, as Restate's `state` table holds them (JSON), by key. */
  async #kept(
    dag: Dag,
    runId: string,
    keys: readonly string[],
  ): Promise<Map<string, Json>> {
    const rows = await this.introspection.query<{
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT key, value_utf8 FROM state WHERE service_name = ${sql(dag.id)} AND service_key = ${sql(runId)} ` +
        `AND key IN (${keys.map(sql).join(", ")})`,
    );
    const kept = new Map<string, Json>();
    for (const row of rows)
      if (row.value_utf8 !== null)
        kept.set(row.key, JSON.parse(row.value_utf8) as Json);
    return kept;
  }

  #invocations(dag: Dag, where: string, limit = 1): Promise<InvocationRow[]> {
    return this.introspection.query<InvocationRow>(
      `SELECT target_service_key AS run_id, status, completion_result, created_at FROM sys_invocation ` +
        `WHERE target_service_name = ${sql(dag.id)} AND target_handler_name = 'run' AND ${ADMITTED} ${where} ` +
        `ORDER BY created_at DESC LIMIT ${limit}`,
    );
  }

  #fromRow(dag: Dag, row: InvocationRow): DagRunView {
    const state = stateOf(row);
    const created =
      row.created_at === null ? null : new Date(row.created_at).toISOString();
    return {
      dag_id: dag.id,
      dag_run_id: row.run_id,
      state,
      conf: {},
      logical_date: created,
      start_date: created,
      end_date: null,
    };
  }
}

/** A run's state as its invocation tells it: not started yet, going, or ended well or not. */
function stateOf(row: {
  status: string;
  completion_result: string | null;
}): DagRunState {
  if (row.status === "completed")
    return row.completion_result === "success" ? "success" : "failed";
  return ["pending", "scheduled", "ready"].includes(row.status)
    ? "queued"
    : "running";
}

const isoOf = (value: string | number | null) =>
  new Date(value ?? 0).toISOString();

/** A run as its `run` invocation and its kept `dag_run` / `task_instances` state tell it together. */
export function snapshotOf(
  dagId: string,
  row: InvocationRow & { id: string },
  kept: { run?: DagRun; tis?: TaskInstance[] } | undefined,
): RunSnapshot {
  // The state is the invocation's alone, as the SQL state filter and counts read it: a run that saved its end but
  // has not returned yet (or is retrying after) is still running, and every list, count and page agrees on it.
  const state = stateOf(row);
  return {
    dag_id: dagId,
    run_id: row.run_id,
    invocation_id: row.id,
    state,
    conf: kept?.run?.conf ?? {},
    created_at: isoOf(row.created_at),
    start_date: kept?.run?.start_date ?? null,
    end_date: kept?.run?.end_date ?? null,
    task_instances: kept?.tis ?? null,
  };
}
