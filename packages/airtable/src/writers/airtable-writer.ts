import "@poekhali/core";
import { setTimeout as delay } from "node:timers/promises";
import * as restate from "@restatedev/restate-sdk";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import type {
  ExpectedFields,
  TableSchemaRead,
} from "../schema/check-table-schema.js";
import type { AirtableWriterInbox } from "./writer-inbox.js";
import { applyOutcome, awaitRows } from "./drain-outcome.js";
import {
  FRESH_PACE,
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
  recentSchemaRead,
} from "./schema-cache.js";
import { attempt, type AttemptOutcome } from "./write-attempt.js";
import {
  INBOX_NAME,
  INBOX_SHARDS,
  NO_WRITER_STATS,
  WRITER_NAME,
  type WriterRequest,
  type WriterStats,
  type WriterStatus,
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
 * What an inbox sends the writer: a wake-up (`wake`), with the request of an inbox that was empty; the writer's own
 * delayed messages to itself carry nothing.
 */
export type DrainCall = {
  readonly wake?: boolean;
  readonly requests?: WriterRequest[];
} | null;

// A typed stand-in for the inboxes' definition: the writer's calls to them are checked against their handlers.
const Inbox: AirtableWriterInbox = { name: INBOX_NAME };
const inboxOf = (ctx: { key: string }, shard: number) => `${ctx.key}/${shard}`;
const SHARDS = Array.from({ length: INBOX_SHARDS }, (_, i) => i);

/** Below this many places in its own queue, the writer takes more requests from the inboxes. */
const REFILL_BELOW = 60;
/** Most requests taken from one inbox at a time: a few full batches in all, and the writer's state stays small. */
const REFILL_PER_INBOX = 10;
/** How far the writer gets past what an inbox last forgot before it tells it to forget more. */
const RELEASE_EVERY = 50;
/** The writer wakes this early for a slot, to have its batches ready when the slot opens. */
const EARLY_MS = 300;
/** A first slot this close is waited for inside the step, in the process, rather than by a delayed message. */
const SPIN_MS = 500;
/** A round sends the batches whose slots open within this long. */
const ROUND_MS = 1_500;

/** A batch's step name, as a person reads it in the Restate UI journal. */
function describe(ctx: { key: string }, batch: readonly Slot[]): string {
  const head = batch[0]?.item;
  return head?.kind === "schema"
    ? `read the schema of base ${ctx.key}`
    : head?.kind === "find"
      ? `look up records of ${head.table}`
      : `write ${batch.length} row(s) to ${head?.table ?? "?"}`;
}

/**
 * One writer per Airtable base (a Restate virtual object keyed by base id), the only way poekhali's tasks reach a
 * base: runs leave rows, look-ups and schema checks in the base's inboxes ({@link airtableWriterInbox}) and park on
 * an awakeable; the writer takes them, batches rows of concurrent runs up to 10 per request, answers schema checks
 * from a recent read of the table (one read shared by every run asking meanwhile), keeps the base under 5 requests
 * per second, sits out a 429's penalty, retries 5xx and network errors with backoff, and wakes each run with its
 * answer. The inboxes are other objects, so the writer's pace never waits behind the runs' enqueues: only its own
 * delayed messages and the inboxes' wake-ups call its exclusive handler.
 *
 * @example
 * createEndpointHandler({ services: [...airtableServices({ hookFor: () => hook }), ...workflows] });
 */
export function airtableWriter(options: AirtableWriterOptions) {
  const limits: PaceLimits = {
    requestsPerSecond: options.requestsPerSecond ?? 5,
    marginMs: options.marginMs ?? 25,
  };
  const settings = {
    maxAttempts: options.maxAttempts ?? 8,
    schemaMaxAgeMs: options.schemaMaxAgeMs ?? 5 * 60_000,
    log: options.log ?? (() => undefined),
  };

  // A delayed message to itself, one batch per invocation: each journal stays short, however long the backlog.
  const drainLater = (ctx: restate.ObjectContext, after: number) =>
    ctx.genericSend({
      service: WRITER_NAME,
      method: "drain",
      key: ctx.key,
      parameter: null,
      delay: after,
      inputSerde: restate.serde.json,
    });

  /** Puts a request's items at the end of the drain's own queue. */
  async function take(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    request: WriterRequest,
  ): Promise<void> {
    const items = itemsOf(request);
    if (items.length === 0)
      return ctx.resolveAwakeable(request.trigger_id, { records: [] });
    const first = await queue.append(items);
    if (items.length > 1)
      awaitRows(ctx, request.trigger_id, first, items.length);
  }

  /** Takes the inboxes' next requests into the writer's queue and lets the inboxes forget them. */
  async function refill(
    ctx: restate.ObjectContext,
    queue: QueueStore,
  ): Promise<void> {
    const cursors = (await ctx.get<number[]>("cursors")) ?? SHARDS.map(() => 0);
    // Shared handlers: they read the inboxes while enqueues hold their locks, so the writer never queues behind them.
    const pages = await restate.RestatePromise.all(
      SHARDS.map((shard) =>
        ctx
          .objectClient(Inbox, inboxOf(ctx, shard))
          .peek({ from: cursors[shard] ?? 0, max: REFILL_PER_INBOX }),
      ),
    );
    const released = (await ctx.get<number[]>("released")) ?? [];
    let took = false;
    for (const [shard, page] of pages.entries()) {
      const last = page.entries.at(-1);
      if (!last) continue;
      for (const { request } of page.entries) await take(ctx, queue, request);
      cursors[shard] = last.seq + 1;
      took = true;
      // Now and then, not at every look: each release is an invocation in the line of the inbox's enqueues.
      if (last.seq + 1 - (released[shard] ?? 0) >= RELEASE_EVERY) {
        ctx
          .objectSendClient(Inbox, inboxOf(ctx, shard))
          .release({ upTo: last.seq + 1 });
        released[shard] = last.seq + 1;
        ctx.set("released", released);
      }
    }
    if (took) ctx.set("cursors", cursors);
  }

  /**
   * Sends the next second's batches (one per free request slot, up to the base's rate), each at its own slot and all
   * from this one invocation: its cost is spread over a second's requests, so the pace holds on a busy machine. False
   * when the writer's queue is empty.
   */
  async function sendRound(
    ctx: restate.ObjectContext,
    queue: QueueStore,
  ): Promise<boolean> {
    let slots = await answerFromCache(
      ctx,
      queue,
      new SchemaCache(ctx, settings.schemaMaxAgeMs),
    );
    const batches: Slot[][] = [];
    while (batches.length < limits.requestsPerSecond) {
      const items = takeBatch(slots.map((s) => s.item));
      if (items.length === 0) break;
      batches.push(slots.filter((s) => items.includes(s.item)));
      slots = slots.filter((s) => !items.includes(s.item));
    }
    if (batches.length === 0) return false;
    let pace = (await ctx.get<Pace>("pace")) ?? FRESH_PACE;
    const stats = {
      ...NO_WRITER_STATS,
      ...(await ctx.get<WriterStats>("stats")),
    };
    const what = batches.map((batch) => describe(ctx, batch));
    const creates = batches.map((batch) => {
      const head = batch[0]?.item;
      return head?.kind === "row" && head.mode.kind === "create";
    });
    // Run only on a first execution: replayed after a crash, they leave `fresh` false and the create looks first.
    const fresh = batches.map(() => false);
    const claims = batches.flatMap((_, i) =>
      creates[i]
        ? [ctx.run(`claim: ${what[i]}`, () => void (fresh[i] = true))]
        : [],
    );
    if (claims.length > 0) await restate.RestatePromise.all(claims);
    const lookFirst = batches.map(
      (batch, i) =>
        creates[i] === true &&
        (!fresh[i] ||
          batch.some((s) => s.item.kind === "row" && s.item.maybeWritten)),
    );
    // Each batch's slot, planned from the latest starts: a retried create may look up before it creates, two requests.
    const at: number[] = [];
    let plan = pace;
    for (const look of lookFirst) {
      const n = look ? 2 : 1;
      const slot = nextSlot(plan, limits, n);
      at.push(slot);
      plan = recordStarts(plan, Array<number>(n).fill(slot), limits);
    }
    const now = await ctx.date.now();
    const first = at[0] ?? 0;
    if (first - now > SPIN_MS) {
      // Paused (a 429's penalty, a backoff): come back just before the base opens again.
      drainLater(ctx, first - now - EARLY_MS);
      return true;
    }
    const round = batches.filter((_, i) => (at[i] ?? 0) - now <= ROUND_MS);
    const outcomes = await restate.RestatePromise.all(
      round.map((batch, i) =>
        ctx.run(what[i] ?? "write", async (): Promise<AttemptOutcome> => {
          // A slot this close is met on time by waiting here: a durable timer's round trip would be late for it.
          const wait = (at[i] ?? 0) - Date.now();
          if (wait > 0) await delay(wait);
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
          return attempt(
            hook,
            batch.map((s) => s.item),
            lookFirst[i] === true,
          );
        }),
      ),
    );
    for (const [i, outcome] of outcomes.entries()) {
      stats.requests += outcome.starts.length;
      pace = await applyOutcome(
        ctx,
        queue,
        round[i] ?? [],
        outcome,
        recordStarts(pace, outcome.starts, limits),
        stats,
        settings,
      );
    }
    ctx.set("pace", pace);
    ctx.set("stats", stats);
    drainLater(
      ctx,
      Math.max(0, nextSlot(pace, limits) - (await ctx.date.now()) - EARLY_MS),
    );
    return true;
  }

  /**
   * One batch: takes the requests it was handed (or, short of work, the inboxes' next ones), sends a batch at the
   * base's next free slot, and hands itself the rest; with nothing here and nothing in the inboxes, tells them it is
   * idle.
   */
  async function drain(
    ctx: restate.ObjectContext,
    call: DrainCall,
  ): Promise<void> {
    const queue = new QueueStore(ctx);
    const handed = call?.requests ?? [];
    for (const request of handed) await take(ctx, queue, request);
    if (call?.wake) {
      // One chain of delayed messages at a time: an inbox's wake-up while it runs only adds to its queue.
      if (await ctx.get<boolean>("active")) return;
      ctx.set("active", true);
    }
    // Handed a request by an idle base: it goes out first, without a look at the inboxes before it.
    let looked = false;
    if (handed.length === 0 && (await queue.length()) < REFILL_BELOW) {
      await refill(ctx, queue);
      looked = true;
    }
    let sent = await sendRound(ctx, queue);
    if (!sent && !looked) {
      await refill(ctx, queue);
      sent = await sendRound(ctx, queue);
    }
    if (!sent) {
      // Each inbox wakes the writer again if a request came in after the look.
      ctx.clear("active");
      const cursors = (await ctx.get<number[]>("cursors")) ?? [];
      // An idle inbox forgets everything before the cursor.
      ctx.set("released", cursors);
      for (const shard of SHARDS)
        ctx
          .objectSendClient(Inbox, inboxOf(ctx, shard))
          .idle({ cursor: cursors[shard] ?? 0 });
    }
  }

  return restate.object({
    name: WRITER_NAME,
    description:
      "Every request poekhali's runs make to one Airtable base, within its rate limit: rows batched and written once, schema reads shared",
    handlers: {
      /** Sends the next batch when the base has a free request slot, then hands itself the rest. */
      drain: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext, call: DrainCall): Promise<void> =>
          drain(ctx, call),
      ),

      /** A recent read of a table's schema that fits the check, or null: lets an inbox answer a check at once. */
      cachedSchema: restate.handlers.object.shared(
        { ingressPrivate: true },
        (
          ctx: restate.ObjectSharedContext,
          check: { table: string; expected?: ExpectedFields },
        ): Promise<TableSchemaRead | null> =>
          recentSchemaRead(
            ctx,
            settings.schemaMaxAgeMs,
            check.table,
            () => ctx.date.now(),
            check.expected,
          ),
      ),

      /** How this base's writer is doing: counters, requests taken and waiting, and the pause in force. */
      stats: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<WriterStatus> => {
          const [stats, head, tail, cursors, pace] = await Promise.all([
            ctx.get<WriterStats>("stats"),
            ctx.get<number>("head"),
            ctx.get<number>("tail"),
            ctx.get<number[]>("cursors"),
            ctx.get<Pace>("pace"),
          ]);
          const counts = await restate.RestatePromise.all(
            SHARDS.map((shard) =>
              ctx.objectClient(Inbox, inboxOf(ctx, shard)).counts(),
            ),
          );
          const sum = (f: (c: (typeof counts)[number]) => number) =>
            counts.reduce((total, c) => total + f(c), 0);
          const waiting = sum(
            (c) => c.tail - (cursors?.[counts.indexOf(c)] ?? 0),
          );
          const all = { ...NO_WRITER_STATS, ...stats };
          return {
            stats: {
              ...all,
              schemaHits: all.schemaHits + sum((c) => c.schemaHits),
            },
            received: sum((c) => c.received),
            queued: waiting + (tail ?? 0) - (head ?? 0),
            pausedUntil: pace?.pausedUntil ?? 0,
          };
        },
      ),
    },
  });
}

/** The writer's Restate definition type. */
export type AirtableWriter = ReturnType<typeof airtableWriter>;
