/** Base class of every error poekhali's core throws. */
export class PoekhaliError extends Error {
  override name = "PoekhaliError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * Thrown by a task to end it `skipped` instead of failed, with no retry (Airflow's AirflowSkipException); the tasks
 * after it see the skip through their trigger rules.
 */
export class SkipTask extends PoekhaliError {
  override name = "SkipTask";
}

/** A DAG that cannot run as written: a duplicate task id, a cycle, an edge to a task outside the DAG. */
export class DagDefinitionError extends PoekhaliError {
  override name = "DagDefinitionError";
  constructor(
    readonly dagId: string,
    message: string,
  ) {
    super(`DAG "${dagId}": ${message}`);
  }
}

/** Trigger-time `conf` that does not fit the DAG's params; `field` names the offending key. */
export class ConfError extends PoekhaliError {
  override name = "ConfError";
  constructor(
    readonly dagId: string,
    readonly field: string,
    readonly detail: string,
  ) {
    super(
      `conf for DAG "${dagId}" is invalid: ${field ? `"${field}" ` : ""}${detail}`,
    );
  }
}

/** A connection id that the environment does not define, or defines without a needed part. */
export class ConnectionError extends PoekhaliError {
  override name = "ConnectionError";
  constructor(
    readonly connId: string,
    message: string,
  ) {
    super(`connection "${connId}": ${message}`);
  }
}
