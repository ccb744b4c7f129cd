import { ConnectionError, type Connection } from "@poekhali/core";
import {
  AirtableNetworkError,
  airtableErrorFrom,
  type AirtableError,
} from "../errors.js";
import type {
  AirtableRecord,
  Fields,
  ListOptions,
  TableMeta,
  UpsertResult,
} from "./airtable-types.js";

/** Airtable's API address. */
export const AIRTABLE_ENDPOINT_URL = "https://api.airtable.com";

/** Options of an {@link AirtableHook}. */
export interface AirtableHookOptions {
  /** A personal access token (`pat…`); kept private to the hook, never in a message. */
  readonly token: string;
  readonly baseId: string;
  /** Another server that speaks Airtable's REST API (`AIRTABLE_ENDPOINT_URL`); no trailing slash. */
  readonly endpointUrl?: string;
  /** How long one request may take before it counts as a network failure; 30 s by default. */
  readonly requestTimeoutMs?: number;
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
  readonly requestTimeoutMs: number;
  readonly #token: string;
  #tables: Promise<TableMeta[] | null> | undefined;

  constructor(options: AirtableHookOptions) {
    if (!/^app[A-Za-z0-9]{14}$/.test(options.baseId)) {
      throw new TypeError(
        `Airtable base id "${options.baseId}" is not like "app" followed by 14 letters and digits`,
      );
    }
    this.baseId = options.baseId;
    this.#token = options.token;
    this.endpointUrl = (options.endpointUrl ?? AIRTABLE_ENDPOINT_URL).replace(
      /\/+$/,
      "",
    );
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  }

  /** Builds a hook from an `airtable` connection: password = token, host = endpoint, extra.base_id. */
  static fromConnection(connection: Connection): AirtableHook {
    if (!connection.password)
      throw new ConnectionError(
        connection.connId,
        "has no Airtable token (password)",
      );
    const baseId = connection.extra.base_id;
    if (!baseId)
      throw new ConnectionError(
        connection.connId,
        "has no base id (extra.base_id)",
      );
    return new AirtableHook({
      token: connection.password,
      baseId,
      ...(connection.host ? { endpointUrl: connection.host } : {}),
    });
  }

