import type * as restate from "@restatedev/restate-sdk";
import {
  compareTableSchema,
  type ExpectedFields,
  type TableSchemaRead,
} from "../schema/check-table-schema.js";
import type { QueueStore, Slot } from "./queue-store.js";
import { NO_WRITER_STATS, type WriterStats } from "./writer-protocol.js";

/** The writer's state key holding the recent reads of its base's tables. */
const KEY = "schemas";

/**
 * Recent reads of a base's tables in its writer's state, by the name runs ask with: runs of the same table within
 * `maxAgeMs` share one read instead of each spending a request of the base's budget on an unchanged schema.
 */
export class SchemaCache {
  constructor(
    private readonly ctx: restate.ObjectContext,
    private readonly maxAgeMs: number,
  ) {}

  /**
   * The read of this table, if one was made less than `maxAgeMs` ago and the columns the check wants fit it; reads
   * the clock only when there is one.
   */
  fresh(
    table: string,
    now: () => Promise<number>,
    expected?: ExpectedFields,
  ): Promise<TableSchemaRead | null> {
    return recentSchemaRead(this.ctx, this.maxAgeMs, table, now, expected);
  }

  /** Keeps these reads, replacing older ones of the same tables and dropping any past their age. */
  async store(reads: readonly TableSchemaRead[], now: number): Promise<void> {
    const all = await this.#all();
    for (const [table, read] of Object.entries(all))
      if (now - read.read_at >= this.maxAgeMs) delete all[table];
    for (const read of reads) all[read.table] = read;
    this.ctx.set(KEY, all);
  }

  /** Forgets the read of a table (a write was refused over a column), so that the next run reads it again. */
  async forget(table: string): Promise<void> {
    const all = await this.#all();
    if (!(table in all)) return;
    delete all[table];
    this.ctx.set(KEY, all);
  }

  async #all(): Promise<Record<string, TableSchemaRead>> {
    return (await this.ctx.get<Record<string, TableSchemaRead>>(KEY)) ?? {};
  }
}

/**
 * The read of a table kept in the drain's state, if one was made less than `maxAgeMs` ago and the columns the check
 * wants fit it; reads the clock only when there is one. A read they do not fit is a schema error that someone may
 * have fixed since: the table is read again rather than failing the run with what the base said minutes ago. Shared
 * handlers read it too, so that `enqueue` answers a check at once.
 */
export async function recentSchemaRead(
  ctx: restate.ObjectSharedContext,
  maxAgeMs: number,
  table: string,
  now: () => Promise<number>,
  expected?: ExpectedFields,
): Promise<TableSchemaRead | null> {
  const read = (await ctx.get<Record<string, TableSchemaRead>>(KEY))?.[table];
  if (!read || (expected && !fits(read, expected))) return null;
  return (await now()) - read.read_at < maxAgeMs ? read : null;
}

/**
 * The oldest items still queued, once schema checks that a recent read answers are answered and gone: a check
 * queued behind others when the read it waited for was made costs no request of its own.
 */
export async function answerFromCache(
  ctx: restate.ObjectContext,
  queue: QueueStore,
  cache: SchemaCache,
  window: number,
): Promise<Slot[]> {
  for (;;) {
    const slots = await queue.window(window);
    if (!slots.some((s) => s.item.kind === "schema")) return slots;
    // One journaled clock read per look, and none when no table has a read to compare.
    let at: Promise<number> | undefined;
    const now = () => (at ??= ctx.date.now());
    const served: Slot[] = [];
    for (const slot of slots) {
      const read =
        slot.item.kind === "schema"
          ? await cache.fresh(slot.item.table, now, slot.item.expected)
          : null;
      if (!read) continue;
      ctx.resolveAwakeable(slot.item.trigger, read);
      served.push(slot);
    }
    if (served.length === 0) return slots;
    queue.remove(served.map((s) => s.seq));
    await countSchemaHits(ctx, served.length);
    // Everything in the window was answered: look further along the queue (an empty one ends the loop).
    if (served.length < slots.length)
      return slots.filter((s) => !served.includes(s));
  }
}

/** Counts schema checks answered without a request, in the writer's stats. */
export async function countSchemaHits(
  ctx: restate.ObjectContext,
  hits: number,
): Promise<void> {
  const stats = {
    ...NO_WRITER_STATS,
    ...(await ctx.get<WriterStats>("stats")),
  };
  stats.schemaHits += hits;
  ctx.set("stats", stats);
}

/** Whether a read of a table passes a check of these columns (an unreadable schema passes: the check is skipped). */
function fits(read: TableSchemaRead, expected: ExpectedFields): boolean {
  try {
    compareTableSchema(read, expected);
    return true;
  } catch {
    return false;
  }
}
