import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import type { AirtableWriter } from "./airtable-writer.js";
import {
  INBOX_NAME,
  STALE_MS,
  WRITER_NAME,
  parseInboxKey,
  type InboxCounts,
  type InboxEntry,
  type InboxPage,
  type WriterRequest,
} from "./writer-protocol.js";

// A typed stand-in for the writer's definition: the inbox's calls to it are checked against its handlers.
const Writer: AirtableWriter = { name: WRITER_NAME };
// The inbox's own definition, for its delayed check on itself.
const Inbox: AirtableWriterInbox = { name: INBOX_NAME };

/** How often an armed inbox checks on the writer's chain: a dead chain is taken over within twice this. */
const CHECK_MS = STALE_MS + 1_000;

/** An inbox's small state, one key: one read per enqueue. */
type Meta = {
  /** The place the next queued request takes. */
  tail: number;
  /** Requests before this place are cleared. */
  released: number;
  /** The writer was woken and has not said it is idle since. */
  armed: boolean;
  /** A `check` on the writer's chain is on its way (absent in inboxes from before checks). */
  checking?: boolean;
  received: number;
  schemaHits: number;
};

const NO_META: Meta = {
  tail: 0,
  released: 0,
  armed: false,
  received: 0,
  schemaHits: 0,
};

/**
 * A base's inboxes (a Restate virtual object keyed `<base id>/<shard>`), where runs leave their rows, look-ups and
 * schema checks and park on an awakeable until the base's writer ({@link airtableWriter}) answers. Enqueues to one
 * key run one at a time, so a burst spreads over {@link INBOX_SHARDS} of them; each keeps its state lazy and one key
 * per request, so an enqueue costs the same with one request waiting or twenty thousand, and the writer reads them
 * through a shared handler, never waiting behind enqueues.
 *
 * @example
 * createEndpointHandler({ services: [...airtableServices({ hookFor: () => hook }), ...workflows] });
 */