  /** Creates up to 10 records, in order. */
  async createRecords(
    table: string,
    records: readonly Fields[],
  ): Promise<AirtableRecord[]> {
    const body = {
      records: records.map((fields) => ({ fields })),
      typecast: false,
    };
    return (
      await this.#request<{ records: AirtableRecord[] }>(
        "POST",
        this.#table(table),
        body,
        `creating records in ${table}`,
        table,
      )
    ).records;
  }

  /** Updates the record whose merge fields match each given one, or creates it: one request, at most 10 records. */
  upsertRecords(
    table: string,
    records: readonly Fields[],
    fieldsToMergeOn: readonly string[],
  ): Promise<UpsertResult> {
    const body = {
      performUpsert: { fieldsToMergeOn },
      records: records.map((fields) => ({ fields })),
      typecast: false,
    };
    return this.#request(
      "PATCH",
      this.#table(table),
      body,
      `upserting records in ${table}`,
      table,
    );
  }

  /** Changes the given fields of up to 10 records by id, leaving their other fields as they are. */
  async updateRecords(
    table: string,
    records: readonly { id: string; fields: Fields }[],
  ): Promise<AirtableRecord[]> {
    const body = { records, typecast: false };
    return (
      await this.#request<{ records: AirtableRecord[] }>(
        "PATCH",
        this.#table(table),
        body,
        `updating records in ${table}`,
        table,
      )
    ).records;
  }

  /** Reads one record by id. */
  getRecord(table: string, recordId: string): Promise<AirtableRecord> {
    return this.#request(
      "GET",
      `${this.#table(table)}/${encodeURIComponent(recordId)}`,
      undefined,
      `reading record ${recordId} of ${table}`,
    );
  }

  /** Deletes up to 10 records by id. */
  async deleteRecords(
    table: string,
    recordIds: readonly string[],
  ): Promise<{ id: string; deleted: boolean }[]> {
    const query = new URLSearchParams(recordIds.map((id) => ["records[]", id]));
    const path = `${this.#table(table)}?${query.toString()}`;
    return (
      await this.#request<{ records: { id: string; deleted: boolean }[] }>(
        "DELETE",
        path,
        undefined,
        `deleting records of ${table}`,
      )
    ).records;
  }

  /** Lists records, following pages until `maxRecords` or the end; `filterByFormula` narrows them. */
  async listRecords(
    table: string,
    options: ListOptions = {},
  ): Promise<AirtableRecord[]> {
    const all: AirtableRecord[] = [];
    let offset: string | undefined;
    do {
      const query = new URLSearchParams();
      if (options.filterByFormula)
        query.set("filterByFormula", options.filterByFormula);
      if (options.pageSize) query.set("pageSize", String(options.pageSize));
      if (options.maxRecords)
        query.set("maxRecords", String(options.maxRecords));
      if (options.view) query.set("view", options.view);
      for (const field of options.fields ?? []) query.append("fields[]", field);
      options.sort?.forEach((s, i) => {
        query.set(`sort[${i}][field]`, s.field);
        query.set(`sort[${i}][direction]`, s.direction ?? "asc");
      });
      if (offset) query.set("offset", offset);
      const path = `${this.#table(table)}?${query.toString()}`;
      const page = await this.#request<{
        records: AirtableRecord[];
        offset?: string;
      }>("GET", path, undefined, `listing records of ${table}`);
      all.push(...page.records);
      offset = page.offset;
    } while (
      offset &&
      !(options.maxRecords && all.length >= options.maxRecords)
    );
    return all;
  }

  /** Describes the base's tables (needs the `schema.bases:read` scope). */
  async listTables(): Promise<TableMeta[]> {
    const path = `/v0/meta/bases/${this.baseId}/tables`;
    const { tables } = await this.#request<{ tables: TableMeta[] }>(
      "GET",
      path,
      undefined,
      `reading the schema of base ${this.baseId}`,
    );
    // The latest read also names refused columns' types: after a schema check, a refusal costs no request of its own.
    this.#tables = Promise.resolve(tables);
    return tables;
  }

  #table(table: string): string {
    return `/v0/${this.baseId}/${encodeURIComponent(table)}`;
  }

  async #request<T>(
    method: string,
    path: string,
    body: unknown,
    what: string,
    table?: string,
  ): Promise<T> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.endpointUrl}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${this.#token}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.requestTimeoutMs),
      });
      text = await res.text();
    } catch (error) {
      const cause =
        error instanceof Error
          ? error.cause instanceof Error
            ? error.cause.message
            : error.message
          : String(error);
      throw new AirtableNetworkError(
        `could not reach Airtable at ${this.endpointUrl} while ${what}: ${cause}`,
        0,
        "NETWORK_ERROR",
      );
    }
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (res.ok) return parsed as T;
    throw await this.#error(res, parsed, what, table);
  }

  async #error(
    res: Response,
    parsed: unknown,
    what: string,
    table: string | undefined,
  ): Promise<AirtableError> {
    const retryAfter = Number(res.headers.get("retry-after"));
    const facts =
      Number.isFinite(retryAfter) && retryAfter > 0
        ? { retryAfterMs: retryAfter * 1000 }
        : {};
    const first = airtableErrorFrom(res.status, parsed, what, facts);
    if (first.type !== "INVALID_VALUE_FOR_COLUMN" || table === undefined)
      return first;
    // Name the type the column wants: the metadata API knows it (the latest read of this hook, else read now once;
    // skipped without the scope).
    const tables = await this.#schema();
    const meta = tables?.find((t) => t.name === table || t.id === table);
    const fieldType = (field: string) =>
      meta?.fields.find((f) => f.name === field || f.id === field)?.type ??
      null;
    return airtableErrorFrom(res.status, parsed, what, { ...facts, fieldType });
  }

  #schema(): Promise<TableMeta[] | null> {
    this.#tables ??= this.listTables().catch(() => null);
    return this.#tables;
  }
}
