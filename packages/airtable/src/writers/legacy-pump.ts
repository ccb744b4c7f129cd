import * as restate from "@restatedev/restate-sdk";
import type { AirtableWriterInbox } from "./writer-inbox.js";
import { QueueStore } from "./queue-store.js";
import {
  ROUND_MS,
  ROUND_OPEN,
  sendRound,
  type RoundDeps,
} from "./writer-round.js";
import {
  INBOX_NAME,
  INBOX_SHARDS,
  STALE_MS,
  type InboxPage,
  type WriterRequest,
} from "./writer-protocol.js";

/** What `pump` was sent by the build that had it: a wake-up from an inbox, a watch, or the chain's own message. */
export type LegacyPumpCall = {
  readonly wake?: boolean;
  readonly watch?: boolean;
  readonly requests?: WriterRequest[];
} | null;

/** What the writer's `pump` of the build before the awake inboxes needs of the writer it now runs in. */
export interface LegacyPumpDeps {
  readonly round: RoundDeps;
  readonly log: (message: string) => void;
  /** Puts a request's items at the end of the writer's queue (and parks a run of several rows on them). */
  take(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    request: WriterRequest,
  ): Promise<void>;
  /** Sends `pump` to this base's writer after `delay` ms, as that build did. */
  pumpLater(
    ctx: restate.ObjectContext,
    call: LegacyPumpCall,
    delay: number,
  ): void;
  /** Records when the writer's chain will next run. */
  beat(ctx: restate.ObjectContext, now: number, next: number): void;
}

// That build's constants, frozen here: a replay takes the same branches only if they stay what its journal saw.
const REFILL_BELOW = 100;
const REFILL_PER_INBOX = 15;
const QUIET_LOOKS = 5;
const QUIET_MS = 500;
const ROUNDS_PER_CALL = 8;
const RELEASE_EVERY = 50;
const EARLY_MS = 300;

const Inbox: AirtableWriterInbox = { name: INBOX_NAME };
const SHARDS = Array.from({ length: INBOX_SHARDS }, (_, i) => i);
const inboxOf = (ctx: { key: string }, shard: number) => `${ctx.key}/${shard}`;
type Look = {
  readonly cursors: number[];
  readonly pages: restate.RestatePromise<InboxPage[]>;
};
type Beat = { readonly at: number; readonly next: number };

/**
 * The writer's `pump` as the build before the awake inboxes had it (3035161: every look at all eight inboxes, all
 * eight told when it goes idle), kept under its name so that a `pump` in flight when the worker is upgraded replays
 * its journal command for command, and the delayed `pump`s and wake-ups that build sent run it too, until the chain
 * goes idle; today's writer sends `rounds` instead. Only commands after the old ones were added (that all eight
 * inboxes were told, noted for today's writer), so a replay still matches. Change nothing else here.
 */
export async function legacyPump(
  ctx: restate.ObjectContext,
  call: LegacyPumpCall,
  deps: LegacyPumpDeps,
): Promise<void> {
  const { round } = deps;
  const queue = new QueueStore(ctx);
  const handed = call?.requests ?? [];
  for (const request of handed) await deps.take(ctx, queue, request);
  if (call?.watch) ctx.clear("watching");
  // One chain of delayed messages at a time: a wake-up while it runs only adds to its queue.
  if (call?.wake && !(await claimChain(ctx, call.watch === true, deps))) return;
  let now: number | undefined;
  for (let r = 0; r < ROUNDS_PER_CALL; r++) {
    const handedNow = r === 0 && handed.length > 0;
    if (!handedNow && (await queue.length()) === 0) {
      if (!(await takeLook(ctx, queue, await peekAll(ctx), deps))) {
        const quiet = ((await ctx.get<number>("quiet")) ?? 0) + 1;
        if (quiet >= QUIET_LOOKS) {
          ctx.clear("quiet");
          return goIdle(ctx);
        }
        ctx.set("quiet", quiet);
        return pumpLater(ctx, now ?? (await ctx.date.now()), QUIET_MS, deps);
      }
    }
    if (await ctx.get<number>("quiet")) ctx.clear("quiet");
    const ahead =
      !handedNow && (await queue.length()) < REFILL_BELOW
        ? await peekAll(ctx)
        : null;
    const sent = await sendRound(ctx, queue, round);
    if (ahead) await takeLook(ctx, queue, ahead, deps);
    if (!sent) continue;
    now = sent.now;
    deps.beat(ctx, now, now + ROUND_MS);
    if (!sent.sent || r === ROUNDS_PER_CALL - 1)
      return pumpLater(
        ctx,
        now,
        Math.max(0, sent.nextAt - now - EARLY_MS),
        deps,
      );
  }
  pumpLater(ctx, now ?? (await ctx.date.now()), 0, deps);
}

