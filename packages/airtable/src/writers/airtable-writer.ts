import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { AirtableHook } from "../hooks/airtable-hook.js";
import type {
  ExpectedFields,
  TableSchemaRead,
} from "../schema/check-table-schema.js";
import type { AirtableWriterInbox } from "./writer-inbox.js";
import { awaitRows } from "./drain-outcome.js";
import { legacyDrain, type LegacyDrainDeps } from "./legacy-drain.js";
import {
  legacyPump,
  type LegacyPumpCall,
  type LegacyPumpDeps,
} from "./legacy-pump.js";
import { DEFAULT_PACE_LIMITS, type Pace, type PaceLimits } from "./pace.js";
import { itemsOf } from "./queue.js";
import { QueueStore } from "./queue-store.js";
import { recentSchemaRead } from "./schema-cache.js";
import { SchemaHitTally } from "./schema-hit-tally.js";
import {
  ROUND_MS,
  ROUND_OPEN,
  sendRound,
  type RoundDeps,
} from "./writer-round.js";
import {
  INBOX_NAME,
  INBOX_SHARDS,
  NO_WRITER_STATS,
  STALE_MS,
  type ChainState,
  type InboxPage,
  WRITER_NAME,
  inboxKey,
  type WriterRequest,
  type WriterStats,
  type WriterStatus,
} from "./writer-protocol.js";

export { STALE_MS } from "./writer-protocol.js";

/** Options of {@link airtableWriter}. */
export interface AirtableWriterOptions {
  /** The hook of a base, by its id (the writer's keys name bases by id, never by token). */
  hookFor(baseId: string): AirtableHook;
  /** Requests per second per base, a whole number of at least 2; Airtable's 5 by default. */
  readonly requestsPerSecond?: number;
  /** Slack added to each one-second window, against clock jitter at Airtable's end; 10 ms by default. */
  readonly marginMs?: number;
  /** Tries of a batch that meets 5xx or network errors before its runs fail; 8 by default (about 2 minutes). */
  readonly maxAttempts?: number;
  /** How long runs share a read of a table's schema before the next run reads it again; 5 minutes by default. */
  readonly schemaMaxAgeMs?: number;
  readonly log?: (message: string) => void;
}

/**
 * What `rounds` is sent: a wake-up from an inbox (`wake`), with the request of an inbox that was empty and the
 * inbox's shard (the writer looks at it from then on; a wake without one, from a check that found the chain dead, has
 * it look at all); a wake that comes back to see whether the chain it found still runs (`watch`); the writer's own
 * delayed messages carry nothing.
 */
export type PumpCall = {
  readonly wake?: boolean;
  readonly watch?: boolean;
  readonly requests?: WriterRequest[];
  readonly shard?: number;
} | null;

/** When the writer's chain of delayed messages last ran (`at`) and is due to run again (`next`), epoch ms. */
type Beat = { readonly at: number; readonly next: number };

// A typed stand-in for the inboxes' definition: the writer's calls to them are checked against their handlers.
const Inbox: AirtableWriterInbox = { name: INBOX_NAME };
/** A look at the inboxes under way: the shards it looked at, the cursors it looked from, and what they answer. */
type Look = {
  readonly shards: number[];
  readonly cursors: number[];
  readonly pages: restate.RestatePromise<InboxPage[]>;
};

const inboxOf = (ctx: { key: string }, shard: number) => `${ctx.key}/${shard}`;
const SHARDS = Array.from({ length: INBOX_SHARDS }, (_, i) => i);

/** Below this many places in its own queue, the writer takes more requests from the inboxes. */
const REFILL_BELOW = 100;
/** Most requests taken from one inbox at a time: a round's full batches in all, and the writer's state stays small. */
const REFILL_PER_INBOX = 15;
/** Looks that find every awake inbox empty before the writer goes idle, and the time between them. */
const QUIET_LOOKS = 5;
const QUIET_MS = 500;
/** Rounds one invocation sends before it hands over to the next: a journal of a few hundred entries at most. */
const ROUNDS_PER_CALL = 8;
/** How far the writer gets past what an inbox last forgot before it tells it to forget more. */
const RELEASE_EVERY = 50;
/** The writer wakes this early for a slot, to have its batches ready when the slot opens. */
const EARLY_MS = 300;

