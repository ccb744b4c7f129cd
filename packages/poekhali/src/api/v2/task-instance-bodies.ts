import { z } from "zod";
import { awareDateTime } from "./run-bodies.js";

/** The states a task instance may be set to through the API (Airflow's `PatchTaskInstanceBody.new_state`). */
const settable = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(
    z.enum(["success", "failed", "skipped"], {
      error: (issue) =>
        `'${String(issue.input)}' is not one of ['success', 'failed', 'skipped']`,
    }),
  );

/** Airflow's `PatchTaskInstanceBody`. */
export const patchTaskInstanceBody = z.strictObject({
  new_state: settable.nullish(),
  note: z.string().max(1000).nullish(),
  include_upstream: z.boolean().default(false),
  include_downstream: z.boolean().default(false),
  include_future: z.boolean().default(false),
  include_past: z.boolean().default(false),
});

/** Airflow's `ClearTaskInstancesBody`, with its defaults: a dry run of the failed tasks, unless told otherwise. */
export const clearTaskInstancesBody = z
  .strictObject({
    dry_run: z.boolean().default(true),
    start_date: awareDateTime.nullish(),
    end_date: awareDateTime.nullish(),
    only_failed: z.boolean().default(true),
    only_running: z.boolean().default(false),
    reset_dag_runs: z.boolean().default(true),
    task_ids: z
      .array(z.union([z.string(), z.tuple([z.string(), z.int()])]))
      .min(1)
      .nullish(),
    dag_run_id: z.string().nullish(),
    include_upstream: z.boolean().default(false),
    include_downstream: z.boolean().default(false),
    include_future: z.boolean().default(false),
    include_past: z.boolean().default(false),
    prevent_running_task: z.boolean().default(false),
    run_on_latest_version: z.boolean().default(false),
  })
  .refine((b) => !(b.only_failed && b.only_running), {
    message: "Value error, only_failed and only_running both are set to True",
  })
  .refine((b) => !(b.dag_run_id && (b.start_date || b.end_date)), {
    message:
      "Value error, Either dag_run_id or start_date/end_date can be set, not both",
  })
  .refine(
    (b) =>
      !(
        b.start_date &&
        b.end_date &&
        Date.parse(b.start_date) > Date.parse(b.end_date)
      ),
    {
      message: "Value error, End date must be after start date",
    },
  );

const aware = awareDateTime.nullish();
const ranges = (fields: readonly string[], type: z.ZodType) =>
  Object.fromEntries(
    fields.flatMap((f) =>
      ["gte", "gt", "lte", "lt"].map((op) => [`${f}_${op}`, type]),
    ),
  ) as Record<string, typeof type>;

/** Airflow's `TaskInstancesBatchBody` for `POST /dags/~/dagRuns/~/taskInstances/list`. */
export const taskInstancesBatchBody = z.strictObject({
  dag_ids: z.array(z.string()).nullish(),
  dag_run_ids: z.array(z.string()).nullish(),
  task_ids: z.array(z.string()).nullish(),
  state: z.array(z.string().nullable()).nullish(),
  pool: z.array(z.string()).nullish(),
  queue: z.array(z.string()).nullish(),
  executor: z.array(z.string()).nullish(),
  order_by: z.string().nullish(),
  page_offset: z.int().min(0).default(0),
  page_limit: z.int().min(0).default(100),
  ...ranges(["run_after", "logical_date", "start_date", "end_date"], aware),
  ...ranges(["duration"], z.number().nullish()),
});
