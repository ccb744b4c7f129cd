import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import {
  FRESH_PACE,
  backoffMs,
  nextSlot,
  recordStarts,
  type Pace,
  type PaceLimits,
} from "./pace.js";
import { itemsOf, takeBatch } from "./queue.js";
import { QueueStore, type Slot } from "./queue-store.js";
import {
  SchemaCache,
  answerFromCache,
  countSchemaHits,
} from "./schema-cache.js";
import { tableSchemaRead } from "../schema/check-table-schema.js";
import { attempt, type AttemptOutcome } from "./write-attempt.js";
import {
  NO_WRITER_STATS,
  WRITER_NAME,
  type WriterRequest,
  type WriterStats,
  type WriterStatus,
  type WrittenRecord,
} from "./writer-protocol.js";

/** Options of {@link airtableWriter}. */
export interface AirtableWriterOptions {
  /** The hook of a base, by its id (the writer's keys name bases by id, never by token). */
  hookFor(baseId: string): AirtableHook;
  /** Requests per second per base; Airtable's 5 by default. */
  readonly requestsPerSecond?: number;
  /** Slack added to each one-second window against network jitter; 25 ms by default. */
  readonly marginMs?: number;
  /** Tries of a batch that meets 5xx or network errors before its runs fail; 8 by default (about 2 minutes). */
  readonly maxAttempts?: number;
  /** How long runs share a read of a table's schema before the next run reads it again; 5 minutes by default. */
  readonly schemaMaxAgeMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * One writer per Airtable base (a Restate virtual object keyed by base id), the only way poekhali's tasks reach a
 * base: runs enqueue rows, look-ups and schema checks and park on an awakeable; the writer batches rows of concurrent
 * runs up to 10 per request, answers schema checks from a recent read of the table (one read shared by every run
 * asking meanwhile), keeps the base under 5 requests per second, sits out a 429's penalty, retries 5xx and network
 * errors with backoff, and wakes each run with its answer.
 *
 * @example
 * const writer = airtableWriter({ hookFor: () => AirtableHook.fromConnection(connections.get("airtable_default")) });
 * createEndpointHandler({ services: [writer, ...workflows] });
 */
export function airtableWriter(options: AirtableWriterOptions) {
  const limits: PaceLimits = {
    requestsPerSecond: options.requestsPerSecond ?? 5,
    marginMs: options.marginMs ?? 25,
  };
  const maxAttempts = options.maxAttempts ?? 8;
  const schemaMaxAgeMs = options.schemaMaxAgeMs ?? 5 * 60_000;
  const log = options.log ?? (() => undefined);

  // A delayed message, not a sleep: while the base waits for its next slot, enqueues are not held up behind the drain.
  const drainLater = (ctx: restate.ObjectContext, delay = 0) =>
    ctx.genericSend({
      service: WRITER_NAME,
      method: "drain",
      key: ctx.key,
      parameter: null,
      delay,
      inputSerde: restate.serde.json,
    });

  type Pending = { first: number; results: (WrittenRecord | null)[] };
  type Wait = { kind: "wait"; waitMs: number };

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
      if (pending)
        queue.remove(pending.results.map((_, i) => pending.first + i));
      ctx.clear(`request:${trigger}`);
      ctx.rejectAwakeable(trigger, reason);
    }
    queue.remove(slots.map((s) => s.seq));
  }

  /** Applies a try's outcome to the queue and returns the base's new pace. */
  async function apply(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    batch: readonly Slot[],
    outcome: AttemptOutcome,
    pace: Pace,
    stats: WriterStats,
  ): Promise<Pace> {
    const at = outcome.starts.at(-1) ?? 0;
    switch (outcome.kind) {
      case "written": {
        stats.rows += batch.length;
        for (const [i, { item }] of batch.entries()) {
          const record = outcome.records[i];
          if (item.kind === "row" && record)
            await settleRow(ctx, item.trigger, item.index, record);
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
          await new SchemaCache(ctx, schemaMaxAgeMs).forget(
            batch[0].item.table,
          );
        // Rows only: the schema checks of a batch shared one request, and its refusal is the answer to every one of
        // them (sent again, they would be refused again, forever).
        if (batch.length > 1 && batch[0]?.item.kind === "row") {
          // One bad row fails the whole request: send each alone so that only its own run fails.
          for (const { item } of batch)
            if (item.kind === "row") item.solo = true;
          queue.update(batch);
          return pace;
        }
        log(`base ${ctx.key}: ${outcome.message}`);
        await reject(ctx, queue, batch, outcome.message);
        return pace;
    }
  }

  /**
   * Sends the next batch when the base has a free request slot, then hands itself the rest. Called `inline` from
   * `enqueue` on an idle base, it never waits: a busy slot hands over to a delayed `drain` instead of holding the
   * object's lock through a sleep.
   */
  async function drain(
    ctx: restate.ObjectContext,
    inline: boolean,
  ): Promise<void> {
    const queue = new QueueStore(ctx);
    const slots = await answerFromCache(
      ctx,
      queue,
      new SchemaCache(ctx, schemaMaxAgeMs),
    );
    const batchItems = takeBatch(slots.map((s) => s.item));
    const batch = slots.filter((s) => batchItems.includes(s.item));
    const head = batchItems[0];
    if (!head) return ctx.clear("draining");
    const pace = (await ctx.get<Pace>("pace")) ?? FRESH_PACE;
    const stats = {
      ...NO_WRITER_STATS,
      ...(await ctx.get<WriterStats>("stats")),
    };
    const what =
      head.kind === "schema"
        ? `read the schema of base ${ctx.key}`
        : head.kind === "find"
          ? `look up records of ${head.table}`
          : `write ${batch.length} row(s) to ${head.table}`;
    const creates = head.kind === "row" && head.mode.kind === "create";
    let outcome: AttemptOutcome;
    for (;;) {
      // Runs only on a first execution: replayed after a crash, it leaves `fresh` false and the create looks first.
      let fresh = false;
      if (creates) await ctx.run(`claim: ${what}`, () => void (fresh = true));
      const lookFirst =
        creates &&
        (!fresh ||
          batchItems.some((item) => item.kind === "row" && item.maybeWritten));
      // The slot is checked inside the step: a free base writes at once, without a journaled clock read first.
      const step = await ctx.run(
        what,
        async (): Promise<AttemptOutcome | Wait> => {
          // A retried create may look up before it creates: two requests, so it needs room for both.
          const wait = nextSlot(pace, limits, lookFirst ? 2 : 1) - Date.now();
          if (wait > 0) return { kind: "wait", waitMs: wait };
          let hook: AirtableHook;
          try {
            hook = options.hookFor(ctx.key);
          } catch (error) {
            return {
              kind: "refused",
              starts: [],
              message: `no Airtable hook for base ${ctx.key}: ${error instanceof Error ? error.message : String(error)}`,
            };
          }
          return attempt(hook, batchItems, lookFirst);
        },
      );
      if (step.kind !== "wait") {
        outcome = step;
        break;
      }
      if (inline) {
        // Called from enqueue: never hold the object's lock through a wait.
        drainLater(ctx, step.waitMs);
        return;
      }
      await ctx.sleep(
        step.waitMs,
        `wait for a request slot of base ${ctx.key}`,
      );
    }

    stats.requests += outcome.starts.length;
    const next = await apply(
      ctx,
      queue,
      batch,
      outcome,
      recordStarts(pace, outcome.starts, limits),
      stats,
    );
    ctx.set("pace", next);
    ctx.set("stats", stats);
    if ((await queue.length()) > 0)
      drainLater(
        ctx,
        Math.max(0, nextSlot(next, limits) - (await ctx.date.now())),
      );
    else ctx.clear("draining");
  }

  return restate.object({
    name: WRITER_NAME,
    description:
      "Every request poekhali's runs make to one Airtable base, within its rate limit: rows batched and written once, schema reads shared",
    handlers: {
      /** Queues a run's rows, a sensor's look-up or a schema check; the run parks on `trigger_id` until answered. */
      enqueue: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          request: WriterRequest,
        ): Promise<void> => {
          if (request.kind === "schema") {
            const read = await new SchemaCache(ctx, schemaMaxAgeMs).fresh(
              request.table,
              () => ctx.date.now(),
              request.expected,
            );
            // A recent read answers at once, without a request and without waiting for the queue.
            if (read) {
              await countSchemaHits(ctx, 1);
              return ctx.resolveAwakeable(request.trigger_id, read);
            }
          }
          const items = itemsOf(request);
          if (items.length === 0)
            return ctx.resolveAwakeable(request.trigger_id, { records: [] });
          const first = await new QueueStore(ctx).append(items);
          if (items.length > 1)
            ctx.set<Pending>(`request:${request.trigger_id}`, {
              first,
              results: items.map(() => null),
            });
          if (!(await ctx.get<boolean>("draining"))) {
            ctx.set("draining", true);
            // An idle base with a free slot writes now, in this invocation: one hop fewer per row when not busy.
            await drain(ctx, true);
          }
        },
      ),

      /** Sends the next batch when the base has a free request slot, then hands itself the rest. */
      drain: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext): Promise<void> => drain(ctx, false),
      ),

      /** How this base's writer is doing: counters, rows waiting, and the pause in force. */
      stats: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<WriterStatus> => {
          const [stats, head, tail, pace] = await Promise.all([
            ctx.get<WriterStats>("stats"),
            ctx.get<number>("head"),
            ctx.get<number>("tail"),
            ctx.get<Pace>("pace"),
          ]);
          return {
            stats: { ...NO_WRITER_STATS, ...stats },
            queued: (tail ?? 0) - (head ?? 0),
            pausedUntil: pace?.pausedUntil ?? 0,
          };
        },
      ),
    },
  });
}

/** The writer's Restate definition type. */
export type AirtableWriter = ReturnType<typeof airtableWriter>;
