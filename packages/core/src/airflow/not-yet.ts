// Names Airflow's TypeScript SDK exports that poekhali does not run yet: a DAG file importing them links, and using
// one fails its load with an error naming it, rather than with a missing export that reads like a typo.
import { NotSupportedYetError } from "./errors.js";

/** Seconds a task-state-store key lives when it never expires (the SDK's `NEVER_EXPIRE`). */
export const NEVER_EXPIRE: number = Number.POSITIVE_INFINITY;

/** The SDK's handler for a task a Python DAG declares: poekhali has no Python DAGs, so constructing one is refused. */
export class TaskHandler {
  constructor(..._args: readonly unknown[]) {
    throw new NotSupportedYetError(
      "TaskHandler (a TypeScript handler for a task a Python DAG declares)",
    );
  }
}

/** The SDK's asset: refused, as poekhali schedules no asset-driven runs yet. */
export class Asset {
  constructor(..._args: readonly unknown[]) {
    throw new NotSupportedYetError("Asset (asset-driven scheduling)");
  }
}

/** The SDK's positional inputs (`withArgList`): refused; name the inputs instead. */
export function withArgList(..._values: readonly unknown[]): never {
  throw new NotSupportedYetError(
    "withArgList(...) (inputs given in order); name them: task({ rows, region })",
  );
}

/** The SDK's argument renames (`withArgNames`): refused; name the inputs as the handler does. */
export function withArgNames(..._args: readonly unknown[]): never {
  throw new NotSupportedYetError("withArgNames(...) (renamed arguments)");
}

/** The SDK's standalone `triggerDagRun(...)` task: refused, as `dag.triggerDagRun` is. */
export function triggerDagRun(..._args: readonly unknown[]): never {
  throw new NotSupportedYetError(
    "triggerDagRun(...) (a task starting another DAG's run)",
  );
}
