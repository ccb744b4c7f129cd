import type { IncomingMessage } from "node:http";
import { authorize } from "./access-tokens.js";
import type { AccessTokens } from "./access-tokens.js";
import { invalidPermissions, notFound } from "./airtable-errors.js";
import { makeAirtableId } from "./airtable-ids.js";
import { findTable, recordToWire, tableToMeta } from "./base-store.js";
import type { StoredBase } from "./base-store.js";
import { listOptionsFromBody, listOptionsFromQuery } from "./list-options.js";
import { listRecords } from "./list-records.js";
import type { RateLimiter } from "./rate-limiter.js";
import {
  createRecords,
  deleteRecords,
  parseWriteBody,
  updateRecord,
  updateRecords,
} from "./record-writes.js";

/** What the REST routes work on. */
export interface RestWorld {
  bases: Map<string, StoredBase>;
  tokens: AccessTokens;
  limiter: RateLimiter | undefined;
  now: () => number;
}

/** One REST request, body already read. */
export interface RestRequest {
  req: IncomingMessage;
  path: string;
  query: URLSearchParams;
  body: unknown;
}

const USER_ID = makeAirtableId("usr");

/** Serves `/v0/...`: check token (401), base (404), scope and table (403), then the records or metadata route. */
export function handleRestApi(world: RestWorld, request: RestRequest): unknown {
  const method = request.req.method ?? "GET";
  const parts = request.path.split("/").slice(1).map(safeDecode);
  if (parts[0] !== "v0") throw notFound();
  const grant = world.tokens.authenticate(request.req);

  if (parts[1] === "meta") {
    if (method !== "GET") throw notFound();
    if (parts.length === 3 && parts[2] === "whoami")
      return { id: USER_ID, scopes: [...grant.scopes] };
    if (parts.length === 3 && parts[2] === "bases") {
      if (!grant.scopes.has("schema.bases:read")) throw invalidPermissions();
      const bases = [...world.bases.values()].filter(
        (base) => grant.bases === "all" || grant.bases.has(base.id),
      );
      return {
        bases: bases.map((base) => ({
          id: base.id,
          name: base.name,
          permissionLevel: "create",
        })),
      };
    }
    if (parts.length === 5 && parts[2] === "bases" && parts[4] === "tables") {
      // Airtable counts the metadata API against the base's 5 requests per second like any other request.
      world.limiter?.hit(parts[3] ?? "");
      const base = world.bases.get(parts[3] ?? "");
      if (base === undefined) throw notFound();
      authorize(grant, "schema.bases:read", base.id);
      return { tables: base.tables.map(tableToMeta) };
    }
    throw notFound();
  }

  const [, baseId = "", tableName = "", recordId, extra] = parts;
  if (tableName === "" || extra !== undefined) throw notFound();
  world.limiter?.hit(baseId);
  const base = world.bases.get(baseId);
  if (base === undefined) throw notFound();
  const reading =
    method === "GET" || (method === "POST" && recordId === "listRecords");
  authorize(
    grant,
    reading ? "data.records:read" : "data.records:write",
    base.id,
  );
  const table = findTable(base, tableName);
  if (table === undefined) throw invalidPermissions();

  if (recordId === "listRecords") {
    if (method !== "POST") throw notFound();
    return listRecords(table, listOptionsFromBody(request.body));
  }
  if (recordId !== undefined) {
    if (method === "GET") {
      const record = table.records.find(
        (candidate) => candidate.id === recordId,
      );
      if (record === undefined) throw notFound();
      return recordToWire(table, record, {
        byFieldId: request.query.get("returnFieldsByFieldId") === "true",
      });
    }
    if (method === "PATCH" || method === "PUT") {
      return updateRecord(
        table,
        recordId,
        parseWriteBody(request.body),
        method === "PUT",
      );
    }
    if (method === "DELETE")
      return {
        id: deleteRecords(table, [recordId]).records[0]?.id,
        deleted: true,
      };
    throw notFound();
  }
  switch (method) {
    case "GET":
      return listRecords(table, listOptionsFromQuery(request.query));
    case "POST":
      return createRecords(table, parseWriteBody(request.body), world.now());
    case "PATCH":
    case "PUT":
      return updateRecords(
        table,
        parseWriteBody(request.body),
        method === "PUT",
        world.now(),
      );
    case "DELETE":
      return deleteRecords(table, [
        ...request.query.getAll("records[]"),
        ...request.query.getAll("records"),
      ]);
    default:
      throw notFound();
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
