import type * as restate from "@restatedev/restate-sdk";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import { applyOutcome, type OutcomeSettings } from "./drain-outcome.js";
import {
  FRESH_PACE,
  nextSlot,
  recordStarts,
  type Pace,
  type PaceLimits,
} from "./pace.js";
import { legacyTakeBatch } from "./legacy-take-batch.js";
import { LEGACY_WINDOW, QueueStore } from "./queue-store.js";
import { SchemaCache, answerFromCache } from "./schema-cache.js";
import { attempt, type AttemptOutcome } from "./write-attempt.js";
import { NO_WRITER_STATS, type WriterStats } from "./writer-protocol.js";

/** What the drain of the writer before the inboxes needs of the writer it now runs in. */
export interface LegacyDrainDeps {
  readonly limits: PaceLimits;
  readonly settings: OutcomeSettings;
  hookFor(baseId: string): AirtableHook;
  /** Sends `drain` to this base's writer after `delay` ms, as the writer before the inboxes did. */
  drainLater(ctx: restate.ObjectContext, delay: number): void;
  /** Records when the writer's chain will next run, so a wake can tell a dead chain from a busy one. */
  beat(ctx: restate.ObjectContext, now: number, next: number): void;
  /** Hands the base over to the writer's `pump` chain once the old queue is empty. */
  handOver(ctx: restate.ObjectContext): Promise<void>;
}

type Wait = { kind: "wait"; waitMs: number };

/**
 * The writer's `drain` as it was before the inboxes (one batch per invocation, a sleep for a busy slot), kept so that
 * a base upgraded under a backlog finishes it: a `drain` in flight on the old code replays this journal command for
 * command, and the delayed `drain`s it left go on through the old queue (`head`/`tail`/`item:*`, `request:*`) until
 * it is empty. Only commands after the old ones were added (the beat, the hand-over to `pump`), so a replay still
 * matches. Nothing of today's writer sends `drain`.
 */
export async function legacyDrain(
  ctx: restate.ObjectContext,
  deps: LegacyDrainDeps,
): Promise<void> {
  const { limits, settings } = deps;
  const queue = new QueueStore(ctx);
  const slots = await answerFromCache(
    ctx,
    queue,
    new SchemaCache(ctx, settings.schemaMaxAgeMs),
    LEGACY_WINDOW,
  );
  const batchItems = legacyTakeBatch(slots.map((s) => s.item));
  const batch = slots.filter((s) => batchItems.includes(s.item));
  const head = batchItems[0];
  if (!head) {
    ctx.clear("draining");
    return deps.handOver(ctx);
  }
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
    const step = await ctx.run(
      what,
      async (): Promise<AttemptOutcome | Wait> => {
        const wait = nextSlot(pace, limits, lookFirst ? 2 : 1) - Date.now();
        if (wait > 0) return { kind: "wait", waitMs: wait };
        let hook: AirtableHook;
        try {
          hook = deps.hookFor(ctx.key);
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
    await ctx.sleep(step.waitMs, `wait for a request slot of base ${ctx.key}`);
  }

  stats.requests += outcome.starts.length;
  const next = await applyOutcome(
    ctx,
    queue,
    batch,
    outcome,
    recordStarts(pace, outcome.starts, limits),
    stats,
    settings,
  );
  ctx.set("pace", next);
  ctx.set("stats", stats);
  if ((await queue.length()) > 0) {
    const now = await ctx.date.now();
    const delay = Math.max(0, nextSlot(next, limits) - now);
    deps.drainLater(ctx, delay);
    deps.beat(ctx, now, now + delay);
  } else {
    ctx.clear("draining");
    await deps.handOver(ctx);
  }
}
