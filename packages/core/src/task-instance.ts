import type { TriggeredBy } from "./dag-run-starter.js";

/** Task-instance states, with Airflow's names. */
export type TaskState =
  | "scheduled"
  | "running"
  | "success"
  | "failed"
  | "skipped"
  | "upstream_failed"
  | "up_for_retry"
  | "up_for_reschedule"
  | "deferred"
  /** Parked on a person's answer (Airflow 3.4's state for a human-in-the-loop task). */
  | "awaiting_input";

/** Run states, as Airflow's REST API reports them. */
export type DagRunState = "queued" | "running" | "success" | "failed";

/** One task of one run, as the REST API and the UI show it. */
export interface TaskInstance {
  readonly task_id: string;
  state: TaskState;
  /** ISO 8601 UTC, or null before the task starts. */
  start_date: string | null;
  end_date: string | null;
  try_number: number;
  /** Why the task failed or was skipped, for people. */
  note?: string;
  /** How each earlier try ended (a retry, or a clear), oldest first: Airflow's task instance history. */
  tries?: TryRecord[];
}

/** One earlier try of a task instance, as it ended. */
export interface TryRecord {
  readonly try_number: number;
  readonly state: TaskState;
  readonly start_date: string | null;
  readonly end_date: string | null;
  readonly note?: string;
}

/** One run of a DAG, as kept in its workflow's state. */
export interface DagRun {
  readonly dag_id: string;
  readonly dag_run_id: string;
  state: DagRunState;
  readonly conf: Record<string, unknown>;
  readonly logical_date: string;
  start_date: string;
  end_date: string | null;
  /** How often the run was cleared (Airflow's `clear_number`); absent until the first clear. */
  clear_number?: number;
  /** The task of another run that started this one, if one did. */
  readonly triggered_by?: TriggeredBy;
}

/** What a run's status handler returns: the run and its task instances in DAG order. */
export interface DagRunStatus {
  readonly dag_run: DagRun;
  readonly task_instances: TaskInstance[];
}
