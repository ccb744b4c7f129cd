import * as clients from "@restatedev/restate-sdk-clients";
import type { StoredVariable } from "@poekhali/core";
import {
  AIRFLOW_VARIABLE_NAME,
  VARIABLE_STATE_KEY,
  type AirflowVariableObject,
  type VariableChange,
} from "@poekhali/core/airflow";
import type { Introspection } from "./dag-runs.js";
import { sqlLiteral as sql } from "../restate/sql-literal.js";

const Variable: AirflowVariableObject = { name: AIRFLOW_VARIABLE_NAME };

/** A Variable with its key, as the REST API lists them. */
export interface KeyedVariable extends StoredVariable {
  readonly key: string;
}

/**
 * Airflow Variables as the REST API reads and changes them: each one a key of Restate's `airflow_variable` object,
 * called through typed ingress clients; the list is one SQL query over Restate's `state` table.
 */
export class Variables {
  readonly #ingress: clients.Ingress;

  constructor(
    ingressUrl: string,
    private readonly introspection: Pick<Introspection, "query">,
  ) {
    this.#ingress = clients.connect({ url: ingressUrl });
  }

  #object(key: string) {
    return this.#ingress.objectClient(Variable, key);
  }

  /** The Variable, or `null` when there is none. */
  async get(key: string): Promise<StoredVariable | null> {
    return await this.#object(key).get();
  }

  /** Stores a new Variable; `false` when the key is taken (nothing is changed then). */
  async create(key: string, variable: StoredVariable): Promise<boolean> {
    return (await this.#object(key).create(variable)).created;
  }

  /** Changes the fields given; `null` when there is no such Variable. */
  async update(
    key: string,
    change: VariableChange,
  ): Promise<StoredVariable | null> {
    return await this.#object(key).update(change);
  }

  /** Deletes the Variable; `false` when there was none. */
  async delete(key: string): Promise<boolean> {
    return (await this.#object(key).delete()).deleted;
  }

  /** Every stored Variable, unordered. */
  async list(): Promise<KeyedVariable[]> {
    const rows = await this.introspection.query<{
      key: string;
      value_utf8: string | null;
    }>(
      `SELECT service_key AS key, value_utf8 FROM state ` +
        `WHERE service_name = ${sql(AIRFLOW_VARIABLE_NAME)} AND key = ${sql(VARIABLE_STATE_KEY)}`,
    );
    return rows.flatMap((row) => {
      if (row.value_utf8 === null) return [];
      const stored = JSON.parse(row.value_utf8) as StoredVariable;
      return [
        {
          key: row.key,
          value: stored.value,
          description: stored.description ?? null,
        },
      ];
    });
  }
}
