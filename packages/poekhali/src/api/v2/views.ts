import { createHash } from "node:crypto";
import { relative } from "node:path";
import { z } from "zod";
import {
  BaseOperator,
  FunctionOperator,
  toMillis,
  type Dag,
  type Duration,
  type TaskInstance,
} from "@poekhali/core";
import type { RunRecord } from "../api-state.js";
import type { RunSnapshot } from "../dag-runs.js";

/** Where each DAG was loaded from, for `fileloc`. */
export interface DagSource {
  /** The DAGs folder (Airflow's `dags-folder` bundle root). */
  readonly folder: string;
  /** The file each DAG was loaded from, by DAG id. */
  readonly files: ReadonlyMap<string, string>;
}

/** A run as the views need it: what Restate keeps, and what the API recorded at trigger time. */
export interface RunFacts {
  readonly snapshot: RunSnapshot;
  readonly record: RunRecord | undefined;
}

// Airflow's defaults for what poekhali has no equivalent of; each is what Airflow itself gives when unset.
const DEFAULT_MAX_ACTIVE = 16;
const OWNER = "airflow";
const POOL = "default_pool";
const QUEUE = "default";

/** A stable UUID-shaped id for a name, as Airflow gives each task instance a UUID. */
export function stableUuid(...parts: string[]): string {
  const hex = createHash("sha256").update(parts.join("\u0000")).digest("hex");
  // Version 8 (custom), RFC 4122 variant: a valid UUID that says it is derived, not random.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 3) | 8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function fileOf(dag: Dag, source: DagSource) {
  const fileloc = source.files.get(dag.id) ?? source.folder;
  return { fileloc, relative_fileloc: relative(source.folder, fileloc) || "." };
}

/** Airflow's `DAGResponse` for a DAG. */
export function dagResponse(dag: Dag, paused: boolean, source: DagSource) {
  const { fileloc, relative_fileloc } = fileOf(dag, source);
  return {
    dag_id: dag.id,
    dag_display_name: dag.id,
    is_paused: paused,
    is_stale: false,
    last_parsed_time: null,
    last_parse_duration: null,
    last_expired: null,
    bundle_name: "dags-folder",
    bundle_version: null,
    relative_fileloc,
    fileloc,
    description: dag.description || null,
    // `schedule: null`: Airflow's NullTimetable, which has no summary and this description.
    timetable_summary: null,
    timetable_description: "Never, external triggers only",
    timetable_partitioned: false,
    tags: dag.tags.map((name) => ({
      name,
      dag_id: dag.id,
      dag_display_name: dag.id,
    })),
    max_active_tasks: DEFAULT_MAX_ACTIVE,
    max_active_runs: DEFAULT_MAX_ACTIVE,
    max_consecutive_failed_dag_runs: 0,
    has_task_concurrency_limits: false,
    has_import_errors: false,
    next_dagrun_logical_date: null,
    next_dagrun_data_interval_start: null,
    next_dagrun_data_interval_end: null,
    next_dagrun_run_after: null,
    allowed_run_types: null,
    owners: [OWNER],
    file_token: Buffer.from(fileloc).toString("base64url"),
  };
}

/** Airflow's param specs (`{ value, description, schema }` per param) from the DAG's params schema. */
function paramSpecs(dag: Dag): Record<string, unknown> {
  const schema = z.toJSONSchema(dag.paramsSchema, {
    io: "input",
    unrepresentable: "any",
  }) as {
    properties?: Record<string, { default?: unknown; description?: string }>;
  };
  return Object.fromEntries(
    Object.entries(schema.properties ?? {}).map(([name, spec]) => [
      name,
      {
        value: spec.default ?? null,
        description: spec.description ?? null,
        schema: spec,
      },
    ]),
  );
}

