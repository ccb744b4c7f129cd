import type { Json } from "./json.js";

/** Which XCom: the task that wrote it, in which run of which DAG, under which key (Airflow's XCom locator). */
export interface XComLocator {
  readonly dagId: string;
  readonly runId: string;
  readonly taskId: string;
  readonly key: string;
}

/** Where XCom written under a key (other than a task's returned value) is kept; the worker provides one. */
export interface XComStore {
  /** The value, or `null` when none was written. */
  get(locator: XComLocator): Promise<Json | null>;
  /** Writes the value, replacing what was there. */
  set(locator: XComLocator, value: Json): Promise<void>;
}
