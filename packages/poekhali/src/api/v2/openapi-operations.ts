import type * as contract from "./airflow-v2-contract.js";

/** A JSON Schema, as the OpenAPI document carries it. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The name of a response schema: an export of the v2 contract, which the contract tests check every answer against. */
export type ResponseName = keyof typeof contract;

/** The request bodies `/api/v2` and `/auth/token` parse, by Airflow's names (see `openapi.ts` for their schemas). */
export type BodyName =
  | "DAGPatchBody"
  | "TriggerDAGRunPostBody"
  | "DAGRunsBatchBody"
  | "DAGRunPatchBody"
  | "DAGRunClearBody"
  | "PatchTaskInstanceBody"
  | "ClearTaskInstancesBody"
  | "TaskInstancesBatchBody"
  | "VariableBody"
  | "LoginBody"
  | "UpdateHITLDetailPayload";

/** One operation of the document: what a route reads and what it answers. */
export interface Operation {
  readonly method: "get" | "post" | "patch" | "delete";
  /** The path as OpenAPI writes it (`{dag_id}`); every `{name}` is a path parameter. */
  readonly path: string;
  /** Airflow's operationId (its route function's name), so generated clients name the calls as Airflow's do. */
  readonly operationId: string;
  readonly summary: string;
  readonly tag: string;
  /** Path parameters whose schema is not a plain string (`~` only, an integer). */
  readonly pathSchemas?: Readonly<Record<string, JsonSchema>>;
  readonly query?: Readonly<Record<string, JsonSchema>>;
  readonly body?: BodyName;
  /** The 2xx answer: its status and the schema(s) of its body (none for 204). */
  readonly ok: {
    readonly status: 200 | 201 | 204;
    readonly of: readonly ResponseName[];
  };
  /** Error statuses besides 401/403 (added to every operation that needs a token) and 413/415 (every body). */
  readonly errors: readonly number[];
  /** Open to all, as Airflow's version and health are: no token asked for. */
  readonly open?: boolean;
  /** Also answers `Accept: application/x-ndjson` with one JSON object a line. */
  readonly ndjson?: boolean;
  /** Its 422 may be a sentence (`{detail: "..."}`) as well as the list of failed fields. */
  readonly sentence422?: boolean;
}

const str: JsonSchema = { type: "string" };
const int: JsonSchema = { type: "integer" };
const bool: JsonSchema = { type: "boolean" };
const num: JsonSchema = { type: "number" };
const dateTime: JsonSchema = { type: "string", format: "date-time" };
const tilde: JsonSchema = { type: "string", const: "~" };
const many = (items: JsonSchema): JsonSchema => ({ type: "array", items });
const ref = (name: ResponseName): JsonSchema => ({
  $ref: `#/components/schemas/${name}`,
});

const page = {
  limit: { type: "integer", minimum: 0, default: 50 },
  offset: { type: "integer", minimum: 0, default: 0 },
};
const orderBy = (fallback: string) => ({
  order_by: { type: "array", items: str, default: [fallback] },
});
/** `<field>_gte`, `_gt`, `_lte`, `_lt` for each field. */
const ranges = (fields: readonly string[], schema: JsonSchema) =>
  Object.fromEntries(
    fields.flatMap((f) =>
      ["gte", "gt", "lte", "lt"].map((op) => [`${f}_${op}`, schema]),
    ),
  );

const DAG = "/api/v2/dags/{dag_id}";
const RUNS = `${DAG}/dagRuns`;
const TIS = `${RUNS}/{dag_run_id}/taskInstances`;
const TI = `${TIS}/{task_id}`;
const VARIABLES = "/api/v2/variables";