export function airtableWriterInbox() {
  /**
   * Arms this inbox's check on the writer's chain, once: while the inbox is armed nothing else wakes the writer, and
   * the chain's own messages (its watch included) die with it when it is killed.
   */
  const armCheck = (ctx: restate.ObjectContext, meta: Meta) => {
    if (meta.checking) return;
    meta.checking = true;
    ctx
      .objectSendClient(Inbox, ctx.key)
      .check(restate.rpc.sendOpts({ delay: CHECK_MS }));
  };

  return restate.object({
    name: INBOX_NAME,
    description:
      "Requests poekhali's runs make to one Airtable base, waiting for the base's writer, which sends them within its rate limit",
    handlers: {
      /** Queues a run's rows, a sensor's look-up or a schema check; the run parks on `trigger_id` until answered. */
      enqueue: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          request: WriterRequest,
        ): Promise<void> => {
          const { baseId, shard } = parseInboxKey(ctx.key);
          const meta = { ...NO_META, ...(await ctx.get<Meta>("meta")) };
          meta.received++;
          // A schema check comes here only when the writer's `enqueue` found no recent read: no call back to the
          // writer to ask again. Enqueues to one inbox run one at a time, and such a call, a round trip to the
          // writer's partition (busy with every run's hand-off in a burst), would hold every enqueue behind it. A
          // read made meanwhile answers the check at the head of the writer's queue, without a request.
          if (request.kind === "write" && request.records.length === 0) {
            ctx.set("meta", meta);
            return ctx.resolveAwakeable(request.trigger_id, { records: [] });
          }
          if (!meta.armed) {
            // This inbox is empty and the writer may be idle: the request goes straight to it, one hop fewer, and the
            // writer looks at this inbox from now on (until it says it is idle, it looks only at inboxes that woke it).
            meta.armed = true;
            armCheck(ctx, meta);
            ctx.set("meta", meta);
            ctx
              .objectSendClient(Writer, baseId)
              .rounds({ wake: true, requests: [request], shard });
            return;
          }
          ctx.set(`inbox:${meta.tail}`, request);
          meta.tail++;
          armCheck(ctx, meta);
          ctx.set("meta", meta);
        },
      ),

      /** The requests from a place on, oldest first: a shared handler, so the writer never waits behind enqueues. */
      peek: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectSharedContext,
          range: { from: number; max: number },
        ): Promise<InboxPage> => {
          const seqs = Array.from(
            { length: range.max },
            (_, i) => range.from + i,
          );
          // One round trip: the tail and the places asked for together (places past the tail read as empty).
          // Lazy reads awaited together are joined by RestatePromise.all (Promise.all would await them one by one).
          const [meta, ...requests] = await restate.RestatePromise.all([
            ctx.get<Meta>("meta") as restate.RestatePromise<Meta | null>,
            ...seqs.map(
              (s) =>
                ctx.get<WriterRequest>(
                  `inbox:${s}`,
                ) as restate.RestatePromise<WriterRequest | null>,
            ),
          ]);
          const tail = meta?.tail ?? 0;
          const entries: InboxEntry[] = [];
          requests.forEach((request, i) => {
            const seq = seqs[i];
            if (request && seq !== undefined && seq < tail)
              entries.push({ seq, request });
          });
          return { entries };
        },
      ),

      /** Forgets the requests before a place: the writer holds them now. */
      release: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          range: { upTo: number },
        ): Promise<void> => {
          const meta = { ...NO_META, ...(await ctx.get<Meta>("meta")) };
          release(ctx, meta, range.upTo);
          ctx.set("meta", meta);
        },
      ),

      /**
       * The writer has sent everything it took and found nothing here past `cursor`: wakes it again if requests came
       * in since it looked, else lets the next enqueue hand its request straight over.
       */
      idle: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (
          ctx: restate.ObjectContext,
          at: { cursor: number },
        ): Promise<void> => {
          const meta = { ...NO_META, ...(await ctx.get<Meta>("meta")) };
          release(ctx, meta, at.cursor);
          const { baseId, shard } = parseInboxKey(ctx.key);
          if (meta.tail > at.cursor)
            ctx.objectSendClient(Writer, baseId).rounds({ wake: true, shard });
          else meta.armed = false;
          ctx.set("meta", meta);
        },
      ),

      /**
       * While armed, looks every {@link CHECK_MS} at the writer's chain. Wakes the writer (which takes over) when the
       * chain should be running and is over {@link STALE_MS} late: a chain killed while every inbox is armed is still
       * taken over, with no new run to wake it. Wakes it as this inbox when requests wait here past the writer's
       * cursor and the writer will not look (no chain runs, or it does not count this inbox awake): this inbox's wake
       * was lost (killed on its way, or the invocation carrying it), and nothing else would. With nothing waiting
       * and no chain, it forgets what the writer took and disarms: nothing is left to check on.
       */
      check: restate.handlers.object.exclusive(
        { ingressPrivate: true },
        async (ctx: restate.ObjectContext): Promise<void> => {
          const meta = { ...NO_META, ...(await ctx.get<Meta>("meta")) };
          meta.checking = false;
          if (meta.armed) {
            const { baseId, shard } = parseInboxKey(ctx.key);
            // The same commands as the earlier build's check up to here (a check in flight replays them).
            const chain = await ctx.objectClient(Writer, baseId).chain();
            const now = await ctx.date.now();
            const writer = ctx.objectSendClient(Writer, baseId);
            if (
              chain.running &&
              (chain.next === null || now > chain.next + STALE_MS)
            )
              writer.rounds({ wake: true });
            else if (chain.awake && chain.cursors) {
              const cursor = chain.cursors[shard] ?? 0;
              const looked = chain.running && chain.awake.includes(shard);
              if (meta.tail > cursor && !looked)
                writer.rounds({ wake: true, shard });
              else if (meta.tail <= cursor && !chain.running) {
                // The writer holds all this inbox queued, and no chain runs: as if told it is idle.
                release(ctx, meta, cursor);
                meta.armed = false;
              }
            }
            if (meta.armed) armCheck(ctx, meta);
          }
          ctx.set("meta", meta);
        },
      ),

      /** This inbox's counters, for the writer's `stats`. */
      counts: restate.handlers.object.shared(
        { ingressPrivate: true },
        async (ctx: restate.ObjectSharedContext): Promise<InboxCounts> => {
          const meta = { ...NO_META, ...(await ctx.get<Meta>("meta")) };
          return {
            received: meta.received,
            schemaHits: meta.schemaHits,
            tail: meta.tail,
          };
        },
      ),
    },
    // Lazy: a call gets only the keys it reads, not every request waiting (eager state grows with the queue).
    options: { enableLazyState: true },
  });
}

/** Clears the entries before `upTo` not cleared yet. */
function release(ctx: restate.ObjectContext, meta: Meta, upTo: number): void {
  for (let s = meta.released; s < upTo; s++) ctx.clear(`inbox:${s}`);
  meta.released = Math.max(meta.released, upTo);
}

/** The inboxes' Restate definition type. */
export type AirtableWriterInbox = ReturnType<typeof airtableWriterInbox>;
