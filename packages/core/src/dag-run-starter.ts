import type { DagRunState } from "./task-instance.js";
import type { Json } from "./json.js";

/** The task whose run started another run (Airflow's TriggerDagRunOperator), kept with the run it started. */
export interface TriggeredBy {
  readonly dag_id: string;
  readonly run_id: string;
  readonly task_id: string;
}

/** A run as another run's task sees it: its state, and which task started it (null: not a task). */
export interface FoundRun {
  readonly state: DagRunState;
  readonly triggered_by: TriggeredBy | null;
}

/**
 * Starts and reads DAG runs from inside a task, through Restate's ingress; the worker lends one to every task. Both
 * calls may repeat (a try cut off is tried again): starting a run that exists answers `exists`, never a second run.
 */
export interface DagRunStarter {
  /** Starts a run of a DAG this worker serves; `exists` when the run id was taken (by anyone, this task included). */
  trigger(
    dagId: string,
    runId: string,
    input: {
      readonly conf: Record<string, Json>;
      readonly logical_date?: string;
      readonly triggered_by: TriggeredBy;
    },
  ): Promise<"started" | "exists">;
  /** The run, once it has started; null when there is no such run or it has not started yet. */
  find(dagId: string, runId: string): Promise<FoundRun | null>;
}
