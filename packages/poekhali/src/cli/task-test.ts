import {
  BaseOperator,
  DeferrableOperator,
  DeferrableSensor,
  StaticConnections,
  isXComArg,
  taskContext,
  resolveArgs,
  type Connections,
  type Dag,
  type Json,
} from "@poekhali/core";
import { CommandFailed } from "./usage-error.js";

/** What `tasks test` needs to run one task in this process. */
export interface TaskTestOptions {
  readonly dag: Dag;
  readonly taskId: string;
  readonly conf: unknown;
  /** Outputs of upstream tasks, by task id, standing in for what a real run would have passed. */
  readonly upstream: Record<string, Json>;
  readonly connections: Connections | undefined;
  readonly log: (line: string) => void;
}

/**
 * Runs one operator's `execute` in-process, without Restate (Airflow's `tasks test`), and returns its output. A
 * deferrable operator runs only if it can do its work without its event source (it says so by overriding `execute`).
 */
export async function runTaskTest(options: TaskTestOptions): Promise<Json> {
  const { dag, taskId } = options;
  const task = dag.task(taskId);
  if (!task)
    throw new CommandFailed(
      `DAG "${dag.id}" has no task "${taskId}"; it has: ${dag.tasks.map((t) => t.taskId).join(", ")}`,
    );
  if (task instanceof DeferrableSensor && !task.runsInProcess) {
    throw new CommandFailed(
      `"${taskId}" is a deferrable sensor: it waits for an event that only a running DAG receives; trigger the DAG instead`,
    );
  }
  if (task instanceof DeferrableOperator && !task.runsInProcess) {
    throw new CommandFailed(
      `"${taskId}" is a deferrable operator that cannot work without the event source it hands its work to, which only a running DAG has; trigger the DAG instead`,
    );
  }
  if (!(task instanceof BaseOperator))
    throw new CommandFailed(`"${taskId}" is not an operator`);
  // Only tasks whose output it takes: one ordered after a task with `after` needs nothing from it.
  const missing = Object.values(task.args)
    .filter(isXComArg)
    .map((arg) => arg.taskId)
    .filter((id) => !(id in options.upstream));
  if (missing.length > 0) {
    throw new CommandFailed(
      `"${taskId}" takes the output of ${missing.map((m) => `"${m}"`).join(", ")}: pass it with --upstream '{"${missing[0]}": ...}'`,
    );
  }
  const params = dag.parseConf(options.conf);
  const runtime = {
    connections: options.connections ?? new StaticConnections([]),
    log: (line: { level: string; message: string }) =>
      options.log(`${line.level}: ${line.message}`),
  };
  const run = {
    dagId: dag.id,
    runId: `test__${new Date().toISOString()}`,
    logicalDate: new Date(),
    params,
  };
  const operator = task as BaseOperator<object, Json>;
  const args = resolveArgs(operator.args, {
    outputs: new Map(Object.entries(options.upstream)),
    params,
  });
  return (
    (await operator.execute(args, taskContext(runtime, run, taskId, 1))) ?? null
  );
}
