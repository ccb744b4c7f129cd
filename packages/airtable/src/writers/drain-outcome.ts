import type * as restate from "@restatedev/restate-sdk";
import { tableSchemaRead } from "../schema/check-table-schema.js";
import { backoffMs, type Pace } from "./pace.js";
import type { QueueStore, Slot } from "./queue-store.js";
import { SchemaCache } from "./schema-cache.js";
import type { AttemptOutcome } from "./write-attempt.js";
import type { WriterStats, WrittenRecord } from "./writer-protocol.js";

/** The results so far of a request of several rows, kept until every row has one. */
type Pending = { first: number; results: (WrittenRecord | null)[] };

/** What applying an outcome needs of the drain's options. */
export interface OutcomeSettings {
  readonly maxAttempts: number;
  readonly schemaMaxAgeMs: number;
  readonly log: (message: string) => void;
}

/** Remembers where a request of several rows starts in the drain's queue, so its run wakes once all are written. */
export function awaitRows(
  ctx: restate.ObjectContext,
  trigger: string,
  first: number,
  rows: number,
): void {
  ctx.set<Pending>(`request:${trigger}`, {
    first,
    results: Array.from({ length: rows }, () => null),
  });
}

/** Records one row's result; wakes its run once every row of its request has one. */
async function settleRow(
  ctx: restate.ObjectContext,
  trigger: string,
  index: number,
  record: WrittenRecord,
): Promise<void> {
  const pending = await ctx.get<Pending>(`request:${trigger}`);
  if (!pending) return ctx.resolveAwakeable(trigger, { records: [record] });
  pending.results[index] = record;
  if (pending.results.every((r) => r !== null)) {
    ctx.clear(`request:${trigger}`);
    ctx.resolveAwakeable(trigger, { records: pending.results });
  } else ctx.set(`request:${trigger}`, pending);
}

/** Fails the runs of these slots' requests and empties every place their rows hold. */
async function reject(
  ctx: restate.ObjectContext,
  queue: QueueStore,
  slots: readonly Slot[],
  reason: string,
): Promise<void> {
  for (const trigger of new Set(slots.map((s) => s.item.trigger))) {
    const pending = await ctx.get<Pending>(`request:${trigger}`);
    if (pending) queue.remove(pending.results.map((_, i) => pending.first + i));
    ctx.clear(`request:${trigger}`);
    ctx.rejectAwakeable(trigger, reason);
  }
  queue.remove(slots.map((s) => s.seq));
}

/** Applies a try's outcome to the drain's queue, wakes the runs it answers, and returns the base's new pace. */
export async function applyOutcome(
  ctx: restate.ObjectContext,
  queue: QueueStore,
  batch: readonly Slot[],
  outcome: AttemptOutcome,
  pace: Pace,
  stats: WriterStats,
  settings: OutcomeSettings,
): Promise<Pace> {
  const { maxAttempts, schemaMaxAgeMs, log } = settings;
  const at = outcome.starts.at(-1) ?? 0;
  switch (outcome.kind) {
    case "written": {
      stats.rows += batch.length;
      for (const [i, { item }] of batch.entries()) {
        const record = outcome.records[i];
        if (item.kind !== "row" || !record) continue;
        // A run of one row is woken at once: no read of a request's results it does not have (a round trip each).
        if (item.rows === 1)
          ctx.resolveAwakeable(item.trigger, { records: [record] });
        else await settleRow(ctx, item.trigger, item.index, record);
      }
      queue.remove(batch.map((s) => s.seq));
      return pace;
    }
    case "tables": {
      stats.schemaReads++;
      const reads = batch.map(({ item }) => ({
        trigger: item.trigger,
        read: tableSchemaRead(ctx.key, item.table, outcome.tables, at),
      }));
      await new SchemaCache(ctx, schemaMaxAgeMs).store(
        reads.map((r) => r.read),
        at,
      );
      for (const { trigger, read } of reads)
        ctx.resolveAwakeable(trigger, read);
      if (outcome.tables === null)
        log(
          `base ${ctx.key}: schema check skipped: the token may not read the base's schema (scope schema.bases:read)`,
        );
      queue.remove(batch.map((s) => s.seq));
      return pace;
    }
    case "found":
      for (const { item } of batch)
        ctx.resolveAwakeable(item.trigger, { records: outcome.records });
      queue.remove(batch.map((s) => s.seq));
      return pace;
    case "rate-limited":
      stats.rateLimited++;
      log(
        `base ${ctx.key}: 429, pausing ${Math.round(outcome.retryAfterMs / 1000)} s with ${await queue.length()} waiting`,
      );
      return {
        ...pace,
        pausedUntil: Math.max(pace.pausedUntil, at + outcome.retryAfterMs),
      };
    case "transient": {
      stats.transientFailures++;
      for (const { item } of batch) {
        item.attempts++;
        if (item.kind === "row") item.maybeWritten = true;
      }
      const tries = Math.max(...batch.map((s) => s.item.attempts));
      if (tries >= maxAttempts) {
        const reason = `gave up after ${tries} tries: ${outcome.message}`;
        log(`base ${ctx.key}: ${reason}`);
        await reject(ctx, queue, batch, reason);
        return pace;
      }
      queue.update(batch);
      const wait = backoffMs(tries, ctx.rand.random());
      log(
        `base ${ctx.key}: try ${tries} failed (${outcome.message}); next in ${wait} ms`,
      );
      return { ...pace, pausedUntil: Math.max(pace.pausedUntil, at + wait) };
    }
    case "refused":
      stats.refused++;
      // The table refused a column: the next run's schema check reads it again instead of trusting a recent read.
      if (outcome.schemaChanged && batch[0])
        await new SchemaCache(ctx, schemaMaxAgeMs).forget(batch[0].item.table);
      // Rows only: the schema checks of a batch shared one request, and its refusal is the answer to every one of
      // them (sent again, they would be refused again, forever).
      if (
        batch.length > 1 &&
        batch.some(({ item }) => item.kind === "row" && !item.solo)
      ) {
        // One bad row fails the whole request: send each run's rows apart so that only its own run fails. A batch
        // of solo rows is one run's request, refused whole: that run fails, none of its rows written.
        for (const { item } of batch) if (item.kind === "row") item.solo = true;
        queue.update(batch);
        return pace;
      }
      log(`base ${ctx.key}: ${outcome.message}`);
      await reject(ctx, queue, batch, outcome.message);
      return pace;
  }
}
