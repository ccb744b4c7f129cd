import type { Connections } from "./connections.js";
import type { TaskContext, TaskLogger } from "./context.js";
import type { JsonObject } from "./json.js";

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
}

/** Builds the context a task try sees, with a logger that tags lines with the try. */
export function taskContext(
  runtime: WorkerRuntime,
  run: { readonly dagId: string; readonly runId: string; readonly logicalDate: Date; readonly params: JsonObject },
  taskId: string,
  tryNumber: number,
  signal?: AbortSignal,
): TaskContext {
  const emit = (level: TaskLogLine["level"]) => (message: string) =>
    runtime.log?.({ dagId: run.dagId, runId: run.runId, taskId, tryNumber, level, message });
  const log: TaskLogger = { info: emit("info"), warn: emit("warn"), error: emit("error") };
  return { ...run, taskId, tryNumber, log, connections: runtime.connections, signal: signal ?? new AbortController().signal };
}