/** Airflow's `DAGDetailsResponse` for a DAG. */
export function dagDetailsResponse(
  dag: Dag,
  paused: boolean,
  source: DagSource,
  activeRuns: number,
) {
  return {
    ...dagResponse(dag, paused, source),
    catchup: false,
    concurrency: DEFAULT_MAX_ACTIVE,
    render_template_as_native_obj: false,
    active_runs_count: activeRuns,
    asset_expression: null,
    dag_run_timeout: null,
    default_args: null,
    doc_md: null,
    end_date: null,
    start_date: null,
    is_favorite: false,
    is_paused_upon_creation: null,
    last_parsed: null,
    latest_dag_version: null,
    owner_links: null,
    params: paramSpecs(dag),
    template_search_path: null,
    timezone: "UTC",
  };
}

/** Airflow's `TimeDelta` object for a duration. */
function timeDelta(duration: Duration | null) {
  if (duration === null) return null;
  const ms = toMillis(duration);
  const days = Math.floor(ms / 86_400_000);
  const rest = ms - days * 86_400_000;
  return {
    __type: "TimeDelta",
    days,
    seconds: Math.floor(rest / 1000),
    microseconds: (rest % 1000) * 1000,
  };
}

type AnyTask = Dag["tasks"][number];

/** The operator's class name, and its display name (`@task` for a function, as Airflow's decorator). */
function operatorOf(task: AnyTask) {
  const operator = task.constructor.name;
  return {
    operator,
    operator_name: task instanceof FunctionOperator ? "@task" : operator,
  };
}

/** Airflow's `TaskResponse` for a task. */
export function taskResponse(dag: Dag, task: AnyTask) {
  const op = task instanceof BaseOperator ? task : null;
  const { operator_name } = operatorOf(task);
  return {
    task_id: task.taskId,
    task_display_name: task.taskId,
    owner: OWNER,
    start_date: null,
    end_date: null,
    trigger_rule: "all_success",
    depends_on_past: false,
    wait_for_downstream: false,
    retries: op?.retries ?? 0,
    queue: QUEUE,
    pool: POOL,
    pool_slots: 1,
    execution_timeout: timeDelta(op?.executionTimeout ?? null),
    retry_delay: op ? timeDelta(op.retryDelay) : null,
    // A multiplier since Airflow 3.2: 0 is off; poekhali doubles the delay when on.
    retry_exponential_backoff: op?.retryExponentialBackoff ? 2 : 0,
    priority_weight: 1,
    weight_rule: "downstream",
    ui_color: "#fff",
    ui_fgcolor: "#000",
    template_fields: [],
    downstream_task_ids: dag.tasks
      .filter((t) => t.upstreamTaskIds.includes(task.taskId))
      .map((t) => t.taskId),
    doc_md: null,
    operator_name,
    params: {},
    class_ref: {
      module_path: "@poekhali/core",
      class_name: task.constructor.name,
    },
    is_mapped: false,
    extra_links: [],
  };
}

const secondsBetween = (start: string | null, end: string | null) =>
  start && end ? (Date.parse(end) - Date.parse(start)) / 1000 : null;

/** Airflow's `DAGRunResponse` for a run: a manual run, as every poekhali run is. */
export function dagRunResponse(dag: Dag, { snapshot, record }: RunFacts) {
  const interval = record?.data_interval ?? null;
  return {
    dag_run_id: snapshot.run_id,
    dag_id: dag.id,
    dag_display_name: dag.id,
    logical_date: record?.logical_date ?? null,
    queued_at: record?.queued_at ?? snapshot.created_at,
    start_date: snapshot.start_date,
    end_date: snapshot.end_date,
    duration: secondsBetween(snapshot.start_date, snapshot.end_date),
    data_interval_start: interval?.[0] ?? null,
    data_interval_end: interval?.[1] ?? null,
    run_after: record?.run_after ?? snapshot.created_at,
    last_scheduling_decision: null,
    run_type: "manual",
    state: snapshot.state,
    triggered_by: record?.triggered_by ?? null,
    triggering_user_name: record?.triggering_user_name ?? null,
    conf: snapshot.conf,
    note: record?.note ?? null,
    dag_versions: [],
    bundle_version: null,
    partition_key: record?.partition_key ?? null,
  };
}