/** Every operation poekhali serves for Airflow 3's clients: `/api/v2` and the simple auth manager's `/auth/token`. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: "post",
    path: "/auth/token",
    operationId: "create_token",
    summary: "Get a bearer token for a username and password",
    tag: "SimpleAuthManagerLogin",
    body: "LoginBody",
    ok: { status: 201, of: ["LoginResponse"] },
    errors: [400, 401, 422],
    open: true,
  },
  {
    method: "post",
    path: "/auth/token/cli",
    operationId: "create_token_cli",
    summary: "Get a bearer token for airflowctl",
    tag: "SimpleAuthManagerLogin",
    body: "LoginBody",
    ok: { status: 201, of: ["LoginResponse"] },
    errors: [400, 401, 422],
    open: true,
  },
  {
    method: "get",
    path: "/auth/token",
    operationId: "create_token_all_admins",
    summary: "Get a token without credentials (only when no password is set)",
    tag: "SimpleAuthManagerLogin",
    ok: { status: 201, of: ["LoginResponse"] },
    errors: [403],
    open: true,
  },
  {
    method: "get",
    path: "/api/v2/version",
    operationId: "get_version",
    summary: "poekhali's version",
    tag: "Version",
    ok: { status: 200, of: ["VersionInfo"] },
    errors: [],
    open: true,
  },
  {
    method: "get",
    path: "/api/v2/monitor/health",
    operationId: "get_health",
    summary: "Health of restate-server and the worker",
    tag: "Monitor",
    ok: { status: 200, of: ["HealthInfoResponse"] },
    errors: [],
    open: true,
  },
  {
    method: "get",
    path: "/api/v2/importErrors",
    operationId: "get_import_errors",
    summary: "DAG files that failed to load",
    tag: "Import Error",
    query: { ...page, ...orderBy("id"), filename_pattern: str },
    ok: { status: 200, of: ["ImportErrorCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: "/api/v2/importErrors/{import_error_id}",
    operationId: "get_import_error",
    summary: "One DAG file that failed to load",
    tag: "Import Error",
    pathSchemas: { import_error_id: int },
    ok: { status: 200, of: ["ImportErrorResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/api/v2/dags",
    operationId: "get_dags",
    summary: "List DAGs",
    tag: "DAG",
    query: {
      ...page,
      ...orderBy("dag_id"),
      tags: many(str),
      tags_match_mode: { type: "string", enum: ["any", "all"] },
      owners: many(str),
      dag_id_pattern: str,
      dag_display_name_pattern: str,
      paused: bool,
    },
    ok: { status: 200, of: ["DAGCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: DAG,
    operationId: "get_dag",
    summary: "One DAG",
    tag: "DAG",
    ok: { status: 200, of: ["DAGResponse"] },
    errors: [404, 422],
  },
  {
    method: "patch",
    path: DAG,
    operationId: "patch_dag",
    summary: "Pause or unpause a DAG (a paused DAG starts no new runs)",
    tag: "DAG",
    query: { update_mask: many(str) },
    body: "DAGPatchBody",
    ok: { status: 200, of: ["DAGResponse"] },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: `${DAG}/details`,
    operationId: "get_dag_details",
    summary: "One DAG with its details",
    tag: "DAG",
    ok: { status: 200, of: ["DAGDetailsResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${DAG}/tasks`,
    operationId: "get_tasks",
    summary: "A DAG's tasks",
    tag: "Task",
    query: { order_by: { type: "string", default: "task_id" } },
    ok: { status: 200, of: ["TaskCollectionResponse"] },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: `${DAG}/tasks/{task_id}`,
    operationId: "get_task",
    summary: "One task of a DAG",
    tag: "Task",
    ok: { status: 200, of: ["TaskResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: "/api/v2/dagStats",
    operationId: "get_dag_stats",
    summary: "Run counts by state, per DAG",
    tag: "DagStats",
    query: { dag_ids: many(str) },
    ok: { status: 200, of: ["DagStatsCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: "/api/v2/dagTags",
    operationId: "get_dag_tags",
    summary: "Every tag of a DAG",
    tag: "DAG",
    query: { ...page, ...orderBy("name"), tag_name_pattern: str },
    ok: { status: 200, of: ["DAGTagCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "post",
    path: RUNS,
    operationId: "trigger_dag_run",
    summary: "Trigger a (manual) run",
    tag: "DagRun",
    body: "TriggerDAGRunPostBody",
    ok: { status: 200, of: ["DAGRunResponse"] },
    errors: [400, 404, 409, 422, 503],
  },
  {
    method: "get",
    path: RUNS,
    operationId: "get_dag_runs",
    summary: "List runs (`~` for every DAG)",
    tag: "DagRun",
    query: {
      ...page,
      ...orderBy("id"),
      ...ranges(
        ["run_after", "logical_date", "start_date", "end_date", "updated_at"],
        dateTime,
      ),
      ...ranges(["duration"], num),
      state: many(ref("DagRunState")),
      run_type: many(ref("DagRunType")),
      dag_id_pattern: str,
      run_id_pattern: str,
      triggering_user_name_pattern: str,
      conf_contains: str,
    },
    ok: { status: 200, of: ["DAGRunCollectionResponse"] },
    errors: [400, 404, 422],
    sentence422: true,
  },
  {
    method: "post",
    path: `${RUNS}/list`,
    operationId: "get_list_dag_runs_batch",
    summary: "List runs of any DAG, filters in the body",
    tag: "DagRun",
    pathSchemas: { dag_id: tilde },
    body: "DAGRunsBatchBody",
    ok: { status: 200, of: ["DAGRunCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: `${RUNS}/{dag_run_id}`,
    operationId: "get_dag_run",
    summary: "One run",
    tag: "DagRun",
    ok: { status: 200, of: ["DAGRunResponse"] },
    errors: [404, 422],
  },
  {
    method: "patch",
    path: `${RUNS}/{dag_run_id}`,
    operationId: "patch_dag_run",
    summary:
      "Set a run's note, or its state (failed cancels a running run; an ended run takes success, failed or queued)",
    tag: "DagRun",
    query: { update_mask: many(str) },
    body: "DAGRunPatchBody",
    ok: { status: 200, of: ["DAGRunResponse"] },
    errors: [400, 404, 409, 422],
  },
  {
    method: "delete",
    path: `${RUNS}/{dag_run_id}`,
    operationId: "delete_dag_run",
    summary: "Forget a finished run",
    tag: "DagRun",
    ok: { status: 204, of: [] },
    errors: [400, 404, 422],
  },
  {
    method: "post",
    path: `${RUNS}/{dag_run_id}/clear`,
    operationId: "clear_dag_run",
    summary: "Clear a run's task instances (a dry run lists them)",
    tag: "DagRun",
    body: "DAGRunClearBody",
    ok: {
      status: 200,
      of: ["TaskInstanceCollectionResponse", "DAGRunResponse"],
    },
    errors: [404, 409, 422],
  },
  {
    method: "get",
    path: TIS,
    operationId: "get_task_instances",
    summary: "List task instances (`~` for any DAG or run)",
    tag: "Task Instance",
    query: {
      ...page,
      ...orderBy("map_index"),
      ...ranges(
        ["start_date", "end_date", "logical_date", "run_after"],
        dateTime,
      ),
      task_id: str,
      state: many(str),
      try_number: many(int),
      map_index: many(int),
      pool: many(str),
      queue: many(str),
      operator: many(str),
      task_display_name_pattern: str,
      dag_id_pattern: str,
      run_id_pattern: str,
    },
    ok: { status: 200, of: ["TaskInstanceCollectionResponse"] },
    errors: [400, 404, 422],
    sentence422: true,
  },
  {
    method: "post",
    path: `${TIS}/list`,
    operationId: "get_task_instances_batch",
    summary: "List task instances of any DAG and run, filters in the body",
    tag: "Task Instance",
    pathSchemas: { dag_id: tilde, dag_run_id: tilde },
    body: "TaskInstancesBatchBody",
    ok: { status: 200, of: ["TaskInstanceCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: TI,
    operationId: "get_task_instance",
    summary: "One task instance",
    tag: "Task Instance",
    ok: { status: 200, of: ["TaskInstanceResponse"] },
    errors: [404, 422],
  },
  {
    method: "patch",
    path: TI,
    operationId: "patch_task_instance",
    summary: "Set a task instance's note, or its state in a run that has ended",
    tag: "Task Instance",
    query: { map_index: int, update_mask: many(str) },
    body: "PatchTaskInstanceBody",
    ok: { status: 200, of: ["TaskInstanceCollectionResponse"] },
    errors: [400, 404, 409, 422],
    sentence422: true,
  },
  {
    method: "get",
    path: `${TI}/{map_index}`,
    operationId: "get_mapped_task_instance",
    summary: "One task instance by map index (-1: unmapped)",
    tag: "Task Instance",
    pathSchemas: { map_index: int },
    ok: { status: 200, of: ["TaskInstanceResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${TI}/tries`,
    operationId: "get_task_instance_tries",
    summary: "Every try of a task instance",
    tag: "Task Instance",
    query: { map_index: { type: "integer", default: -1 } },
    ok: { status: 200, of: ["TaskInstanceHistoryCollectionResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${TI}/tries/{task_try_number}`,
    operationId: "get_task_instance_try_details",
    summary: "One try of a task instance",
    tag: "Task Instance",
    pathSchemas: { task_try_number: int },
    query: { map_index: { type: "integer", default: -1 } },
    ok: { status: 200, of: ["TaskInstanceHistoryResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${TI}/logs/{try_number}`,
    operationId: "get_log",
    summary: "A try's log, as structured messages",
    tag: "Task Instance",
    pathSchemas: { try_number: { type: "integer", minimum: 0 } },
    query: {
      full_content: { type: "boolean", default: false },
      map_index: { type: "integer", default: -1 },
      token: str,
    },
    ok: { status: 200, of: ["TaskInstancesLogResponse"] },
    errors: [400, 404, 422],
    ndjson: true,
  },
  {
    method: "post",
    path: `${DAG}/clearTaskInstances`,
    operationId: "post_clear_task_instances",
    summary: "Clear task instances (a dry run, the default, lists them)",
    tag: "Task Instance",
    body: "ClearTaskInstancesBody",
    ok: { status: 200, of: ["TaskInstanceCollectionResponse"] },
    errors: [400, 404, 409, 422],
  },
  {
    method: "get",
    path: `${TI}/xcomEntries`,
    operationId: "get_xcom_entries",
    summary: "List XComs (`~` for any DAG, run or task)",
    tag: "XCom",
    query: {
      ...page,
      xcom_key: str,
      map_index: { type: "integer", minimum: -1 },
      xcom_key_pattern: str,
      run_id_pattern: str,
      task_id_pattern: str,
    },
    ok: { status: 200, of: ["XComCollectionResponse"] },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: `${TI}/xcomEntries/{xcom_key}`,
    operationId: "get_xcom_entry",
    summary: "One XCom by key (a task's output is `return_value`)",
    tag: "XCom",
    query: {
      map_index: { type: "integer", minimum: -1, default: -1 },
      deserialize: { type: "boolean", default: false },
      stringify: { type: "boolean", default: false },
    },
    ok: { status: 200, of: ["XComResponseNative", "XComResponseString"] },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: "/api/v2/eventLogs",
    operationId: "get_event_logs",
    summary: "List the event log: what was changed by hand, by whom",
    tag: "Event Log",
    query: {
      ...page,
      ...orderBy("id"),
      dag_id: str,
      task_id: str,
      run_id: str,
      map_index: int,
      try_number: int,
      owner: str,
      event: str,
      excluded_events: many(str),
      included_events: many(str),
      before: dateTime,
      after: dateTime,
      dag_id_pattern: str,
      task_id_pattern: str,
      run_id_pattern: str,
      owner_pattern: str,
      event_pattern: str,
    },
    ok: { status: 200, of: ["EventLogCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "get",
    path: "/api/v2/eventLogs/{event_log_id}",
    operationId: "get_event_log",
    summary: "One event log entry by its id",
    tag: "Event Log",
    pathSchemas: { event_log_id: int },
    ok: { status: 200, of: ["EventLogResponse"] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: VARIABLES,
    operationId: "get_variables",
    summary: "List Variables (values of sensitive keys masked)",
    tag: "Variable",
    query: { ...page, ...orderBy("id"), variable_key_pattern: str },
    ok: { status: 200, of: ["VariableCollectionResponse"] },
    errors: [400, 422],
  },
  {
    method: "post",
    path: VARIABLES,
    operationId: "post_variable",
    summary: "Create a Variable (409 when the key exists)",
    tag: "Variable",
    body: "VariableBody",
    ok: { status: 201, of: ["VariableResponse"] },
    errors: [409, 422],
  },
  {
    method: "get",
    path: `${VARIABLES}/{variable_key}`,
    operationId: "get_variable",
    summary: "One Variable (its value masked when its key looks secret)",
    tag: "Variable",
    ok: { status: 200, of: ["VariableResponse"] },
    errors: [404, 422],
  },
  {
    method: "patch",
    path: `${VARIABLES}/{variable_key}`,
    operationId: "patch_variable",
    summary: "Change a Variable's value or description",
    tag: "Variable",
    query: { update_mask: many(str) },
    body: "VariableBody",
    ok: { status: 200, of: ["VariableResponse"] },
    errors: [400, 404, 422],
  },
  {
    method: "delete",
    path: `${VARIABLES}/{variable_key}`,
    operationId: "delete_variable",
    summary: "Delete a Variable",
    tag: "Variable",
    ok: { status: 204, of: [] },
    errors: [404, 422],
  },
  {
    method: "get",
    path: `${RUNS}/{dag_run_id}/hitlDetails`,
    operationId: "get_hitl_details",
    summary:
      "Requests of tasks waiting for a person, answered or not (`~` for any DAG or run)",
    tag: "Task Instance",
    query: {
      ...page,
      ...orderBy("ti_id"),
      dag_id_pattern: str,
      task_id: str,
      task_id_pattern: str,
      map_index: int,
      state: many(str),
      response_received: bool,
      responded_by_user_id: many(str),
      responded_by_user_name: many(str),
      subject_search: str,
      body_search: str,
      ...ranges(["created_at"], dateTime),
    },
    ok: { status: 200, of: ["HITLDetailCollection"] },
    errors: [400, 404, 422],
  },
  {
    method: "get",
    path: `${TI}/{map_index}/hitlDetails`,
    operationId: "get_hitl_detail",
    summary: "A task's request to a person, and the answer once given",
    tag: "Task Instance",
    pathSchemas: { map_index: int },
    ok: { status: 200, of: ["HITLDetail"] },
    errors: [404, 422],
  },
  {
    method: "patch",
    path: `${TI}/{map_index}/hitlDetails`,
    operationId: "update_hitl_detail",
    summary:
      "Answer a task's request: the first valid answer wakes the task; a second is a 409",
    tag: "Task Instance",
    pathSchemas: { map_index: int },
    body: "UpdateHITLDetailPayload",
    ok: { status: 200, of: ["HITLDetailResponse"] },
    errors: [404, 409, 422],
  },
];
