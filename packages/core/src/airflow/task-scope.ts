import { AsyncLocalStorage } from "node:async_hooks";
import type { JsonObject } from "../json.js";
import type { TaskClient } from "./task-client.js";

/** What a running task knows about itself: Airflow's TypeScript SDK `TaskContext`, plus its logical date and params. */
export interface TaskContext {
  readonly dagId: string;
  /** The task's id, with its groups' prefix. */
  readonly taskId: string;
  readonly runId: string;
  /** 1 for the first try, counting up through retries. */
  readonly tryNumber: number;
  /** -1: poekhali does not map tasks. */
  readonly mapIndex: number;
  /** Aborted when the try passes its execution timeout. */
  readonly signal: AbortSignal;
  /** When the run started (Airflow's `logical_date` of a manual run). */
  readonly logicalDate: Date;
  /** The run's params: the DAG's defaults overridden by the trigger's conf. */
  readonly params: Readonly<JsonObject>;
}

/** What is in scope while a task's handler runs. */
export interface TaskScope {
  readonly ctx: TaskContext;
  readonly client: TaskClient;
}

// Keyed on a global symbol: a DAG file may reach this module under another URL (the SDK's name, mapped by the DAG
// loader), and each copy must see the scope the runner put in place.
const STORAGE = Symbol.for("poekhali.airflow.task-scope");

function storage(): AsyncLocalStorage<TaskScope> {
  const holder = globalThis as unknown as Record<
    symbol,
    AsyncLocalStorage<TaskScope> | undefined
  >;
  return (holder[STORAGE] ??= new AsyncLocalStorage<TaskScope>());
}

/** Calls `fn` with `scope` in place for everything it awaits, as the runner does around each handler call. */
export function runInTaskScope<T>(scope: TaskScope, fn: () => T): T {
  return storage().run(scope, fn);
}

function currentScope(accessor: "getContext" | "getClient"): TaskScope {
  const scope = storage().getStore();
  if (!scope)
    throw new Error(
      `${accessor}() is only available inside a task handler: it ran at module top level or in work that outlived the handler`,
    );
  return scope;
}

/**
 * The running task's context (dag id, run id, task id, try number, logical date, params).
 *
 * @example
 * const summarize = dag.task("summarize", async () => `run ${getContext().runId}`);
 */
export function getContext(): TaskContext {
  return currentScope("getContext").ctx;
}

/**
 * The running task's client for Variables, XCom and Connections.
 *
 * @example
 * const rows = await getClient().getVariable("north_rows");
 */
export function getClient(): TaskClient {
  return currentScope("getClient").client;
}
