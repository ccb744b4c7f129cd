import {
  AirtableError,
  AirtableInvalidValueError,
  AirtablePermissionError,
  AirtableRateLimitError,
  AirtableUnknownFieldError,
} from "../errors.js";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import type { AirtableRecord, TableMeta } from "../hooks/airtable-types.js";
import { formulaMatching, sameValue } from "./formulas.js";
import type { QueuedItem, QueuedRow } from "./queue.js";
import type { WrittenRecord } from "./writer-protocol.js";

/** What one try of a batch came to; journaled as the step's value, so a replay never sends it again. */
export type AttemptOutcome = { readonly starts: number[] } & (
  | { readonly kind: "written"; readonly records: WrittenRecord[] }
  | { readonly kind: "found"; readonly records: AirtableRecord[] }
  /** The base's tables from the metadata API; null when the token may not read them. */
  | { readonly kind: "tables"; readonly tables: TableMeta[] | null }
  | {
      readonly kind: "rate-limited";
      readonly retryAfterMs: number;
      readonly message: string;
    }
  | { readonly kind: "transient"; readonly message: string }
  | {
      readonly kind: "refused";
      readonly message: string;
      /** The table refused a column by name or type: what a recent schema check said of it may be out of date. */
      readonly schemaChanged?: boolean;
    }
);

/**
 * Sends one batch and turns every answer into a value. With `lookFirst` (a try that may already have reached
 * Airtable), a create first looks its rows up and creates only those it does not find.
 */
export async function attempt(
  hook: AirtableHook,
  batch: readonly QueuedItem[],
  lookFirst: boolean,
): Promise<AttemptOutcome> {
  const starts: number[] = [];
  // When each request's answer came (or it failed): Airtable counted it before then, however late it reached
  // Airtable on a busy machine or network, so pacing from these never crowds Airtable's second.
  const timed = async <T>(call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } finally {
      starts.push(Date.now());
    }
  };
  try {
    const head = batch[0];
    if (!head) return { kind: "written", starts, records: [] };
    if (head.kind === "schema") {
      try {
        const tables = await timed(() => hook.listTables());
        return { kind: "tables", starts, tables };
      } catch (error) {
        // Without schema.bases:read the check is skipped, not failed: the writes may still be allowed.
        if (!(error instanceof AirtablePermissionError)) throw error;
        return { kind: "tables", starts, tables: null };
      }
    }
    if (head.kind === "find") {
      const records = await timed(() =>
        hook.listRecords(head.table, {
          filterByFormula: head.formula,
          maxRecords: 10,
          pageSize: 10,
        }),
      );
      return { kind: "found", starts, records };
    }
    const rows = batch.filter((item) => item.kind === "row");
    const records =
      head.mode.kind === "upsert"
        ? await upsert(hook, head.table, rows, head.mode.fieldsToMergeOn, timed)
        : await create(
            hook,
            head.table,
            rows,
            head.mode.identifyBy,
            lookFirst,
            timed,
          );
    return { kind: "written", starts, records };
  } catch (error) {
    // The hook asks the metadata API once to name a refused column's type: count that request too.
    if (error instanceof AirtableInvalidValueError) starts.push(Date.now());
    if (error instanceof AirtableRateLimitError)
      return {
        kind: "rate-limited",
        starts,
        retryAfterMs: error.retryAfterMs,
        message: error.message,
      };
    if (error instanceof AirtableError && error.retryable)
      return { kind: "transient", starts, message: error.message };
    const message =
      error instanceof Error
        ? `${error.name}: ${error.message}`
        : String(error);
    const schemaChanged =
      error instanceof AirtableUnknownFieldError ||
      error instanceof AirtableInvalidValueError;
    return { kind: "refused", starts, message, schemaChanged };
  }
}

type Timed = <T>(call: () => Promise<T>) => Promise<T>;

async function upsert(
  hook: AirtableHook,
  table: string,
  rows: readonly QueuedRow[],
  mergeOn: readonly string[],
  timed: Timed,
): Promise<WrittenRecord[]> {
  const res = await timed(() =>
    hook.upsertRecords(
      table,
      rows.map((r) => r.fields),
      mergeOn,
    ),
  );
  const created = new Set(res.createdRecords);
  if (res.records.length !== rows.length)
    throw new Error(
      `Airtable answered an upsert of ${rows.length} rows with ${res.records.length} records`,
    );
  return res.records.map((record) => ({
    id: record.id,
    created: created.has(record.id),
  }));
}

async function create(
  hook: AirtableHook,
  table: string,
  rows: readonly QueuedRow[],
  identifyBy: readonly string[],
  lookFirst: boolean,
  timed: Timed,
): Promise<WrittenRecord[]> {
  const found = new Map<number, string>();
  if (lookFirst) {
    const formula = formulaMatching(
      rows.map((r) => r.fields),
      identifyBy,
    );
    // One page at most: the look-up has one request of room (a second page would be a request no slot was taken
    // for). At most 10 rows' matches fit in it, unless the table already holds many copies of them.
    const candidates = await timed(() =>
      hook.listRecords(
        table,
        formula
          ? { filterByFormula: formula, pageSize: 100, maxRecords: 100 }
          : {},
      ),
    );
    rows.forEach((row, i) => {
      const match = candidates.find((c) =>
        identifyBy.every((f) => sameValue(c.fields[f], row.fields[f])),
      );
      if (match) found.set(i, match.id);
    });
  }
  const missing = rows
    .map((row, i) => ({ row, i }))
    .filter(({ i }) => !found.has(i));
  const created =
    missing.length > 0
      ? await timed(() =>
          hook.createRecords(
            table,
            missing.map(({ row }) => row.fields),
          ),
        )
      : [];
  const results: WrittenRecord[] = rows.map((_, i) => ({
    id: found.get(i) ?? "",
    created: false,
  }));
  missing.forEach(({ i }, k) => {
    const record = created[k];
    if (!record)
      throw new Error(
        `Airtable answered a create of ${missing.length} rows with ${created.length} records`,
      );
    results[i] = { id: record.id, created: true };
  });
  return results;
}
