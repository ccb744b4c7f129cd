import type { Fields } from "../hooks/airtable-types.js";
import type { ExpectedFields } from "../schema/check-table-schema.js";
import type { WriteMode, WriterRequest } from "./writer-protocol.js";

/** One row waiting in a base's writer. */
export interface QueuedRow {
  readonly kind: "row";
  readonly trigger: string;
  /** Its place in its request's records. */
  readonly index: number;
  /** How many rows its request has; absent on rows queued by the writer before the inboxes. */
  readonly rows?: number;
  readonly table: string;
  readonly mode: WriteMode;
  readonly fields: Fields;
  /** Failed tries so far (5xx, network). */
  attempts: number;
  /** A try may have reached Airtable without us seeing the answer: look before creating. */
  maybeWritten: boolean;
  /**
   * Sent with no other request's rows, because a batch holding it was refused and the culprit must be found: its
   * request's rows go together, so a request Airtable refuses is refused whole, none of its rows written.
   */
  solo: boolean;
}

/** One look-up waiting in a base's writer. */
export interface QueuedFind {
  readonly kind: "find";
  readonly trigger: string;
  readonly table: string;
  readonly formula: string;
  attempts: number;
}

/** One schema check waiting in a base's writer for a read of the base's schema. */
export interface QueuedSchema {
  readonly kind: "schema";
  readonly trigger: string;
  readonly table: string;
  readonly expected?: ExpectedFields;
  attempts: number;
}

/** Anything waiting in a base's writer. */
export type QueuedItem = QueuedRow | QueuedFind | QueuedSchema;

/** Most records Airtable takes in one request. */
export const MAX_BATCH = 10;

/** Turns a request into queue items. */
export function itemsOf(request: WriterRequest): QueuedItem[] {
  if (request.kind === "schema")
    return [
      {
        kind: "schema",
        trigger: request.trigger_id,
        table: request.table,
        ...(request.expected ? { expected: request.expected } : {}),
        attempts: 0,
      },
    ];
  if (request.kind === "find")
    return [
      {
        kind: "find",
        trigger: request.trigger_id,
        table: request.table,
        formula: request.formula,
        attempts: 0,
      },
    ];
  return request.records.map((fields, index) => ({
    kind: "row",
    trigger: request.trigger_id,
    index,
    rows: request.records.length,
    table: request.table,
    mode: request.mode,
    fields,
    attempts: 0,
    maybeWritten: false,
    solo: false,
  }));
}

/** The fields that identify a row under its mode. */
export function identityFields(mode: WriteMode): readonly string[] {
  return mode.kind === "upsert" ? mode.fieldsToMergeOn : mode.identifyBy;
}

function identity(row: QueuedRow): string {
  return JSON.stringify(
    identityFields(row.mode).map((f) => row.fields[f] ?? null),
  );
}

/** A row's table and mode: only rows that agree on both share a request. */
function batchKey(row: QueuedRow): string {
  return `${row.table}\u0000${JSON.stringify(row.mode)}`;
}

/**
 * Picks the next request's items: the oldest item; with a schema check, every schema check waiting (one read of the
 * base's schema answers them all, whatever their table); with a row, more rows for the same table and mode, up to 10
 * (never two with the same identity, which one upsert could not tell apart); with a row marked solo, only rows of its
 * own request. A run's rows are taken all or none: a run that does not fit whole waits for a later batch, so a
 * refusal never leaves part of it written. A run of more than 10 rows cannot fit one request: it is split at 10, as
 * before, and is not atomic.
 */
export function takeBatch(queue: readonly QueuedItem[]): QueuedItem[] {
  const head = queue[0];
  if (!head) return [];
  if (head.kind === "schema")
    return queue.filter((item) => item.kind === "schema");
  if (head.kind === "find") return [head];
  const key = batchKey(head);
  const fits = (item: QueuedItem): item is QueuedRow =>
    item.kind === "row" &&
    item.solo === head.solo &&
    (!head.solo || item.trigger === head.trigger) &&
    batchKey(item) === key;
  // Each run's rows that could go in this batch, in queue order (a run's rows are queued together).
  const runs = new Map<string, QueuedRow[]>();
  for (const item of queue)
    if (fits(item))
      runs.set(item.trigger, [...(runs.get(item.trigger) ?? []), item]);
  const seen = new Set<string>();
  const batch: QueuedRow[] = [];
  const add = (row: QueuedRow) => {
    seen.add(identity(row));
    batch.push(row);
  };
  for (const [trigger, rows] of runs) {
    if (trigger === head.trigger) {
      // The oldest run always goes: whole when it fits, else (over 10 rows, or two rows one upsert cannot tell
      // apart) its oldest rows that fit, as the writer before the inboxes took them.
      for (const row of rows)
        if (batch.length < MAX_BATCH && !seen.has(identity(row))) add(row);
      continue;
    }
    // Not all of the run in view (the rest beyond the window), no room for all of it, or a row the batch cannot
    // hold beside another: it waits, whole, for a later batch.
    const ids = rows.map(identity);
    if (
      rows.length < (rows[0]?.rows ?? rows.length) ||
      batch.length + rows.length > MAX_BATCH ||
      new Set(ids).size < ids.length ||
      ids.some((id) => seen.has(id))
    )
      continue;
    for (const row of rows) add(row);
  }
  return batch;
}
