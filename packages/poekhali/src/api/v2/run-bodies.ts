import { z } from "zod";

/** A date-time with a time zone (Airflow's AwareDatetime): a naive one is refused. */
export const awareDateTime = z.iso.datetime({ offset: true, local: false });

/** DagRunState, Airflow's run states. */
export const DAG_RUN_STATES = [
  "queued",
  "running",
  "success",
  "failed",
] as const;

/** Airflow 3's `TriggerDAGRunPostBody`; a missing `logical_date` is null, as the client spec leaves it optional. */
export const triggerBody = z
  .strictObject({
    dag_run_id: z.string().nullish(),
    logical_date: awareDateTime.nullish(),
    data_interval_start: awareDateTime.nullish(),
    data_interval_end: awareDateTime.nullish(),
    run_after: awareDateTime.nullish(),
    conf: z.record(z.string(), z.unknown()).nullish(),
    note: z.string().nullish(),
    partition_key: z.string().nullish(),
  })
  .refine(
    (b) => (b.data_interval_start == null) === (b.data_interval_end == null),
    {
      message:
        "Value error, Either both data_interval_start and data_interval_end must be provided or both must be None",
    },
  );

const aware = awareDateTime.nullish();
const number = z.number().nullish();

/** Airflow's `DAGRunsBatchBody` for `POST /dags/~/dagRuns/list`. */
export const dagRunsBatchBody = z.strictObject({
  order_by: z.string().nullish(),
  page_offset: z.int().min(0).default(0),
  page_limit: z.int().min(0).default(100),
  dag_ids: z.array(z.string()).nullish(),
  states: z.array(z.enum(DAG_RUN_STATES).nullable()).nullish(),
  conf_contains: z.string().nullish(),
  ...Object.fromEntries(
    ["run_after", "logical_date", "start_date", "end_date"].flatMap((f) =>
      ["gte", "gt", "lte", "lt"].map((op) => [`${f}_${op}`, aware]),
    ),
  ),
  ...Object.fromEntries(
    ["gte", "gt", "lte", "lt"].map((op) => [`duration_${op}`, number]),
  ),
});

/** Airflow's `DAGRunPatchBody`: the states a run may be set to, and a note. */
export const dagRunPatchBody = z.strictObject({
  state: z.enum(["queued", "success", "failed"]).nullish(),
  note: z.string().max(1000).nullish(),
});

/** Airflow's `DAGRunClearBody`; `dry_run` is true unless turned off. */
export const dagRunClearBody = z.strictObject({
  dry_run: z.boolean().default(true),
  only_failed: z.boolean().default(false),
  run_on_latest_version: z.boolean().default(false),
});
