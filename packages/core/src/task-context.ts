import type { DagRunStarter } from "./dag-run-starter.js";
import type { Connections } from "./connections.js";
import type { TaskContext, TaskLogger } from "./context.js";
import type { JsonObject } from "./json.js";
import type { VariableStore } from "./variable-store.js";
import type { XComStore } from "./xcom-store.js";

/** One log line of a task try, as the worker's sink receives it. */
export interface TaskLogLine {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly tryNumber: number;
  readonly level: "info" | "warn" | "error";
  readonly message: string;
}

/** What the worker lends every run: connections and a place for log lines. */
export interface WorkerRuntime {
  readonly connections: Connections;
  readonly log?: (line: TaskLogLine) => void;
  /** Where XCom written under a key is kept (Airflow's TypeScript SDK `setXCom`); none: such writes are refused. */
  readonly xcomStore?: XComStore;
  /** Starts and reads other DAG runs for the tasks that do (TriggerDagRunOperator). */
  readonly runs?: DagRunStarter;
  /** Where Airflow Variables are kept (Airflow's TypeScript SDK `setVariable`); none: the store is not read or written. */
  readonly variableStore?: VariableStore;
}

/** How many lines, and how long each, a try's kept log may hold: it lives in the run's state. */
const MAX_LINES = 500;
const MAX_LINE = 2_000;

/** Replaces every connection secret in a text with `***`, as Airflow masks task logs. */
export function maskSecrets(text: string, secrets: readonly string[]): string {
  let masked = text;
  for (const secret of secrets)
    if (secret.length >= 4) masked = masked.split(secret).join("***");
  return masked;
}

/** Builds the context a task try sees, with a logger that tags lines with the try, masks secrets and keeps them in `kept`. */
export function taskContext(
  runtime: WorkerRuntime,
  run: {
    readonly dagId: string;
    readonly runId: string;
    readonly logicalDate: Date;
    /** 0 when left out: a run never cleared. */
    readonly clearNumber?: number;
    readonly params: JsonObject;
  },
  taskId: string,
  tryNumber: number,
  signal?: AbortSignal,
  kept?: string[],
): TaskContext {
  const secrets = runtime.connections.secrets();
  const emit = (level: TaskLogLine["level"]) => (raw: string) => {
    const message = maskSecrets(raw, secrets);
    if (kept && kept.length < MAX_LINES)
      kept.push(
        `${new Date().toISOString()} ${level.toUpperCase()} ${message.slice(0, MAX_LINE)}`,
      );
    runtime.log?.({
      dagId: run.dagId,
      runId: run.runId,
      taskId,
      tryNumber,
      level,
      message,
    });
  };
  const log: TaskLogger = {
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
  };
  return {
    ...run,
    clearNumber: run.clearNumber ?? 0,
    taskId,
    tryNumber,
    log,
    connections: runtime.connections,
    signal: signal ?? new AbortController().signal,
    ...(runtime.xcomStore && { xcomStore: runtime.xcomStore }),
    ...(runtime.runs && { runs: runtime.runs }),
    ...(runtime.variableStore && { variableStore: runtime.variableStore }),
  };
}
