import { z } from "zod";

/**
 * Zod schemas of Airflow 3's REST API v2 answers, written from its OpenAPI document (`spec/v2.yaml` of
 * apache-airflow-client 3.2.1): every required field required with its type, optional fields optional, enums closed.
 * Objects are strict, so an answer with a field the document does not name fails too. The contract tests check every
 * answer of `/api/v2` against them.
 */

const dateTime = z.iso.datetime({ offset: true });
const nullable = <T extends z.ZodType>(t: T) => t.nullable().optional();

/** DagRunState. */
export const DagRunState = z.enum(["queued", "running", "success", "failed"]);
/** TaskInstanceState. */
export const TaskInstanceState = z.enum([
  "removed",
  "scheduled",
  "queued",
  "running",
  "success",
  "restarting",
  "failed",
  "up_for_retry",
  "up_for_reschedule",
  "upstream_failed",
  "skipped",
  "deferred",
  "awaiting_input",
]);
/** DagRunType. */
export const DagRunType = z.enum([
  "backfill",
  "scheduled",
  "manual",
  "asset_triggered",
  "asset_materialization",
]);
/** DagRunTriggeredByType. */
export const DagRunTriggeredByType = z.enum([
  "cli",
  "operator",
  "rest_api",
  "ui",
  "test",
  "timetable",
  "asset",
  "backfill",
]);

/** HTTPExceptionResponse. */
export const HTTPExceptionResponse = z.strictObject({
  detail: z.union([z.string(), z.record(z.string(), z.unknown())]),
});
/** HTTPValidationError (422). */
export const HTTPValidationError = z.strictObject({
  detail: z.array(
    z.strictObject({
      loc: z.array(z.union([z.string(), z.int()])),
      msg: z.string(),
      type: z.string(),
      ctx: z.record(z.string(), z.unknown()).optional(),
      input: z.unknown().optional(),
    }),
  ),
});

/** VersionInfo. */
export const VersionInfo = z.strictObject({
  version: z.string(),
  git_version: nullable(z.string()),
});

/** HealthInfoResponse. */
export const HealthInfoResponse = z.strictObject({
  metadatabase: z.strictObject({ status: nullable(z.string()) }),
  scheduler: z.strictObject({
    status: nullable(z.string()),
    latest_scheduler_heartbeat: nullable(z.string()),
  }),
  triggerer: z.strictObject({
    status: nullable(z.string()),
    latest_triggerer_heartbeat: nullable(z.string()),
  }),
  dag_processor: nullable(
    z.strictObject({
      status: nullable(z.string()),
      latest_dag_processor_heartbeat: nullable(z.string()),
    }),
  ),
});

/** LoginResponse. */
export const LoginResponse = z.strictObject({ access_token: z.string() });

/** DagTagResponse. */
export const DagTagResponse = z.strictObject({
  name: z.string(),
  dag_id: z.string(),
  dag_display_name: z.string(),
});

const dagFields = {
  dag_id: z.string(),
  dag_display_name: z.string(),
  is_paused: z.boolean(),
  is_stale: z.boolean(),
  last_parsed_time: nullable(dateTime),
  last_parse_duration: nullable(z.number()),
  last_expired: nullable(dateTime),
  bundle_name: nullable(z.string()),
  bundle_version: nullable(z.string()),
  relative_fileloc: nullable(z.string()),
  fileloc: z.string(),
  description: nullable(z.string()),
  timetable_summary: nullable(z.string()),
  timetable_description: nullable(z.string()),
  timetable_partitioned: z.boolean(),
  tags: z.array(DagTagResponse),
  max_active_tasks: z.int(),
  max_active_runs: nullable(z.int()),
  max_consecutive_failed_dag_runs: z.int(),
  has_task_concurrency_limits: z.boolean(),
  has_import_errors: z.boolean(),
  next_dagrun_logical_date: nullable(dateTime),
  next_dagrun_data_interval_start: nullable(dateTime),
  next_dagrun_data_interval_end: nullable(dateTime),
  next_dagrun_run_after: nullable(dateTime),
  allowed_run_types: nullable(z.array(DagRunType)),
  owners: z.array(z.string()),
  file_token: z.string(),
};

/** DAGResponse. */
export const DAGResponse = z.strictObject(dagFields);
/** DAGCollectionResponse. */
export const DAGCollectionResponse = z.strictObject({
  dags: z.array(DAGResponse),
  total_entries: z.int(),
});

/** DagVersionResponse. */
export const DagVersionResponse = z.strictObject({
  id: z.uuid(),
  version_number: z.int(),
  dag_id: z.string(),
  bundle_name: nullable(z.string()),
  bundle_version: nullable(z.string()),
  created_at: dateTime,
  dag_display_name: z.string(),
  bundle_url: nullable(z.string()),
});