function pumpLater(
  ctx: restate.ObjectContext,
  now: number,
  delay: number,
  deps: LegacyPumpDeps,
): void {
  deps.pumpLater(ctx, null, delay);
  deps.beat(ctx, now, now + delay);
}

async function peekAll(ctx: restate.ObjectContext): Promise<Look> {
  const cursors = (await ctx.get<number[]>("cursors")) ?? SHARDS.map(() => 0);
  const pages = restate.RestatePromise.all(
    SHARDS.map((shard) =>
      ctx
        .objectClient(Inbox, inboxOf(ctx, shard))
        .peek({ from: cursors[shard] ?? 0, max: REFILL_PER_INBOX }),
    ),
  );
  return { cursors, pages };
}

async function takeLook(
  ctx: restate.ObjectContext,
  queue: QueueStore,
  look: Look,
  deps: LegacyPumpDeps,
): Promise<boolean> {
  const { cursors } = look;
  const pages = await look.pages;
  const released = (await ctx.get<number[]>("released")) ?? [];
  const held = (await ctx.get<boolean>("taking"))
    ? new Set(
        (await queue.window(await queue.length())).map((s) => s.item.trigger),
      )
    : new Set<string>();
  if (pages.some((page) => page.entries.length > 0)) ctx.set("taking", true);
  let took = false;
  for (const [shard, page] of pages.entries()) {
    const last = page.entries.at(-1);
    if (!last) continue;
    for (const { request } of page.entries)
      if (!held.has(request.trigger_id)) await deps.take(ctx, queue, request);
    cursors[shard] = last.seq + 1;
    took = true;
    if (last.seq + 1 - (released[shard] ?? 0) >= RELEASE_EVERY) {
      ctx
        .objectSendClient(Inbox, inboxOf(ctx, shard))
        .release({ upTo: last.seq + 1 });
      released[shard] = last.seq + 1;
      ctx.set("released", released);
    }
  }
  if (took) {
    ctx.set("cursors", cursors);
    ctx.clear("taking");
  }
  return took;
}

async function claimChain(
  ctx: restate.ObjectContext,
  watch: boolean,
  deps: LegacyPumpDeps,
): Promise<boolean> {
  const [active, draining] = await restate.RestatePromise.all([
    ctx.get<boolean>("active") as restate.RestatePromise<boolean | null>,
    ctx.get<boolean>("draining") as restate.RestatePromise<boolean | null>,
  ]);
  if (!active && !draining) {
    if (watch) return false;
    ctx.set("active", true);
    return true;
  }
  const now = await ctx.date.now();
  const last = await ctx.get<Beat>("beat");
  if (last && now > last.next + STALE_MS) {
    deps.log(
      `base ${ctx.key}: the writer's chain was due ${Math.round((now - last.next) / 1000)} s ago and did not come; taking over`,
    );
    ctx.clear("draining");
    ctx.set("active", true);
    if (!(await ctx.get<boolean | number>(ROUND_OPEN)))
      ctx.set(ROUND_OPEN, true);
    deps.beat(ctx, now, now);
    return true;
  }
  if (!last) deps.beat(ctx, now, now);
  if (watch || !(await ctx.get<boolean>("watching"))) {
    ctx.set("watching", true);
    deps.pumpLater(ctx, { wake: true, watch: true }, STALE_MS + 1_000);
  }
  return false;
}

async function goIdle(ctx: restate.ObjectContext): Promise<void> {
  ctx.clear("active");
  ctx.clear("beat");
  const cursors = (await ctx.get<number[]>("cursors")) ?? [];
  ctx.set("released", cursors);
  for (const shard of SHARDS)
    ctx
      .objectSendClient(Inbox, inboxOf(ctx, shard))
      .idle({ cursor: cursors[shard] ?? 0 });
  // Added after the old commands: every inbox was told, so today's writer has none awake to look at.
  ctx.set("awake", []);
}
