import type { Connections } from "./connections.js";
import type { DagRunStarter } from "./dag-run-starter.js";
import type { JsonObject } from "./json.js";
import type { VariableStore } from "./variable-store.js";
import type { XComStore } from "./xcom-store.js";

/** Where a task's log lines go; the worker decides (console, a file, the run's state). */
export interface TaskLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** What a task sees of its run while it executes (Airflow's template context, typed). */
export interface TaskContext {
  readonly dagId: string;
  /** The run's id (`dag_run_id`), also its Restate workflow key. */
  readonly runId: string;
  readonly taskId: string;
  /** 1 for the first try, counting up through retries. */
  readonly tryNumber: number;
  /** When the run started. */
  readonly logicalDate: Date;
  /** How often the run was cleared and ran again (Airflow's `dag_run.clear_number`): 0 until the first clear. */
  readonly clearNumber: number;
  /** The run's params: the DAG's defaults overridden by trigger-time conf. */
  readonly params: Readonly<JsonObject>;
  readonly log: TaskLogger;
  readonly connections: Connections;
  /** Aborted when the try passes its execution timeout: pass it to fetch and the like. */
  readonly signal: AbortSignal;
  /** Where XCom written under a key is kept, when the worker provides one. */
  readonly xcomStore?: XComStore;
  /** Starts and reads other DAG runs (Airflow's TriggerDagRunOperator), when the worker provides it. */
  readonly runs?: DagRunStarter;
  /** Where Airflow Variables are kept, when the worker provides one. */
  readonly variableStore?: VariableStore;
}