/** DAGDetailsResponse. */
export const DAGDetailsResponse = z.strictObject({
  ...dagFields,
  catchup: z.boolean(),
  concurrency: z.int(),
  render_template_as_native_obj: z.boolean(),
  active_runs_count: z.int().optional(),
  asset_expression: nullable(z.record(z.string(), z.unknown())),
  dag_run_timeout: nullable(z.string()),
  default_args: nullable(z.record(z.string(), z.unknown())),
  doc_md: nullable(z.string()),
  end_date: nullable(dateTime),
  start_date: nullable(dateTime),
  is_favorite: z.boolean().optional(),
  is_paused_upon_creation: nullable(z.boolean()),
  last_parsed: nullable(dateTime),
  latest_dag_version: nullable(DagVersionResponse),
  owner_links: nullable(z.record(z.string(), z.string())),
  params: nullable(z.record(z.string(), z.unknown())),
  template_search_path: nullable(z.array(z.string())),
  timezone: nullable(z.string()),
});

/** TimeDelta, as Airflow serializes a task's timeouts and delays. */
export const TimeDelta = z.strictObject({
  __type: z.string().optional(),
  days: z.int(),
  seconds: z.int(),
  microseconds: z.int(),
});

/** TaskResponse. */
export const TaskResponse = z.strictObject({
  task_id: nullable(z.string()),
  task_display_name: nullable(z.string()),
  owner: nullable(z.string()),
  start_date: nullable(dateTime),
  end_date: nullable(dateTime),
  trigger_rule: nullable(z.string()),
  depends_on_past: z.boolean(),
  wait_for_downstream: z.boolean(),
  retries: nullable(z.number()),
  queue: nullable(z.string()),
  pool: nullable(z.string()),
  pool_slots: nullable(z.number()),
  execution_timeout: nullable(TimeDelta),
  retry_delay: nullable(TimeDelta),
  retry_exponential_backoff: z.number(),
  priority_weight: nullable(z.number()),
  weight_rule: nullable(z.string()),
  ui_color: nullable(z.string()),
  ui_fgcolor: nullable(z.string()),
  template_fields: nullable(z.array(z.string())),
  downstream_task_ids: nullable(z.array(z.string())),
  doc_md: nullable(z.string()),
  operator_name: nullable(z.string()),
  params: nullable(z.record(z.string(), z.unknown())),
  class_ref: nullable(z.record(z.string(), z.unknown())),
  is_mapped: nullable(z.boolean()),
  extra_links: z.array(z.string()),
});
/** TaskCollectionResponse. */
export const TaskCollectionResponse = z.strictObject({
  tasks: z.array(TaskResponse),
  total_entries: z.int(),
});

/** DAGRunResponse. */
export const DAGRunResponse = z.strictObject({
  dag_run_id: z.string(),
  dag_id: z.string(),
  dag_display_name: z.string(),
  logical_date: nullable(dateTime),
  queued_at: nullable(dateTime),
  start_date: nullable(dateTime),
  end_date: nullable(dateTime),
  duration: nullable(z.number()),
  data_interval_start: nullable(dateTime),
  data_interval_end: nullable(dateTime),
  run_after: dateTime,
  last_scheduling_decision: nullable(dateTime),
  run_type: DagRunType,
  state: DagRunState,
  triggered_by: nullable(DagRunTriggeredByType),
  triggering_user_name: nullable(z.string()),
  // Required and an object in 3.0.0's document; optional and nullable since.
  conf: z.record(z.string(), z.unknown()),
  note: nullable(z.string()),
  dag_versions: z.array(DagVersionResponse),
  bundle_version: nullable(z.string()),
  partition_key: nullable(z.string()),
});
/** DAGRunCollectionResponse. */
export const DAGRunCollectionResponse = z.strictObject({
  dag_runs: z.array(DAGRunResponse),
  total_entries: z.int(),
});

const tiFields = {
  task_id: z.string(),
  dag_id: z.string(),
  dag_run_id: z.string(),
  map_index: z.int(),
  start_date: nullable(dateTime),
  end_date: nullable(dateTime),
  duration: nullable(z.number()),
  state: nullable(TaskInstanceState),
  try_number: z.int(),
  max_tries: z.int(),
  task_display_name: z.string(),
  dag_display_name: z.string(),
  hostname: nullable(z.string()),
  unixname: nullable(z.string()),
  pool: z.string(),
  pool_slots: z.int(),
  queue: nullable(z.string()),
  priority_weight: nullable(z.int()),
  operator: nullable(z.string()),
  operator_name: nullable(z.string()),
  queued_when: nullable(dateTime),
  scheduled_when: nullable(dateTime),
  pid: nullable(z.int()),
  executor: nullable(z.string()),
  executor_config: z.string(),
  dag_version: nullable(DagVersionResponse),
};

/** TaskInstanceResponse. */
export const TaskInstanceResponse = z.strictObject({
  ...tiFields,
  id: z.uuid(),
  logical_date: nullable(dateTime),
  run_after: dateTime,
  note: nullable(z.string()),
  rendered_map_index: nullable(z.string()),
  rendered_fields: z.record(z.string(), z.unknown()).optional(),
  trigger: nullable(z.record(z.string(), z.unknown())),
  triggerer_job: nullable(z.record(z.string(), z.unknown())),
});
/** TaskInstanceCollectionResponse. */
export const TaskInstanceCollectionResponse = z.strictObject({
  task_instances: z.array(TaskInstanceResponse),
  total_entries: z.int(),
});
/** TaskInstanceHistoryResponse. */
export const TaskInstanceHistoryResponse = z.strictObject(tiFields);
/** TaskInstanceHistoryCollectionResponse. */
export const TaskInstanceHistoryCollectionResponse = z.strictObject({
  task_instances: z.array(TaskInstanceHistoryResponse),
  total_entries: z.int(),
});

