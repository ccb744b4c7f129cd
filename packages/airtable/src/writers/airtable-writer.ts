import "@poekhali/core";
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
import { SlotGate } from "./slot-gate.js";
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
  type InboxPage,
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
/** A look at the inboxes under way: the cursors it looked from, and what they answer. */
type Look = {
  readonly cursors: number[];
  readonly pages: restate.RestatePromise<InboxPage[]>;
};

/** What a round came to: whether it sent anything, the base's next free slot, and when its last step ended. */
type Round = {
  readonly sent: boolean;
  readonly nextAt: number;
  readonly now: number;
};

/** What a round's step journals: the try's outcome (null when its slot was too far off to wait for), and when it ended. */
type Step = {
  readonly outcome: AttemptOutcome | null;
  readonly endedAt: number;
};

const inboxOf = (ctx: { key: string }, shard: number) => `${ctx.key}/${shard}`;
const SHARDS = Array.from({ length: INBOX_SHARDS }, (_, i) => i);

/** Below this many places in its own queue, the writer takes more requests from the inboxes. */
const REFILL_BELOW = 100;
/** Most requests taken from one inbox at a time: a round's full batches in all, and the writer's state stays small. */
const REFILL_PER_INBOX = 15;
/** A round sends the batches of this many seconds of the base's rate. */
const ROUND_SLOTS = 2;
/** Looks that find every inbox empty before the writer goes idle, and the time between them. */
const QUIET_LOOKS = 5;
const QUIET_MS = 500;
/** Rounds one invocation sends before it hands over to the next: a journal of a few hundred entries at most. */
const ROUNDS_PER_CALL = 8;
/** How far the writer gets past what an inbox last forgot before it tells it to forget more. */
const RELEASE_EVERY = 50;
/** The writer wakes this early for a slot, to have its batches ready when the slot opens. */
const EARLY_MS = 300;
/** A round sends the batches whose slots open within this long; the steps wait for them in the process. */
const ROUND_MS = 2_500;

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

  /** Asks every inbox for its next requests past the writer's cursor in it. */
  async function peekAll(ctx: restate.ObjectContext): Promise<Look> {
    const cursors = (await ctx.get<number[]>("cursors")) ?? SHARDS.map(() => 0);
    // Shared handlers: they read the inboxes while enqueues hold their locks, so the writer never queues behind them.
    const pages = restate.RestatePromise.all(
      SHARDS.map((shard) =>
        ctx
          .objectClient(Inbox, inboxOf(ctx, shard))
          .peek({ from: cursors[shard] ?? 0, max: REFILL_PER_INBOX }),
      ),
    );
    return { cursors, pages };
  }

  /** Takes what a look found into the writer's queue and lets the inboxes forget it; false when it found nothing. */
  async function takeLook(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    look: Look,
  ): Promise<boolean> {
    const { cursors } = look;
    const pages = await look.pages;
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
    return took;
  }

  /**
   * Sends the next seconds' batches (one per request slot that opens within {@link ROUND_MS}), each in its own step
   * at its own slot, all from this one invocation: its cost is spread over many requests, so the pace holds on a
   * busy machine. Schedules the next round. False when the writer's queue is empty.
   */
  async function sendRound(
    ctx: restate.ObjectContext,
    queue: QueueStore,
  ): Promise<Round | null> {
    let slots = await answerFromCache(
      ctx,
      queue,
      new SchemaCache(ctx, settings.schemaMaxAgeMs),
    );
    const batches: Slot[][] = [];
    while (batches.length < ROUND_SLOTS * limits.requestsPerSecond) {
      const items = takeBatch(slots.map((s) => s.item));
      if (items.length === 0) break;
      batches.push(slots.filter((s) => items.includes(s.item)));
      slots = slots.filter((s) => !items.includes(s.item));
    }
    if (batches.length === 0) return null;
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
    // The round's requests take their slots in this process, one at a time, from the real start times: a step that
    // starts late (a busy machine) pushes the later ones back instead of crowding a second.
    const gate = new SlotGate(pace, limits);
    const steps = await restate.RestatePromise.all(
      batches.map((batch, i) =>
        ctx.run(what[i] ?? "write", async (): Promise<Step> => {
          const requests = lookFirst[i] === true ? 2 : 1;
          // Paused (a 429's penalty, a backoff), or past this round: left for a later round.
          const answered = await gate.take(requests, ROUND_MS);
          if (!answered) return { outcome: null, endedAt: Date.now() };
          try {
            let hook: AirtableHook;
            try {
              hook = options.hookFor(ctx.key);
            } catch (error) {
              const message = `no Airtable hook for base ${ctx.key}: ${error instanceof Error ? error.message : String(error)}`;
              return {
                outcome: { kind: "refused", starts: [], message },
                endedAt: Date.now(),
              };
            }
            const outcome = await attempt(
              hook,
              batch.map((s) => s.item),
              lookFirst[i] === true,
            );
            return { outcome, endedAt: Date.now() };
          } finally {
            answered();
          }
        }),
      ),
    );
    for (const [i, { outcome }] of steps.entries()) {
      if (!outcome) continue;
      stats.requests += outcome.starts.length;
      pace = await applyOutcome(
        ctx,
        queue,
        batches[i] ?? [],
        outcome,
        recordStarts(pace, outcome.starts, limits),
        stats,
        settings,
      );
    }
    ctx.set("pace", pace);
    ctx.set("stats", stats);
    // The steps' own clock, journaled with them, stands for "now": no clock read of its own.
    return {
      sent: steps.some((step) => step.outcome !== null),
      nextAt: nextSlot(pace, limits),
      now: Math.max(...steps.map((step) => step.endedAt)),
    };
  }

  /**
   * Rounds, one after the other in this invocation (the next round's look at the inboxes under way while a round's
   * requests are, and the next round's first slot waited for in the process): the base gets its pace without a gap
   * between rounds. Takes the requests it was handed first, without a look before them. After
   * {@link ROUNDS_PER_CALL} rounds, or when the base is paused, hands itself the rest with a delayed message; with
   * nothing here and nothing in the inboxes, tells them it is idle.
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
    for (let round = 0; round < ROUNDS_PER_CALL; round++) {
      const handedNow = round === 0 && handed.length > 0;
      if (!handedNow && (await queue.length()) === 0) {
        // Nothing to send: look first, and with nothing there either a few times over, go idle.
        if (!(await takeLook(ctx, queue, await peekAll(ctx)))) {
          const quiet = ((await ctx.get<number>("quiet")) ?? 0) + 1;
          if (quiet >= QUIET_LOOKS) {
            ctx.clear("quiet");
            return goIdle(ctx);
          }
          // An inbox reads the idle message only after the enqueues queued before it: in a burst that is a while,
          // and the requests it takes meanwhile would wait for it. Looking again a little later finds them.
          ctx.set("quiet", quiet);
          drainLater(ctx, QUIET_MS);
          return;
        }
      }
      if (await ctx.get<number>("quiet")) ctx.clear("quiet");
      // Short of work for the next rounds: look while this round's requests are under way.
      const ahead =
        !handedNow && (await queue.length()) < REFILL_BELOW
          ? await peekAll(ctx)
          : null;
      const sent = await sendRound(ctx, queue);
      if (ahead) await takeLook(ctx, queue, ahead);
      if (!sent) continue;
      if (!sent.sent || round === ROUNDS_PER_CALL - 1) {
        // Paused (a 429's penalty, a backoff), or this call did its share: come back just before the next slot.
        drainLater(ctx, Math.max(0, sent.nextAt - sent.now - EARLY_MS));
        return;
      }
    }
    drainLater(ctx, 0);
  }

  /** Tells every inbox the writer is idle; each wakes it again if a request came in after its look. */
  async function goIdle(ctx: restate.ObjectContext): Promise<void> {
    ctx.clear("active");
    const cursors = (await ctx.get<number[]>("cursors")) ?? [];
    // An idle inbox forgets everything before the cursor.
    ctx.set("released", cursors);
    for (const shard of SHARDS)
      ctx
        .objectSendClient(Inbox, inboxOf(ctx, shard))
        .idle({ cursor: cursors[shard] ?? 0 });
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
