import { ConnectionError } from "./errors.js";

/** A named set of credentials and addresses for one external system, as Airflow's Connection. */
export interface Connection {
  readonly connId: string;
  readonly connType: string;
  readonly host?: string;
  /** The secret (a token); never logged, never journaled. */
  readonly password?: string;
  readonly extra: Readonly<Record<string, string>>;
}

/** Looks connections up by id; the worker provides one built from its environment. */
export interface Connections {
  get(connId: string): Connection;
  /** Every secret these connections hold, so that task logs can mask them. */
  secrets(): string[];
}

/** Connections held in memory, keyed by id. */
export class StaticConnections implements Connections {
  readonly #byId: Map<string, Connection>;

  constructor(connections: Iterable<Connection>) {
    this.#byId = new Map([...connections].map((c) => [c.connId, c]));
  }

  get(connId: string): Connection {
    const found = this.#byId.get(connId);
    if (!found) {
      const variable = `POEKHALI_CONN_${connId.toUpperCase()}`;
      throw new ConnectionError(
        connId,
        `is not defined in this worker's environment (set ${variable})`,
      );
    }
    return found;
  }

  secrets(): string[] {
    return [...this.#byId.values()].flatMap((c) =>
      c.password ? [c.password] : [],
    );
  }
}