/** The margin of the builds whose `pump` and `drain` this one keeps for replay. */
const LEGACY_MARGIN_MS = 25;

/**
 * One writer per Airtable base (a Restate virtual object keyed by base id), the only way poekhali's tasks reach a
 * base: runs send their rows, look-ups and schema checks to its `enqueue`, which hands each to one of the base's
 * inboxes ({@link airtableWriterInbox}), and park on an awakeable; the writer takes them, batches rows of concurrent
 * runs up to 10 per request, answers schema checks from a recent read of the table (one read shared by every run
 * asking meanwhile), keeps the base under 5 requests per second, sits out a 429's penalty, retries 5xx and network
 * errors with backoff, and wakes each run with its answer. The inboxes are other objects, so the writer's pace never
 * waits behind the runs' enqueues: only its own delayed messages and the inboxes' wake-ups call its `rounds`.
 *
 * @example
 * createEndpointHandler({ services: [...airtableServices({ hookFor: () => hook }), ...workflows] });
 */
export function airtableWriter(options: AirtableWriterOptions) {
  const rps = options.requestsPerSecond;
  // A create that looks its rows up first sends two requests back to back: a base must allow two in a second.
  if (rps !== undefined && (!Number.isInteger(rps) || rps < 2))
    throw new TypeError(
      `airtableWriter: requestsPerSecond must be a whole number of at least 2 (a create that looks its rows up first sends 2 requests back to back), not ${rps}`,
    );
  const limits: PaceLimits = {
    requestsPerSecond:
      options.requestsPerSecond ?? DEFAULT_PACE_LIMITS.requestsPerSecond,
    marginMs: options.marginMs ?? DEFAULT_PACE_LIMITS.marginMs,
  };
  const settings = {
    maxAttempts: options.maxAttempts ?? 8,
    schemaMaxAgeMs: options.schemaMaxAgeMs ?? 5 * 60_000,
    log: options.log ?? (() => undefined),
  };
  // Schema checks `enqueue` answers, counted in this process until a round collects them (it cannot write state).
  const hits = new SchemaHitTally();
  const round: RoundDeps = {
    limits,
    settings,
    hits,
    hookFor: (baseId) => options.hookFor(baseId),
  };

  // A delayed message to itself: each journal stays short, however long the backlog.
  const send = (
    ctx: restate.ObjectContext,
    method: "rounds" | "pump" | "drain",
    parameter: PumpCall,
    delay: number,
  ) =>
    ctx.genericSend({
      service: WRITER_NAME,
      method,
      key: ctx.key,
      parameter,
      delay,
      inputSerde: restate.serde.json,
    });
  const beat = (ctx: restate.ObjectContext, at: number, next: number) =>
    ctx.set<Beat>("beat", { at, next });
  /** Hands itself the rest after `delay` ms, and says when it will be back. */
  const pumpLater = (
    ctx: restate.ObjectContext,
    now: number,
    delay: number,
  ) => {
    send(ctx, "rounds", null, delay);
    beat(ctx, now, now + delay);
  };

  // The handlers kept for journals recorded by earlier builds replay only with those builds' pace: the margin goes into
  // the state they set (each slot's time), so a changed one fails their journal check. They keep 25 ms.
  const legacyLimits: PaceLimits = {
    ...limits,
    marginMs: options.marginMs ?? LEGACY_MARGIN_MS,
  };
  const legacy: LegacyDrainDeps = {
    limits: legacyLimits,
    settings,
    hookFor: (baseId) => options.hookFor(baseId),
    drainLater: (ctx, delay) => send(ctx, "drain", null, delay),
    beat,
    async handOver(ctx) {
      // The old chain's queue is empty: the inboxes filled meanwhile are the new chain's to read. To `pump`, as the
      // build that added this hand-over sent it (a `drain` it left in flight replays this send), which runs that
      // build's chain until it goes idle.
      if (await ctx.get<boolean>("active")) return;
      ctx.set("active", true);
      const now = await ctx.date.now();
      send(ctx, "pump", null, 0);
      beat(ctx, now, now);
    },
  };
  const legacyRounds: LegacyPumpDeps = {
    round: { ...round, limits: legacyLimits },
    log: settings.log,
    take: (ctx, queue, request) => take(ctx, queue, request),
    pumpLater: (ctx, call, delay) => send(ctx, "pump", call, delay),
    beat,
  };

  /** Puts a request's items at the end of the writer's own queue. */
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

  /**
   * The inboxes the writer looks at: those it has not told it is idle since they last woke it (an inbox it told hands
   * its next request straight over, and says which it is). When the state does not say (a base new, or upgraded from
   * a build that looked at all of them every time): none if no chain runs (an idle writer of that build had told
   * every inbox), else all of them.
   */
  async function awakeShards(ctx: restate.ObjectContext): Promise<number[]> {
    const awake = await ctx.get<number[]>("awake");
    if (awake) return awake;
    const [active, draining] = await restate.RestatePromise.all([
      ctx.get<boolean>("active") as restate.RestatePromise<boolean | null>,
      ctx.get<boolean>("draining") as restate.RestatePromise<boolean | null>,
    ]);
    return active || draining ? SHARDS : [];
  }

  /**
   * Asks inboxes for their next requests past the writer's cursor in each: every inbox while rounds go on (in a burst,
   * an inbox's wake-up waits behind the chain's call, and its requests must not), only the awake ones when the writer
   * has nothing left to send and looks before going idle.
   */
  async function peekAll(
    ctx: restate.ObjectContext,
    quiet: boolean,
  ): Promise<Look> {
    const cursors = (await ctx.get<number[]>("cursors")) ?? SHARDS.map(() => 0);
    const shards = quiet ? await awakeShards(ctx) : SHARDS;
    // Shared handlers: they read the inboxes while enqueues hold their locks, so the writer never queues behind them.
    const pages = restate.RestatePromise.all(
      shards.map((shard) =>
        ctx
          .objectClient(Inbox, inboxOf(ctx, shard))
          .peek({ from: cursors[shard] ?? 0, max: REFILL_PER_INBOX }),
      ),
    );
    return { shards, cursors, pages };
  }

  /** Takes what a look found into the writer's queue and lets the inboxes forget it; false when it found nothing. */
  async function takeLook(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    look: Look,
  ): Promise<boolean> {
    const { shards, cursors } = look;
    const pages = await look.pages;
    const released = (await ctx.get<number[]>("released")) ?? [];
    // A look cut off between taking requests and moving the cursors past them (killed, cancelled): the next look
    // finds them again, and must not queue them twice (a second create of the same rows).
    const held = (await ctx.get<boolean>("taking"))
      ? new Set(
          (await queue.window(await queue.length())).map((s) => s.item.trigger),
        )
      : new Set<string>();
    if (pages.some((page) => page.entries.length > 0)) ctx.set("taking", true);
    let took = false;
    for (const [i, page] of pages.entries()) {
      const shard = shards[i]!;
      const last = page.entries.at(-1);
      if (!last) continue;
      for (const { request } of page.entries)
        if (!held.has(request.trigger_id)) await take(ctx, queue, request);
      cursors[shard] = last.seq + 1;
      took = true;
      // It holds requests: looked at until the writer tells it it is idle.
      await wakeShard(ctx, shard);
      // Now and then, not at every look: each release is an invocation in the line of the inbox's enqueues.
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

  /**
   * Whether a wake-up starts (or takes over) the base's chain: yes when none runs; when one does (today's `active`
   * or, from before the inboxes, `draining`), only if its next message is over {@link STALE_MS} late. Otherwise it
   * comes back later to look again, so a chain that died with every inbox waiting for it is still taken over.
   */
  async function claimChain(
    ctx: restate.ObjectContext,
    watch: boolean,
  ): Promise<boolean> {
    const [active, draining] = await restate.RestatePromise.all([
      ctx.get<boolean>("active") as restate.RestatePromise<boolean | null>,
      ctx.get<boolean>("draining") as restate.RestatePromise<boolean | null>,
    ]);
    if (!active && !draining) {
      // A watch that finds the base idle has nothing to look after: the inboxes wake the writer themselves.
      if (watch) return false;
      ctx.set("active", true);
      return true;
    }
    const now = await ctx.date.now();
    const last = await ctx.get<Beat>("beat");
    if (last && now > last.next + STALE_MS) {
      settings.log(
        `base ${ctx.key}: the writer's chain was due ${Math.round((now - last.next) / 1000)} s ago and did not come; taking over`,
      );
      ctx.clear("draining");
      ctx.set("active", true);
      // The dead chain may have stopped between telling an inbox it is idle and noting so: look at every inbox.
      ctx.clear("awake");
      // Whatever the dead chain sent may have been written without its answer applied: look before creating (a
      // round it left open says so already, and until when it may send).
      if (!(await ctx.get<boolean | number>(ROUND_OPEN)))
        ctx.set(ROUND_OPEN, true);
      beat(ctx, now, now);
      return true;
    }
    // A chain never seen to beat (left by the writer before the inboxes): from now on it has STALE_MS to show up.
    if (!last) beat(ctx, now, now);
    if (watch || !(await ctx.get<boolean>("watching"))) {
      ctx.set("watching", true);
      send(ctx, "rounds", { wake: true, watch: true }, STALE_MS + 1_000);
    }
    return false;
  }

  /**
   * Rounds, one after the other in this invocation (the next round's look at the inboxes under way while a round's
   * requests are, and the next round's first slot waited for in the process): the base gets its pace without a gap
   * between rounds. Takes the requests it was handed first, without a look before them. After
   * {@link ROUNDS_PER_CALL} rounds, or when the base is paused, hands itself the rest with a delayed message; with
   * nothing here and nothing in the inboxes, tells them it is idle.
   */
  async function runRounds(
    ctx: restate.ObjectContext,
    call: PumpCall,
  ): Promise<void> {
    const queue = new QueueStore(ctx);
    const handed = call?.requests ?? [];
    for (const request of handed) await take(ctx, queue, request);
    if (call?.wake && !call.watch) await wakeShard(ctx, call.shard);
    if (call?.watch) ctx.clear("watching");
    // One chain of delayed messages at a time: a wake-up while it runs adds to its queue, and sends at once only
    // when the chain is in its quiet spell (after the commands a `rounds` of the build before journaled here).
    if (call?.wake && !(await claimChain(ctx, call.watch === true))) {
      if (!call.watch)
        await wokenWhileRunning(ctx, queue, call.shard, handed.length > 0);
      return;
    }
    let now: number | undefined;
    for (let r = 0; r < ROUNDS_PER_CALL; r++) {
      const handedNow = r === 0 && handed.length > 0;
      if (!handedNow && (await queue.length()) === 0) {
        // Nothing to send: look first, and with nothing there either a few times over, go idle.
        if (!(await takeLook(ctx, queue, await peekAll(ctx, true)))) {
          const quiet = ((await ctx.get<number>("quiet")) ?? 0) + 1;
          if (quiet >= QUIET_LOOKS) {
            ctx.clear("quiet");
            return goIdle(ctx);
          }
          // An inbox reads the idle message only after the enqueues queued before it: in a burst that is a while,
          // and the requests it takes meanwhile would wait for it. Looking again a little later finds them.
          ctx.set("quiet", quiet);
          pumpLater(ctx, now ?? (await ctx.date.now()), QUIET_MS);
          // Told at once, not after the last quiet look: an inbox told hands its next request straight over, and
          // that wake-up is sent at once (a lone row no longer waits up to QUIET_MS for the next look). After the
          // commands a `rounds` of the build before journaled here, so one caught by an upgrade replays.
          return tellIdle(ctx);
        }
      }
      if (await ctx.get<number>("quiet")) ctx.clear("quiet");
      // Short of work for the next rounds: look while this round's requests are under way.
      const ahead =
        !handedNow && (await queue.length()) < REFILL_BELOW
          ? await peekAll(ctx, false)
          : null;
      const sent = await sendRound(ctx, queue, round);
      if (ahead) await takeLook(ctx, queue, ahead);
      if (!sent) continue;
      now = sent.now;
      // The chain is alive while its rounds go on: an inbox's check must not take a long call for a dead chain
      // (every wake it sent would queue before the chain's next call, each with the writer's state).
      beat(ctx, now, now + ROUND_MS);
      if (!sent.sent || r === ROUNDS_PER_CALL - 1) {
        // Paused (a 429's penalty, a backoff), or this call did its share: come back just before the next slot.
        return pumpLater(ctx, now, Math.max(0, sent.nextAt - now - EARLY_MS));
      }
    }
    pumpLater(ctx, now ?? (await ctx.date.now()), 0);
  }

  /**
   * Notes that an inbox woke the writer: the next looks include it. A wake that names no inbox (an inbox of an
   * earlier build, a check that found the chain dead) has the writer look at every inbox.
   */
  async function wakeShard(
    ctx: restate.ObjectContext,
    shard: number | undefined,
  ): Promise<void> {
    if (shard === undefined || !SHARDS.includes(shard))
      return ctx.clear("awake");
    const awake = await awakeShards(ctx);
    if (!awake.includes(shard))
      ctx.set(
        "awake",
        [...awake, shard].sort((a, b) => a - b),
      );
  }

  /**
   * A wake-up that found the chain running: the inbox that sent it holds requests again (it was told the writer is
   * idle and will be told again), and when the chain is in its quiet spell (nothing to send, its next message only a
   * look), the request is sent now, in this invocation, not at the chain's next look. The chain's own message still
   * comes, and looks on from there.
   */
  async function wokenWhileRunning(
    ctx: restate.ObjectContext,
    queue: QueueStore,
    shard: number | undefined,
    handed: boolean,
  ): Promise<void> {
    const told = await ctx.get<number[]>("told");
    if (told && (shard === undefined || told.includes(shard))) {
      // A wake that names no inbox has the writer look at (and tell) every one.
      const left = shard === undefined ? [] : told.filter((s) => s !== shard);
      if (left.length > 0) ctx.set("told", left);
      else ctx.clear("told");
    }
    if (!(await ctx.get<number>("quiet"))) return;
    // A wake-up without a request (an inbox told idle that held requests by then): look at the awake inboxes now.
    if (!handed) await takeLook(ctx, queue, await peekAll(ctx, true));
    const sent = await sendRound(ctx, queue, round);
    if (!sent?.sent) return;
    // Still quiet, as after the chain's first empty look: the next wake-up is sent at once too, and the inbox that
    // woke it is told at once (its next request comes straight over, not at the chain's next look). A row left over
    // is the chain's to send: it looks at its queue first.
    ctx.set("quiet", 1);
    await tellIdle(ctx);
  }

  /**
   * Tells the awake inboxes not told yet that the writer has nothing left to send (each wakes it again if a request
   * came in after its look, else hands its next request straight over): from the first quiet look on. They are still
   * looked at until the writer goes idle (an inbox reads the message only after the enqueues queued before it).
   */
  async function tellIdle(ctx: restate.ObjectContext): Promise<void> {
    const told = (await ctx.get<number[]>("told")) ?? [];
    const awake = await awakeShards(ctx);
    const untold = awake.filter((shard) => !told.includes(shard));
    if (untold.length === 0) return;
    const cursors = (await ctx.get<number[]>("cursors")) ?? [];
    const released = (await ctx.get<number[]>("released")) ?? [];
    tellInboxesIdle(ctx, untold, cursors, released);
    ctx.set(
      "told",
      [...told, ...untold].sort((a, b) => a - b),
    );
  }

  /** Tells these inboxes the writer is idle, then notes what they forget: everything before the writer's cursor. */
  function tellInboxesIdle(
    ctx: restate.ObjectContext,
    shards: readonly number[],
    cursors: readonly number[],
    released: number[],
  ): void {
    for (const shard of shards) {
      ctx
        .objectSendClient(Inbox, inboxOf(ctx, shard))
        .idle({ cursor: cursors[shard] ?? 0 });
      released[shard] = cursors[shard] ?? 0;
    }
    ctx.set(
      "released",
      SHARDS.map((shard) => released[shard] ?? 0),
    );
  }

  /**
   * Tells the awake inboxes not told in the quiet spell that the writer is idle; each wakes it again if a request came
   * in after its look. The others were told before and have not woken it since: nothing to tell them, and nothing
   * runs until a request comes.
   */
  async function goIdle(ctx: restate.ObjectContext): Promise<void> {
    const cursors = (await ctx.get<number[]>("cursors")) ?? [];
    const released = (await ctx.get<number[]>("released")) ?? [];
    const awake = await awakeShards(ctx);
    // Read after every command of the builds before (`cursors`, `released`, `awake`): the rest of theirs went out with
    // the end, so an older invocation cut off here replays up to this read. Each awaited read reaches Restate on its
    // own, so a read between those of an older build would mismatch its journal.
    const told = (await ctx.get<number[]>("told")) ?? [];
    tellInboxesIdle(
      ctx,
      awake.filter((shard) => !told.includes(shard)),
      cursors,
      released,
    );
    // Noted after the messages: a chain cut off between them looks at every inbox again (a takeover clears it).
    ctx.set("awake", []);
    ctx.clear("active");
    ctx.clear("beat");
    ctx.clear("told");
  }

  return restate.object({
    name: WRITER_NAME,
    description:
      "Every request poekhali's runs make to one Airtable base, within its rate limit: rows batched and written once, schema reads shared",
    handlers: {
      /**
       * Hands a run's rows, a sensor's look-up or a schema check to one of the base's inboxes; the run parks on
       * `trigger_id` until answered. Shared: it holds no lock, so a burst of runs never queues behind the writer.
       * A schema check that a recent read answers is answered here: a burst of runs starting at once (each checks the
       * table first) would otherwise queue, one at a time, in eight inboxes (measured: ~1.5 checks/s with 100,000).
       */
      enqueue: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectSharedContext,
          request: WriterRequest,
        ): Promise<void> => {
          if (request.kind === "schema") {
            const read = await recentSchemaRead(
              ctx,
              settings.schemaMaxAgeMs,
              request.table,
              () => ctx.date.now(),
              request.expected,
            );
            if (read) {
              ctx.resolveAwakeable(request.trigger_id, read);
              hits.add(ctx.key);
              return;
            }
          }
          ctx
            .objectSendClient(Inbox, inboxKey(ctx.key, request.trigger_id))
            .enqueue(request);
        },
      ),

      /**
       * Sends the batches of the next seconds at the base's pace, then hands itself the rest. Its state comes with
       * the call (eager): the writer's own queue holds a few rounds' requests (the backlog waits in the inboxes), and
       * every read of it would otherwise be a round trip through a partition busy with the runs' enqueues (measured:
       * 35 rows/s instead of 31 on a 5,000-run backlog).
       */
      rounds: restate.handlers.object.exclusive(
        { ingressPrivate: true, enableLazyState: false },
        (ctx: restate.ObjectContext, call: PumpCall): Promise<void> =>
          runRounds(ctx, call),
      ),

      /**
       * The chain as the build before the awake inboxes ran it (every inbox looked at and told idle), under its name:
       * a `pump` in flight when the worker is upgraded replays on it command for command, and that build's delayed
       * `pump`s and wake-ups run it until the chain goes idle. Nothing of today's writer sends it but the hand-over
       * of {@link legacyDrain}, as that build did.
       */
      pump: restate.handlers.object.exclusive(
        { ingressPrivate: true, enableLazyState: false },
        (ctx: restate.ObjectContext, call: LegacyPumpCall): Promise<void> =>
          legacyPump(ctx, call, legacyRounds),
      ),

      /** The writer before the inboxes: finishes the queue a base was upgraded with, then hands over to `pump`. */
      drain: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        (ctx: restate.ObjectContext): Promise<void> => legacyDrain(ctx, legacy),
      ),

      /**
       * A recent read of a table's schema that fits the check, or null. Inboxes no longer ask (the writer's `enqueue`
       * does, before the hand-off); kept for an inbox `enqueue` of an earlier build still in flight.
       */
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

      /**
       * Whether the base's chain should be running, when it is next due, and which inboxes it looks at and how far: an
       * armed inbox checks on it now and then, and wakes the writer to take over a chain that died (killed, cancelled:
       * its own delayed messages die with it), or when it holds requests the writer will not look at (its wake lost).
       */
      chain: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (ctx: restate.ObjectSharedContext): Promise<ChainState> => {
          const [active, draining, last, awake, cursors] =
            await restate.RestatePromise.all([
              ctx.get<boolean>("active") as restate.RestatePromise<
                boolean | null
              >,
              ctx.get<boolean>("draining") as restate.RestatePromise<
                boolean | null
              >,
              ctx.get<Beat>("beat") as restate.RestatePromise<Beat | null>,
              ctx.get<number[]>("awake") as restate.RestatePromise<
                number[] | null
              >,
              ctx.get<number[]>("cursors") as restate.RestatePromise<
                number[] | null
              >,
            ]);
          const running = active === true || draining === true;
          return {
            running,
            next: last?.next ?? null,
            // As awakeShards reads it: without the key, a running chain looks at every inbox, an idle one at none.
            awake: awake ?? (running ? SHARDS : []),
            cursors: cursors ?? [],
          };
        },
      ),

      /** How this base's writer is doing: counters, requests taken and waiting, and the pause in force. */
      stats: restate.handlers.object.shared(
        async (ctx: restate.ObjectSharedContext): Promise<WriterStatus> => {
          const [stats, head, tail, cursors, pace] =
            await restate.RestatePromise.all([
              ctx.get<WriterStats>(
                "stats",
              ) as restate.RestatePromise<WriterStats | null>,
              ctx.get<number>("head") as restate.RestatePromise<number | null>,
              ctx.get<number>("tail") as restate.RestatePromise<number | null>,
              ctx.get<number[]>("cursors") as restate.RestatePromise<
                number[] | null
              >,
              ctx.get<Pace>("pace") as restate.RestatePromise<Pace | null>,
            ]);
          const counts = await restate.RestatePromise.all(
            SHARDS.map((shard) =>
              ctx.objectClient(Inbox, inboxOf(ctx, shard)).counts(),
            ),
          );
          // Checks `enqueue` answered in this process that no round has collected yet (another process's wait for
          // a round there).
          const uncollected = await ctx.run(
            "count schema hits not collected",
            () => hits.peek(ctx.key),
          );
          const sum = (
            f: (c: (typeof counts)[number], shard: number) => number,
          ) => counts.reduce((total, c, shard) => total + f(c, shard), 0);
          const waiting = sum((c, shard) => c.tail - (cursors?.[shard] ?? 0));
          const all = { ...NO_WRITER_STATS, ...stats };
          return {
            stats: {
              ...all,
              schemaHits:
                all.schemaHits + uncollected + sum((c) => c.schemaHits),
            },
            received: sum((c) => c.received),
            queued: waiting + (tail ?? 0) - (head ?? 0),
            pausedUntil: pace?.pausedUntil ?? 0,
          };
        },
      ),
    },
    // Lazy for every handler but `rounds` and `pump`: `enqueue`, `cachedSchema` and `stats` are called often and read a key or
    // two, and `drain` may run on a queue of thousands left by the writer before the inboxes.
    options: { enableLazyState: true },
  });
}

/** The writer's Restate definition type. */
export type AirtableWriter = ReturnType<typeof airtableWriter>;
