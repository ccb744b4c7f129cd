import type { ZodType } from "zod";
import type { JsonValue } from "./task-client.js";

/** Airflow's trigger rules, by name. */
export type TriggerRule =
  | "all_success"
  | "all_failed"
  | "all_done"
  | "all_done_min_one_success"
  | "all_done_setup_success"
  | "all_skipped"
  | "one_success"
  | "one_failed"
  | "one_done"
  | "none_failed"
  | "none_failed_min_one_success"
  | "none_skipped"
  | "always";

/** DAG-level options, as the SDK's `DagSpec` (Airflow's `DAG(...)` arguments in camelCase), plus `params`. */
export interface DagSpec {
  /** `"@once"`, `"@continuous"`, a cron expression or preset; unset: manual runs only. */
  readonly schedule?: string;
  readonly description?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  readonly tags?: readonly string[];
  readonly dagDisplayName?: string;
  readonly docMd?: string;
  readonly maxActiveTasks?: number;
  readonly maxActiveRuns?: number;
  readonly maxConsecutiveFailedDagRuns?: number;
  /** Seconds. */
  readonly dagrunTimeout?: number;
  readonly catchup?: boolean;
  readonly failFast?: boolean;
  readonly renderTemplateAsNativeObj?: boolean;
  readonly disableBundleVersioning?: boolean;
  readonly isPausedUponCreation?: boolean;
  /** The queue every task runs on unless it names its own. */
  readonly queue?: string;
  /**
   * poekhali's addition: the run's params by name, with their default values; a trigger's conf overrides them. A
   * param may instead be a zod schema (as `dag()` takes), which validates the conf when the run is triggered.
   */
  readonly params?: Readonly<Record<string, JsonValue | ZodType>>;
}

/** Task-level options, as the SDK's `TaskSpec` (Airflow's operator arguments in camelCase; durations in seconds). */
export interface TaskSpec {
  /** The task's id, when it is not given positionally or by the handler's name. */
  readonly taskId?: string;
  readonly owner?: string;
  readonly startDate?: Date;
  readonly endDate?: Date;
  /** When the task runs, judged from its upstream tasks' states; `"all_success"` by default. */
  readonly triggerRule?: TriggerRule;
  readonly dependsOnPast?: boolean;
  readonly ignoreFirstDependsOnPast?: boolean;
  readonly waitForPastDependsBeforeSkipping?: boolean;
  readonly waitForDownstream?: boolean;
  /** How many times a failed try is tried again; 0 by default. */
  readonly retries?: number;
  readonly queue?: string;
  readonly pool?: string;
  readonly poolSlots?: number;
  /** Seconds a try may run before it fails. */
  readonly executionTimeout?: number;
  /** Seconds to wait before a retry; 300 by default, as in Airflow. */
  readonly retryDelay?: number;
  /** Non-zero: the delay doubles after every failed try. */
  readonly retryExponentialBackoff?: number;
  /** Seconds the retry delay may grow to. */
  readonly maxRetryDelay?: number;
  readonly priorityWeight?: number;
  readonly weightRule?: string;
  readonly executor?: string;
  readonly doXcomPush?: boolean;
  readonly returnsDagResult?: boolean;
  readonly emailOnFailure?: boolean;
  readonly emailOnRetry?: boolean;
  readonly docMd?: string;
  readonly mapIndexTemplate?: string;
  readonly maxActiveTisPerDag?: number;
  readonly maxActiveTisPerDagrun?: number;
}

/** The options `dag.task(...)` takes: the task's {@link TaskSpec}. */
export type TaskOptions = TaskSpec;

/** Every key a {@link DagSpec} may hold: an unknown one is a typo, refused rather than ignored. */
export const DAG_SPEC_KEYS: ReadonlySet<string> = new Set<keyof DagSpec>([
  "schedule",
  "description",
  "startDate",
  "endDate",
  "tags",
  "dagDisplayName",
  "docMd",
  "maxActiveTasks",
  "maxActiveRuns",
  "maxConsecutiveFailedDagRuns",
  "dagrunTimeout",
  "catchup",
  "failFast",
  "renderTemplateAsNativeObj",
  "disableBundleVersioning",
  "isPausedUponCreation",
  "queue",
  "params",
]);

/** Every key a {@link TaskSpec} may hold. */
export const TASK_SPEC_KEYS: ReadonlySet<string> = new Set<keyof TaskSpec>([
  "taskId",
  "owner",
  "startDate",
  "endDate",
  "triggerRule",
  "dependsOnPast",
  "ignoreFirstDependsOnPast",
  "waitForPastDependsBeforeSkipping",
  "waitForDownstream",
  "retries",
  "queue",
  "pool",
  "poolSlots",
  "executionTimeout",
  "retryDelay",
  "retryExponentialBackoff",
  "maxRetryDelay",
  "priorityWeight",
  "weightRule",
  "executor",
  "doXcomPush",
  "returnsDagResult",
  "emailOnFailure",
  "emailOnRetry",
  "docMd",
  "mapIndexTemplate",
  "maxActiveTisPerDag",
  "maxActiveTisPerDagrun",
]);