/** TaskInstancesLogResponse: structured messages (extra keys allowed) or plain strings. */
export const TaskInstancesLogResponse = z.strictObject({
  content: z.union([
    z.array(
      z.looseObject({ event: z.string(), timestamp: dateTime.optional() }),
    ),
    z.array(z.string()),
  ]),
  continuation_token: nullable(z.string()),
});

const xcomFields = {
  key: z.string(),
  timestamp: dateTime,
  logical_date: nullable(dateTime),
  map_index: z.int(),
  task_id: z.string(),
  dag_id: z.string(),
  run_id: z.string(),
  dag_display_name: z.string(),
  task_display_name: z.string(),
  run_after: dateTime,
};
/** XComResponse (a list entry, without the value). */
export const XComResponse = z.strictObject(xcomFields);
/** XComCollectionResponse. */
export const XComCollectionResponse = z.strictObject({
  xcom_entries: z.array(XComResponse),
  total_entries: z.int(),
});
/** Any JSON value (an XCom's stored value). */
export const JsonValue = z.json();
/** XComResponseNative. */
export const XComResponseNative = z.strictObject({
  ...xcomFields,
  value: JsonValue,
});
/** XComResponseString. */
export const XComResponseString = z.strictObject({
  ...xcomFields,
  value: nullable(z.string()),
});

/** ImportErrorResponse. */
export const ImportErrorResponse = z.strictObject({
  import_error_id: z.int(),
  timestamp: dateTime,
  filename: z.string(),
  bundle_name: nullable(z.string()),
  stack_trace: z.string(),
});
/** ImportErrorCollectionResponse. */
export const ImportErrorCollectionResponse = z.strictObject({
  import_errors: z.array(ImportErrorResponse),
  total_entries: z.int(),
});

/** DagStatsCollectionResponse. */
export const DagStatsCollectionResponse = z.strictObject({
  dags: z.array(
    z.strictObject({
      dag_id: z.string(),
      dag_display_name: z.string(),
      stats: z.array(z.strictObject({ state: DagRunState, count: z.int() })),
    }),
  ),
  total_entries: z.int(),
});

/** DAGTagCollectionResponse. */
export const DAGTagCollectionResponse = z.strictObject({
  tags: z.array(z.string()),
  total_entries: z.int(),
});

/** VariableResponse (a value under a sensitive key is masked). */
export const VariableResponse = z.strictObject({
  key: z.string(),
  value: z.string(),
  description: nullable(z.string()),
  is_encrypted: z.boolean(),
  team_name: nullable(z.string()),
});
/** VariableCollectionResponse. */
export const VariableCollectionResponse = z.strictObject({
  variables: z.array(VariableResponse),
  total_entries: z.int(),
});
/** HITLUser. */
export const HITLUser = z.strictObject({ id: z.string(), name: z.string() });
/** HITLDetail. */
export const HITLDetail = z.strictObject({
  task_instance: TaskInstanceResponse,
  options: z.array(z.string()).min(1),
  subject: z.string(),
  body: nullable(z.string()),
  defaults: nullable(z.array(z.string())),
  multiple: z.boolean().optional(),
  params: z.record(z.string(), z.unknown()).optional(),
  assigned_users: z.array(HITLUser).optional(),
  created_at: dateTime,
  responded_by_user: nullable(HITLUser),
  responded_at: nullable(dateTime),
  chosen_options: nullable(z.array(z.string())),
  params_input: z.record(z.string(), z.unknown()).optional(),
  response_received: z.boolean().optional(),
});
/** HITLDetailCollection. */
export const HITLDetailCollection = z.strictObject({
  hitl_details: z.array(HITLDetail),
  total_entries: z.int(),
});
/** HITLDetailResponse. */
export const HITLDetailResponse = z.strictObject({
  responded_by: HITLUser,
  responded_at: dateTime,
  chosen_options: z.array(z.string()).min(1),
  params_input: z.record(z.string(), z.unknown()).optional(),
});

/** EventLogResponse: one entry of Airflow's event log. */
export const EventLogResponse = z.strictObject({
  event_log_id: z.int(),
  when: dateTime,
  dag_id: nullable(z.string()),
  task_id: nullable(z.string()),
  run_id: nullable(z.string()),
  map_index: nullable(z.int()),
  try_number: nullable(z.int()),
  event: z.string(),
  logical_date: nullable(dateTime),
  owner: nullable(z.string()),
  extra: nullable(z.string()),
  dag_display_name: nullable(z.string()),
  task_display_name: nullable(z.string()),
});
/** EventLogCollectionResponse. */
export const EventLogCollectionResponse = z.strictObject({
  event_logs: z.array(EventLogResponse),
  total_entries: z.int(),
});
