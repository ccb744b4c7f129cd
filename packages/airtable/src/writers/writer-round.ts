import * as restate from "@restatedev/restate-sdk";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import { applyOutcome, type OutcomeSettings } from "./drain-outcome.js";
import {
  FRESH_PACE,
  nextSlot,
  recordStarts,
  type Pace,
  type PaceLimits,
} from "./pace.js";
import { MAX_BATCH, takeBatch } from "./queue.js";
import type { QueueStore, Slot } from "./queue-store.js";
import { SchemaCache, answerFromCache } from "./schema-cache.js";
import type { SchemaHitTally } from "./schema-hit-tally.js";
import { SlotGate } from "./slot-gate.js";
import { attempt, type AttemptOutcome } from "./write-attempt.js";
import { NO_WRITER_STATS, type WriterStats } from "./writer-protocol.js";

/** A round sends the batches of this many seconds of the base's rate. */
export const ROUND_SLOTS = 2;
/** A round sends the batches whose slots open within this long; the steps wait for them in the process. */
export const ROUND_MS = 2_500;

/**
 * The writer's state key set while a round's answers may be out and not yet applied: a round that finds it set
 * looks rows up before creating them (and a chain that takes over sets it, for whatever the dead chain sent). It
 * holds until when the open round may send (epoch ms; `true` when not known): a round that finds it sends nothing
 * before then.
 */
export const ROUND_OPEN = "roundOpen";

/** What a round needs of the writer it runs in. */
export interface RoundDeps {
  readonly limits: PaceLimits;
  readonly settings: OutcomeSettings;
  /** Schema checks the shared `enqueue` answered in this process: the round's claim collects them. */
  readonly hits: SchemaHitTally;
  hookFor(baseId: string): AirtableHook;
}

/** What a round's claim journals: when it claimed, and the schema hits it collected (a bare time before hits). */
type Claim = number | { readonly at: number; readonly hits: number };

/** What a round came to: whether it sent anything, the base's next free slot, and when its last step ended. */
export type Round = {
  readonly sent: boolean;
  readonly nextAt: number;
  readonly now: number;
};

/** What a round's step journals: the try's outcome (null when its slot was too far off to wait for), and when it ended. */
type Step = {
  readonly outcome: AttemptOutcome | null;
  readonly endedAt: number;
};

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
 * The next round's batches, oldest first, never two of one request: when one batch of a request is refused, its run
 * fails and its other rows leave the queue, and no other batch of the same request may be under way meanwhile
 * (written for a failed run, or put back after the request was dropped).
 */
export function planRound(slots: readonly Slot[], max: number): Slot[][] {
  const batches: Slot[][] = [];
  const taken = new Set<string>();
  let left = [...slots];
  while (batches.length < max) {
    const free = left.filter((s) => !taken.has(s.item.trigger));
    const items = takeBatch(free.map((s) => s.item));
    if (items.length === 0) break;
    const batch = free.filter((s) => items.includes(s.item));
    batches.push(batch);
    for (const s of batch) taken.add(s.item.trigger);
    left = left.filter((s) => !items.includes(s.item));
  }
  return batches;
}

/**
 * Sends the next seconds' batches (one per request slot that opens within {@link ROUND_MS}), each in its own step
 * at its own slot, all from this one invocation: its cost is spread over many requests, so the pace holds on a
 * busy machine. Null when the writer's queue is empty.
 */
export async function sendRound(
  ctx: restate.ObjectContext,
  queue: QueueStore,
  deps: RoundDeps,
): Promise<Round | null> {
  const { limits, settings } = deps;
  const slots = await answerFromCache(
    ctx,
    queue,
    new SchemaCache(ctx, settings.schemaMaxAgeMs),
    // Enough places for every batch of the round to be full.
    ROUND_SLOTS * limits.requestsPerSecond * MAX_BATCH,
  );
  const batches = planRound(slots, ROUND_SLOTS * limits.requestsPerSecond);
  if (batches.length === 0) return null;
  const [stored, kept] = await restate.RestatePromise.all([
    ctx.get<Pace>("pace") as restate.RestatePromise<Pace | null>,
    ctx.get<WriterStats>("stats") as restate.RestatePromise<WriterStats | null>,
  ]);
  // A round of an invocation that was killed or cancelled (or a chain taken over) may have had answers it never
  // applied: this round's creates look their rows up first.
  const open = await ctx.get<boolean | number>(ROUND_OPEN);
  const unfinished = open !== null && open !== false;
  // Until when a round still open (cut off, or a dead chain's) may have sent: none of this round's requests before.
  const claimedBefore = typeof open === "number" ? open : 0;
  let pace = stored ?? FRESH_PACE;
  const stats = { ...NO_WRITER_STATS, ...kept };
  const what = batches.map((batch) => describe(ctx, batch));
  // Runs only on the round's first attempt: replayed after a crash, it leaves `first` false, so the steps still to
  // run wait a second for whatever the cut-off attempt sent, and a create looks its rows up before writing them.
  let first = false;
  const claim = await ctx.run("claim a round of requests", (): Claim => {
    first = true;
    // Taken in the claim's own step: journaled with it, so a replay counts them once, with no step of their own.
    return { at: Date.now(), hits: deps.hits.take(ctx.key) };
  });
  const claimedAt = typeof claim === "number" ? claim : claim.at;
  if (typeof claim !== "number") stats.schemaHits += claim.hits;
  // Until the round stores its answers: an invocation that takes over from a round that never ended waits out
  // everything it may have sent. Kept apart from the base's pause, which `stats` reports: a round is not a pause.
  ctx.set<number>(
    ROUND_OPEN,
    Math.max(claimedBefore, claimedAt + ROUND_MS + 1000 + limits.marginMs),
  );
  const lookFirst = batches.map((batch) =>
    batch.some(
      (s) =>
        s.item.kind === "row" &&
        s.item.mode.kind === "create" &&
        (!first || unfinished || s.item.maybeWritten),
    ),
  );
  // The round's requests take their slots in this process, one at a time, from the real answer times: a step that
  // starts late (a busy machine) pushes the later ones back instead of crowding a second.
  const gate = new SlotGate(
    { ...pace, pausedUntil: Math.max(pace.pausedUntil, claimedBefore) },
    limits,
    {
      retried: !first,
      signal: ctx.request().attemptCompletedSignal,
    },
  );
  const steps = await restate.RestatePromise.all(
    batches.map((batch, i) =>
      ctx.run(what[i] ?? "write", async (): Promise<Step> => {
        const requests = lookFirst[i] === true ? 2 : 1;
        // Paused (a 429's penalty, a backoff), or past this round: left for a later round.
        const answered = await gate.take(requests, ROUND_MS);
        if (!answered) return { outcome: null, endedAt: Date.now() };
        let extra = 0;
        try {
          let hook: AirtableHook;
          try {
            hook = deps.hookFor(ctx.key);
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
          // Airtable's penalty or an outage: the round's later steps keep their batches for a later round.
          if (outcome.kind === "rate-limited" || outcome.kind === "transient")
            gate.pause(Infinity);
          extra = Math.max(0, outcome.starts.length - requests);
          return { outcome, endedAt: Date.now() };
        } finally {
          answered(extra);
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
  ctx.clear(ROUND_OPEN);
  // The steps' own clock, journaled with them, stands for "now": no clock read of its own.
  return {
    sent: steps.some((step) => step.outcome !== null),
    nextAt: nextSlot(pace, limits),
    now: Math.max(claimedAt, ...steps.map((step) => step.endedAt)),
  };
}
