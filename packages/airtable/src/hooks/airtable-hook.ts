import { ConnectionError, type Connection } from "@poekhali/core";
import { AirtableError, airtableErrorFrom } from "../errors.js";

/** Airtable's API address. */
export const AIRTABLE_ENDPOINT_URL = "https://api.airtable.com";

/** Field values of one record, as the REST API takes and gives them. */
export type Fields = Record<string, string | number | boolean | null | string[]>;

/** One record as Airtable returns it. */
export interface AirtableRecord {
  readonly id: string;
  readonly createdTime: string;
  readonly fields: Fields;
}

/** A table as the metadata API describes it. */
export interface TableMeta {
  readonly id: string;
  readonly name: string;
  readonly fields: readonly { readonly id: string; readonly name: string; readonly type: string }[];
}

/** Options of an {@link AirtableHook}. */
export interface AirtableHookOptions {
  /** A personal access token (`pat…`); kept private to the hook. */
  readonly token: string;
  readonly baseId: string;
  /** Another server that speaks Airtable's REST API; no trailing slash. */
  readonly endpointUrl?: string;
}

/**
 * A typed client of Airtable's REST API v0 for one base, over `fetch`.
 *
 * @example
 * const hook = new AirtableHook({ token, baseId: "appXXXXXXXXXXXXXX" });
 * await hook.createRecords("tg_actions", [{ chat_id: "-100123" }]);
 */
export class AirtableHook {
  readonly baseId: string;
  readonly endpointUrl: string;
  readonly #token: string;

  constructor(options: AirtableHookOptions) {
    if (!/^app[A-Za-z0-9]{14}$/.test(options.baseId)) {
      throw new TypeError(`Airtable base id "${options.baseId}" is not like "app" followed by 14 letters and digits`);
    }
    this.baseId = options.baseId;
    this.#token = options.token;
    this.endpointUrl = (options.endpointUrl ?? AIRTABLE_ENDPOINT_URL).replace(/\/+$/, "");
  }

  /** Builds a hook from an `airtable` connection: password = token, host = endpoint, extra.base_id. */
  static fromConnection(connection: Connection): AirtableHook {
    if (!connection.password) throw new ConnectionError(connection.connId, "has no Airtable token (password)");
    const baseId = connection.extra.base_id;
    if (!baseId) throw new ConnectionError(connection.connId, "has no base id (extra.base_id)");
    return new AirtableHook({
      token: connection.password,
      baseId,
      ...(connection.host ? { endpointUrl: connection.host } : {}),
    });
  }

  /** Creates up to 10 records. */
  async createRecords(table: string, records: readonly Fields[]): Promise<AirtableRecord[]> {
    const body = { records: records.map((fields) => ({ fields })), typecast: false };
    const res = await this.#request<{ records: AirtableRecord[] }>("POST", this.#table(table), body, `creating records in ${table}`);
    return res.records;
  }

  /** Updates the record whose merge fields match each given one, or creates it: one request, at most 10 records. */
  async upsertRecords(
    table: string,
    records: readonly Fields[],
    fieldsToMergeOn: readonly string[],
  ): Promise<{ records: AirtableRecord[]; createdRecords: string[]; updatedRecords: string[] }> {
    const body = { performUpsert: { fieldsToMergeOn }, records: records.map((fields) => ({ fields })), typecast: false };
    return this.#request("PATCH", this.#table(table), body, `upserting records in ${table}`);
  }

  /** Lists records, following pages; `filterByFormula` narrows them. */
  async listRecords(table: string, options: { filterByFormula?: string; pageSize?: number } = {}): Promise<AirtableRecord[]> {
    const all: AirtableRecord[] = [];
    let offset: string | undefined;
    do {
      const query = new URLSearchParams();
      if (options.filterByFormula) query.set("filterByFormula", options.filterByFormula);
      if (options.pageSize) query.set("pageSize", String(options.pageSize));
      if (offset) query.set("offset", offset);
      const page = await this.#request<{ records: AirtableRecord[]; offset?: string }>(
        "GET",
        `${this.#table(table)}?${query.toString()}`,
        undefined,
        `listing records of ${table}`,
      );
      all.push(...page.records);
      offset = page.offset;
    } while (offset);
    return all;
  }

  /** Describes the base's tables (needs the `schema.bases:read` scope). */
  async listTables(): Promise<TableMeta[]> {
    const path = `/v0/meta/bases/${this.baseId}/tables`;
    return (await this.#request<{ tables: TableMeta[] }>("GET", path, undefined, "reading the base's schema")).tables;
  }

  #table(table: string): string {
    return `/v0/${this.baseId}/${encodeURIComponent(table)}`;
  }

  async #request<T>(method: string, path: string, body: unknown, what: string): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.endpointUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      const cause = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
      throw new AirtableError(`could not reach Airtable at ${this.endpointUrl} while ${what}: ${cause}`, 0, "NETWORK_ERROR");
    }
    const text = await res.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) throw airtableErrorFrom(res.status, parsed, what);
    return parsed as T;
  }
}
