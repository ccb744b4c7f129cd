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

/**
 * Picks the next request's items: the oldest item; with a schema check, every schema check waiting (one read of the
 * base's schema answers them all, whatever their table); with a row, up to 9 more rows of any run for the same table
 * and mode (never two with the same identity, which one upsert could not tell apart); with a row marked solo, only
 * rows of its own request.
 */
export function takeBatch(queue: readonly QueuedItem[]): QueuedItem[] {
  const head = queue[0];
  if (!head) return [];
  if (head.kind === "schema")
    return queue.filter((item) => item.kind === "schema");
  if (head.kind === "find") return [head];
  const key = `${head.table}\u0000${JSON.stringify(head.mode)}`;
  const seen = new Set<string>();
  const batch: QueuedRow[] = [];
  for (const item of queue) {
    if (batch.length === MAX_BATCH) break;
    if (
      item.kind !== "row" ||
      item.solo !== head.solo ||
      (head.solo && item.trigger !== head.trigger) ||
      `${item.table}\u0000${JSON.stringify(item.mode)}` !== key
    )
      continue;
    const id = identity(item);
    if (seen.has(id)) continue;
    seen.add(id);
    batch.push(item);
  }
  return batch;
}