/** A run's task instances: as its workflow keeps them, or, before it started, every task with no state yet. */
export function taskInstancesOf(
  dag: Dag,
  snapshot: RunSnapshot,
): TaskInstance[] {
  return (
    snapshot.task_instances ??
    dag.tasks.map((t) => ({
      task_id: t.taskId,
      state: "scheduled",
      start_date: null,
      end_date: null,
      try_number: 0,
    }))
  );
}

/**
 * A task instance's state in Airflow's words. poekhali calls a task waiting for its upstream "scheduled"; Airflow
 * leaves such a task without a state (null) until its upstream is done, so that is what v2 shows.
 */
export const tiState = (ti: Pick<TaskInstance, "state">) =>
  ti.state === "scheduled" ? null : ti.state;

/** Airflow's `TaskInstanceResponse` for one task of a run. */
export function taskInstanceResponse(
  dag: Dag,
  facts: RunFacts,
  ti: TaskInstance,
) {
  const task = dag.task(ti.task_id);
  const run = dagRunResponse(dag, facts);
  const retries = task instanceof BaseOperator ? task.retries : 0;
  return {
    id: stableUuid(dag.id, run.dag_run_id, ti.task_id),
    task_id: ti.task_id,
    dag_id: dag.id,
    dag_run_id: run.dag_run_id,
    map_index: -1,
    logical_date: run.logical_date,
    run_after: run.run_after,
    start_date: ti.start_date,
    end_date: ti.end_date,
    duration: secondsBetween(ti.start_date, ti.end_date),
    state: tiState(ti),
    try_number: ti.try_number,
    max_tries: retries,
    task_display_name: ti.task_id,
    dag_display_name: dag.id,
    hostname: null,
    unixname: null,
    pool: POOL,
    pool_slots: 1,
    queue: QUEUE,
    priority_weight: 1,
    ...(task ? operatorOf(task) : { operator: null, operator_name: null }),
    queued_when: null,
    scheduled_when: null,
    pid: null,
    executor: null,
    executor_config: "{}",
    note: facts.record?.task_notes?.[ti.task_id] ?? null,
    rendered_map_index: null,
    rendered_fields: {},
    trigger: null,
    triggerer_job: null,
    dag_version: null,
  };
}

/** Airflow's `TaskInstanceHistoryResponse` for each try of a task instance, oldest first. */
export function triesOf(dag: Dag, facts: RunFacts, ti: TaskInstance) {
  const current = taskInstanceResponse(dag, facts, ti);
  const history = ({
    id: _id,
    logical_date: _l,
    run_after: _r,
    note: _n,
    rendered_map_index: _m,
    rendered_fields: _f,
    trigger: _t,
    triggerer_job: _j,
    ...rest
  }: typeof current) => rest;
  const tries = [];
  // Each earlier try as the run recorded it when it ended (retried, or cleared); runs from before the record was
  // kept show a bare retried try.
  for (let n = 1; n < ti.try_number; n++) {
    const kept = ti.tries?.find((t) => t.try_number === n);
    tries.push({
      ...history(current),
      try_number: n,
      state: kept ? tiState(kept) : "up_for_retry",
      start_date: kept?.start_date ?? null,
      end_date: kept?.end_date ?? null,
      duration: secondsBetween(
        kept?.start_date ?? null,
        kept?.end_date ?? null,
      ),
    });
  }
  if (ti.try_number > 0) tries.push(history(current));
  return tries;
}

/** Airflow's `XComResponse` (without the value) for a task's output, its only XCom: `return_value`. */
export function xcomResponse(
  dag: Dag,
  facts: RunFacts,
  ti: TaskInstance | undefined,
  taskId: string,
  key = "return_value",
) {
  const run = dagRunResponse(dag, facts);
  return {
    key,
    timestamp: ti?.end_date ?? run.run_after,
    logical_date: run.logical_date,
    map_index: -1,
    task_id: taskId,
    dag_id: dag.id,
    run_id: run.dag_run_id,
    dag_display_name: dag.id,
    task_display_name: taskId,
    run_after: run.run_after,
  };
}
