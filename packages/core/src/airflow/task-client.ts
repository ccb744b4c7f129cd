import type { Connections } from "../connections.js";
import type { Json } from "../json.js";
import { variableKeyProblem, type VariableStore } from "../variable-store.js";
import type { XComLocator, XComStore } from "../xcom-store.js";
import {
  ConnectionNotFoundError,
  NotSupportedYetError,
  VariableNotFoundError,
} from "./errors.js";

/** A value that survives the trip through XCom (the SDK's `JsonValue`). */
export type JsonValue = Json;

/** Where an XCom is read from; the locators default to the running task's run (the SDK's `GetXComOpts`). */
export interface GetXComOpts {
  key: string;
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: number | null;
  includePriorDates?: boolean;
}

/** An XCom to write; the locators default to the running task (the SDK's `SetXComOpts`). */
export interface SetXComOpts {
  key: string;
  value: JsonValue;
  dagId?: string;
  runId?: string;
  taskId?: string;
  mapIndex?: number | null;
}

/** An Airflow Connection as the SDK's client returns it. */
export interface ConnectionResult {
  id: string;
  type: string;
  host?: string | null;
  schema?: string | null;
  login?: string | null;
  password?: string | null;
  port?: number | null;
  extra?: string | null;
}

/** What a task handler reaches Airflow's task-time data through (the SDK's `TaskClient`). */
export interface TaskClient {
  /** The Variable's value, or `null` when there is none. */
  getVariable(key: string): Promise<string | null>;
  /** The Variable's value; throws {@link VariableNotFoundError} when there is none. */
  getVariableOrThrow(key: string): Promise<string>;
  /** Stores a Variable in poekhali's store, replacing its value and description. */
  setVariable(
    key: string,
    value: string,
    description?: string | null,
  ): Promise<void>;
  /** Deletes a Variable from poekhali's store; nothing happens when there is none. */
  deleteVariable(key: string): Promise<void>;
  /** An XCom of this run, or `null` when there is none. */
  getXCom<T = unknown>(opts: GetXComOpts): Promise<T | null>;
  /** Writes an XCom under a key. */
  setXCom(opts: SetXComOpts): Promise<void>;
  /** A Connection, or `null` when there is none. */
  getConnection(connId: string): Promise<ConnectionResult | null>;
  /** A Connection; throws {@link ConnectionNotFoundError} when there is none. */
  getConnectionOrThrow(connId: string): Promise<ConnectionResult>;
}

/** The key Airflow keeps a task's returned value under. */
export const RETURN_VALUE = "return_value";

/** Where a {@link RunTaskClient} finds what it serves. */
export interface RunTaskClientSource {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  /** The outputs of the tasks upstream of this one, by task id: what `getXCom` can read of this run. */
  readonly upstreamOutputs: ReadonlyMap<string, Json>;
  readonly connections: Connections;
  /** Where XCom under a key is kept; none: `setXCom`/`getXCom` by key are refused. */
  readonly xcomStore?: XComStore;
  /** Where Variables are looked up first, as `AIRFLOW_VAR_<KEY>`; `process.env` in a worker. */
  readonly env: NodeJS.ProcessEnv;
  /** Where Variables set over the API or by tasks are kept; none: only the environment is read, writes are refused. */
  readonly variableStore?: VariableStore;
}

/** The environment variable Airflow reads a Variable from: `AIRFLOW_VAR_` and the key upper-cased. */
export function variableEnvName(key: string): string {
  return `AIRFLOW_VAR_${key.toUpperCase()}`;
}

/** A key Airflow would refuse is refused here too, naming what is wrong. */
function checkKey(key: string) {
  const problem = variableKeyProblem(key);
  if (problem) throw new TypeError(`${problem}: ${JSON.stringify(key)}`);
}

/** The client a compiled task's handler gets: Variables from the environment then the store, XCom from Restate. */
export class RunTaskClient implements TaskClient {
  readonly #source: RunTaskClientSource;

  constructor(source: RunTaskClientSource) {
    this.#source = source;
  }

