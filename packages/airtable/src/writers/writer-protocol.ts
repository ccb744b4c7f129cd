import type { AirtableRecord, Fields } from "../hooks/airtable-types.js";
import type { TableSchemaRead } from "../schema/check-table-schema.js";

/** The per-base writer's Restate name; its keys are base ids. */
export const WRITER_NAME = "airtable_writer";

/** The Restate name of the writer's inboxes, where runs enqueue; keyed `<base id>/<shard>` ({@link inboxKey}). */
export const INBOX_NAME = "airtable_writer_inbox";

/** How many inboxes a base has: enqueues to one key run one at a time, so a burst of runs spreads over these. */
export const INBOX_SHARDS = 8;

/** The inbox a run's request goes to: its base's, picked by the request's trigger id (FNV-1a), the same on replay. */
export function inboxKey(baseId: string, triggerId: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < triggerId.length; i++) {
    hash ^= triggerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${baseId}/${hash % INBOX_SHARDS}`;
}

/** The base and shard an inbox key names. */
export function parseInboxKey(key: string): { baseId: string; shard: number } {
  const at = key.lastIndexOf("/");
  const shard = Number(key.slice(at + 1));
  if (at < 1 || !Number.isInteger(shard) || shard < 0 || shard >= INBOX_SHARDS)
    throw new Error(`not an Airtable writer inbox key: ${key}`);
  return { baseId: key.slice(0, at), shard };
}

/** How a write finds the row it already wrote when it is tried again. */
export type WriteMode =
  /** Airtable's upsert on 1-3 fields that identify the row. */
  | { readonly kind: "upsert"; readonly fieldsToMergeOn: string[] }
  /** A create; a retry first looks the rows up by these fields (`filterByFormula`) and creates only the missing. */
  | { readonly kind: "create"; readonly identifyBy: string[] };

/** Rows a run hands to its base's writer; the writer resolves `trigger_id` with a {@link WriteResult}. */
export type WriteRequest = {
  readonly kind: "write";
  /** The awakeable the waiting run parks on. */
  readonly trigger_id: string;
  readonly table: string;
  readonly records: Fields[];
  readonly mode: WriteMode;
};

/** A look-up a sensor hands to the writer, so that polls share the base's request budget; resolved with a {@link FindResult}. */
export type FindRequest = {
  readonly kind: "find";
  readonly trigger_id: string;
  readonly table: string;
  readonly formula: string;
};

/**
 * A schema check a task hands to the writer: answered at once from a recent read of the table, else by one metadata
 * request shared by every run asking meanwhile; resolved with a {@link SchemaResult}.
 */
export type SchemaRequest = {
  readonly kind: "schema";
  readonly trigger_id: string;
  readonly table: string;
  /** The columns the check wants: a recent read they do not fit is not trusted, the table is read again. */
  readonly expected?: Record<string, string[]>;
};

/** Anything the writer's `enqueue` takes. */
export type WriterRequest = WriteRequest | FindRequest | SchemaRequest;

/** One written row: its record id, and whether this write created it (false when it updated or found it). */
export type WrittenRecord = {
  readonly id: string;
  readonly created: boolean;
};

/** What a write's trigger is resolved with: one entry per row, in order. */
export type WriteResult = {
  readonly records: WrittenRecord[];
};

/** What a find's trigger is resolved with: the matching records (at most 10). */
export type FindResult = {
  readonly records: AirtableRecord[];
};

/** What a schema check's trigger is resolved with: the table as the metadata API showed it, at most a few minutes ago. */
export type SchemaResult = TableSchemaRead;

/** Counters a writer keeps per base, for people and benchmarks. */
export type WriterStats = {
  requests: number;
  rows: number;
  rateLimited: number;
  transientFailures: number;
  refused: number;
  /** Metadata requests (reads of the base's schema). */
  schemaReads: number;
  /** Schema checks answered from a recent read, without a request. */
  schemaHits: number;
};

/** A writer's counters before its first request. */
export const NO_WRITER_STATS: WriterStats = {
  requests: 0,
  rows: 0,
  rateLimited: 0,
  transientFailures: 0,
  refused: 0,
  schemaReads: 0,
  schemaHits: 0,
};

/** One request waiting in a base's inbox, at its place. */
export type InboxEntry = {
  readonly seq: number;
  readonly request: WriterRequest;
};

/** What an inbox answers the writer: its requests from a place on, oldest first. */
export type InboxPage = {
  readonly entries: InboxEntry[];
};

/** An inbox's counters, for the writer's `stats`. */
export type InboxCounts = {
  /** Requests its `enqueue` took. */
  readonly received: number;
  /** Schema checks it answered at once from a recent read. */
  readonly schemaHits: number;
  /** The place its next queued request will take. */
  readonly tail: number;
};

/** What the writer's shared `stats` handler answers. */
export type WriterStatus = {
  readonly stats: WriterStats;
  /** Requests the base's inboxes took so far (answered at once from a recent schema read, or queued). */
  readonly received: number;
  /** Requests waiting in the inboxes, and rows, look-ups and schema checks the writer took and has not answered. */
  readonly queued: number;
  /** Epoch ms until which the base is paused (rate-limit penalty or backoff); 0 when it is not. */
  readonly pausedUntil: number;
};

/**
 * A writer's chain whose next message is this late is taken for dead (failed for good, killed or cancelled): a wake
 * takes over. Far above a busy machine's delay of a message, far below a run's patience.
 */
export const STALE_MS = 5_000;

/**
 * What the writer's shared `chain` handler answers an inbox checking on it: whether a chain should be running, when it
 * is next due (epoch ms; null when it never beat), the inboxes it looks at when quiet (`awake`) and how far it has
 * taken each inbox (`cursors`). The last two are absent in an answer an earlier build's check recorded.
 */
export type ChainState = {
  readonly running: boolean;
  readonly next: number | null;
  readonly awake?: number[];
  readonly cursors?: number[];
};
