import { PoekhaliError } from "../errors.js";

/** Thrown by `getVariableOrThrow` when no Variable has the key, with Airflow's message. */
export class VariableNotFoundError extends Error {
  override readonly name = "VariableNotFoundError";

  constructor(readonly key: string) {
    super(`Variable not found: ${key}`);
  }
}

/** Thrown by `getConnectionOrThrow` when no Connection has the id, with Airflow's message. */
export class ConnectionNotFoundError extends Error {
  override readonly name = "ConnectionNotFoundError";

  constructor(
    readonly connId: string,
    options?: ErrorOptions,
  ) {
    super(`Connection not found: ${connId}`, options);
  }
}

/** Thrown where a DAG uses a part of Airflow's TypeScript SDK that poekhali does not run yet, naming the part. */
export class NotSupportedYetError extends PoekhaliError {
  override readonly name = "NotSupportedYetError";

  constructor(what: string) {
    super(`${what} is not supported by poekhali yet`);
  }
}
