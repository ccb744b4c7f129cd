import {
  IngressError,
  type Dag,
  type DagRunState,
  type DagRunStatus,
  type RestateIngress,
  type TaskInstance,
} from "@poekhali/core";

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
}

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

const sql = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** Triggers and reads DAG runs: each run is one Restate workflow keyed by its `dag_run_id`. */
export class DagRuns {
  constructor(
    private readonly ingress: RestateIngress,
    private readonly introspection: Introspection,
  ) {}

  /** Starts a run; throws {@link RunExistsError} when the id was used before. */
  async trigger(
    dag: Dag,
    runId: string,
    conf: Record<string, unknown>,
  ): Promise<DagRunView> {
    const accepted = await this.ingress.send(
      { service: dag.id, handler: "run", key: runId },
      { conf: conf as never },
    );
    if (accepted.status === "PreviouslyAccepted")
      throw new RunExistsError(
        `DAG run "${runId}" of DAG "${dag.id}" already exists`,
      );
    return {
      dag_id: dag.id,
      dag_run_id: runId,
      state: "queued",
      conf,
      logical_date: null,
      start_date: null,
      end_date: null,
    };
  }

  /** The run and its task instances, or null when there is no such run. */
  async get(
    dag: Dag,
    runId: string,
  ): Promise<{ run: DagRunView; taskInstances: TaskInstance[] } | null> {
    const status = await this.#status(dag, runId);
    if (status)
      return {
        run: { ...status.dag_run },
        taskInstances: status.task_instances,
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

  /** A task's output (its XCom return_value), or null when it has produced none. */
  async xcom(
    dag: Dag,
    runId: string,
    taskId: string,
  ): Promise<{ value: unknown } | null> {
    try {
      return await this.ingress.call<{ value: unknown } | null>(
        { service: dag.id, handler: "xcom", key: runId },
        { task_id: taskId },
      );
    } catch (error) {
      if (error instanceof IngressError && error.status === 404) return null;
      throw error;
    }
  }

  /** A task try's kept log lines, or null when the run, task or try has none. */
  async logs(
    dag: Dag,
    runId: string,
    taskId: string,
    tryNumber: number,
  ): Promise<string[] | null> {
    try {
      return await this.ingress.call<string[] | null>(
        { service: dag.id, handler: "logs", key: runId },
        { task_id: taskId, try_number: tryNumber },
      );
    } catch (error) {
      if (error instanceof IngressError && error.status === 404) return null;
      throw error;
    }
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

  async #status(dag: Dag, runId: string): Promise<DagRunStatus | null> {
    try {
      return await this.ingress.call<DagRunStatus | null>({
        service: dag.id,
        handler: "status",
        key: runId,
      });
    } catch (error) {
      if (error instanceof IngressError && error.status === 404) return null;
      throw error;
    }
  }

  #invocations(dag: Dag, where: string, limit = 1): Promise<InvocationRow[]> {
    return this.introspection.query<InvocationRow>(
      `SELECT target_service_key AS run_id, status, completion_result, created_at FROM sys_invocation ` +
        `WHERE target_service_name = ${sql(dag.id)} AND target_handler_name = 'run' ${where} ` +
        `ORDER BY created_at DESC LIMIT ${limit}`,
    );
  }

  #fromRow(dag: Dag, row: InvocationRow): DagRunView {
    const state: DagRunState =
      row.status === "completed"
        ? row.completion_result === "success"
          ? "success"
          : "failed"
        : ["pending", "scheduled", "ready"].includes(row.status)
          ? "queued"
          : "running";
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