  async getVariable(key: string): Promise<string | null> {
    checkKey(key);
    // Airflow's lookup order: the environment-variables backend before the metastore. The raw string, JSON or not.
    const fromEnv = this.#source.env[variableEnvName(key)];
    if (fromEnv !== undefined) return fromEnv;
    const stored = await this.#source.variableStore?.get(key);
    return stored?.value ?? null;
  }

  async getVariableOrThrow(key: string): Promise<string> {
    const value = await this.getVariable(key);
    if (value === null) throw new VariableNotFoundError(key);
    return value;
  }

  async setVariable(
    key: string,
    value: string,
    description?: string | null,
  ): Promise<void> {
    checkKey(key);
    await this.#variables(`setVariable("${key}")`).set(key, {
      // A caller outside TypeScript's types may pass another JSON value: stored JSON-encoded, as the API stores it.
      value: typeof value === "string" ? value : JSON.stringify(value),
      description: description ?? null,
    });
  }

  async deleteVariable(key: string): Promise<void> {
    checkKey(key);
    await this.#variables(`deleteVariable("${key}")`).delete(key);
  }

  #variables(what: string): VariableStore {
    const store = this.#source.variableStore;
    if (!store)
      throw new NotSupportedYetError(
        `${what} outside a worker (no Variable store in this runtime)`,
      );
    return store;
  }

  async getXCom<T = unknown>(opts: GetXComOpts): Promise<T | null> {
    const { dagId, runId, taskId } = this.#source;
    if (opts.includePriorDates)
      throw new NotSupportedYetError(
        "getXCom with includePriorDates: reading XCom of earlier runs",
      );
    if (opts.key !== RETURN_VALUE)
      return (await this.#store(`getXCom with key "${opts.key}"`).get(
        this.#locator(opts),
      )) as T | null;
    if (
      (opts.dagId !== undefined && opts.dagId !== dagId) ||
      (opts.runId !== undefined && opts.runId !== runId)
    )
      throw new NotSupportedYetError(
        `getXCom of "${RETURN_VALUE}" from another DAG or run`,
      );
    const from = opts.taskId ?? taskId;
    const outputs = this.#source.upstreamOutputs;
    if (!outputs.has(from))
      throw new Error(
        `getXCom: task "${from}" is not upstream of "${taskId}", so its "${RETURN_VALUE}" is not known to be written yet; ` +
          "pass it as an input or draw an edge with .after()",
      );
    return (outputs.get(from) ?? null) as T | null;
  }

  async setXCom(opts: SetXComOpts): Promise<void> {
    if (opts.key === RETURN_VALUE)
      throw new Error(
        `setXCom: "${RETURN_VALUE}" is what the task's handler returns; return the value instead`,
      );
    await this.#store(`setXCom with key "${opts.key}"`).set(
      this.#locator(opts),
      opts.value,
    );
  }

  #locator(opts: GetXComOpts | SetXComOpts): XComLocator {
    if (
      opts.mapIndex !== undefined &&
      opts.mapIndex !== null &&
      opts.mapIndex !== -1
    )
      throw new NotSupportedYetError(
        `XCom of mapped task instances (mapIndex ${opts.mapIndex})`,
      );
    return {
      dagId: opts.dagId ?? this.#source.dagId,
      runId: opts.runId ?? this.#source.runId,
      taskId: opts.taskId ?? this.#source.taskId,
      key: opts.key,
    };
  }

  #store(what: string): XComStore {
    const store = this.#source.xcomStore;
    if (!store)
      throw new NotSupportedYetError(
        `${what} outside a worker (no XCom store in this runtime)`,
      );
    return store;
  }

  async getConnection(connId: string): Promise<ConnectionResult | null> {
    try {
      return await this.getConnectionOrThrow(connId);
    } catch (error) {
      if (error instanceof ConnectionNotFoundError) return null;
      throw error;
    }
  }

  getConnectionOrThrow(connId: string): Promise<ConnectionResult> {
    let found;
    try {
      found = this.#source.connections.get(connId);
    } catch (error) {
      return Promise.reject(
        new ConnectionNotFoundError(connId, { cause: error }),
      );
    }
    const extra = found.extra;
    return Promise.resolve({
      id: found.connId,
      type: found.connType,
      host: found.host ?? null,
      password: found.password ?? null,
      extra: Object.keys(extra).length > 0 ? JSON.stringify(extra) : null,
    });
  }
}
