import type { IncomingMessage, ServerResponse } from "node:http";
import { sendHtml, sendJson } from "../http/respond.js";
import { notFound } from "./airtable-errors.js";
import { findTable, recordToWire, tableToMeta } from "./base-store.js";
import type { StoredBase } from "./base-store.js";
import { tablePage } from "./table-page.js";

/** Serves `/_emulator/*` without auth: read-back of records and schemas, and the sandbox table page. */
export function handleAirtableControl(
  bases: Map<string, StoredBase>,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): void {
  const match =
    /^\/_emulator\/(ui\/)?bases\/([^/]+)\/tables\/([^/]+)(\/records)?$/.exec(
      path,
    );
  if (req.method !== "GET" || match === null) throw notFound();
  const [, ui, baseId = "", tableName = "", records] = match;
  const base = bases.get(baseId);
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

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
