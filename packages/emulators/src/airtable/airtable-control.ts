import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { EmulatorUsageError } from "../errors.js";
import { readJsonBody } from "../http/request-body.js";
import { sendHtml, sendJson } from "../http/respond.js";
import type { AccessTokens } from "./access-tokens.js";
import type { AirtableCallLog } from "./call-log.js";
import { notFound, unprocessable } from "./airtable-errors.js";
import { findTable, recordToWire, tableToMeta } from "./base-store.js";
import type { StoredBase } from "./base-store.js";
import { baseSchema } from "./schema-file.js";
import { tablePage } from "./table-page.js";
import type { BaseSchema } from "./table-schema.js";

/** What the control API works on. */
export interface ControlWorld {
  bases: Map<string, StoredBase>;
  tokens: AccessTokens;
  calls: AirtableCallLog;
  addBase(schema: BaseSchema): StoredBase;
}

const tokenBody = z.object({
  scopes: z.array(z.string()).min(1),
  bases: z.union([z.array(z.string()), z.literal("all")]),
});

/** Serves `/_emulator/*` without auth: create bases and tokens, read back records, schemas and calls, and the sandbox table page. */
export async function handleAirtableControl(
  world: ControlWorld,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const route = `${req.method ?? "GET"} ${path}`;
  if (route === "POST /_emulator/bases") {
    const schema = valid(baseSchema, await readJsonBody(req));
    let base: StoredBase;
    try {
      base = world.addBase(schema);
    } catch (error) {
      if (error instanceof EmulatorUsageError)
        throw unprocessable("INVALID_REQUEST_UNKNOWN", error.message);
      throw error;
    }
    sendJson(res, 200, {
      id: base.id,
      name: base.name,
      tables: base.tables.map(tableToMeta),
    });
    return;
  }
  if (route === "POST /_emulator/tokens") {
    const body = valid(tokenBody, await readJsonBody(req));
    sendJson(res, 200, { token: world.tokens.issue(body.scopes, body.bases) });
    return;
  }
  const calls = /^(GET|DELETE) \/_emulator\/calls$/.exec(route);
  if (calls !== null) {
    if (calls[1] === "DELETE") world.calls.clear();
    const base = new URL(req.url ?? "/", "http://emulator").searchParams.get(
      "base",
    );
    sendJson(res, 200, { calls: world.calls.list(base ?? undefined) });
    return;
  }
  const match =
    /^GET \/_emulator\/(ui\/)?bases\/([^/]+)\/tables\/([^/]+)(\/records)?$/.exec(
      route,
    );
  if (match === null) throw notFound();
  const [, ui, baseId = "", tableName = "", records] = match;
  const base = world.bases.get(baseId);
  const table =
    base === undefined ? undefined : findTable(base, safeDecode(tableName));
  if (base === undefined || table === undefined) throw notFound();
  if (ui !== undefined) {
    if (records !== undefined) throw notFound();
    sendHtml(res, tablePage(base, table));
  } else if (records !== undefined) {
    sendJson(res, 200, {
      records: table.records.map((record) => recordToWire(table, record)),
    });
  } else {
    sendJson(res, 200, tableToMeta(table));
  }
}

function valid<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw unprocessable(
    "INVALID_REQUEST_UNKNOWN",
    `Invalid request: ${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`,
  );
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
