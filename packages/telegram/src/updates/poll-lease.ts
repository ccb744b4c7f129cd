import "@poekhali/core";
import { randomBytes, randomUUID } from "node:crypto";
import * as restate from "@restatedev/restate-sdk";
import { handlerTarget, type RestateIngress } from "@poekhali/core";

/** The Restate virtual object that grants the right to poll a bot, one key per bot id. */
export const POLL_LEASE_NAME = "telegram_poll_lease";

/**
 * Who may poll a bot, and until when (epoch ms, counted from the ask that granted or renewed it). A released lease
 * keeps its last holder with `expires_at` 0 and when it was released, so that asks that holder made before it let go
 * (taken by Restate after the release) do not hand it the lease again.
 */
export type Lease = {
  readonly holder: string;
  readonly expires_at: number;
  /** When its holder gave it up (epoch ms on the holder's clock). */
  readonly released_at?: number;
};

/**
 * The answer to an `ask`: whether the caller holds the lease now, and who does; `now` is the wall clock (epoch ms)
 * of the worker that judged it, absent from older lease objects, by which an asker can tell that its own clock is behind.
 */
export type LeaseAnswer = Lease & {
  readonly held: boolean;
  readonly now?: number;
};

/**
 * How much earlier than a lease's end its holder stops polling: min(1 s, a tenth of the lease). Workers' wall clocks
 * may differ by less than this without two of them ever polling at once.
 */
export function leaseMargin(ttlMs: number): number {
  return Math.min(1_000, ttlMs / 10);
}

/**
 * A poller's name in a bot's lease: the worker's readable id (`host:port`), then a nonce of this poller, so that two
 * live processes under one worker id (a force-deleted pod whose old copy still runs, replicas with a fixed hostname)
 * are two holders, not one that both take for their own. A restarted worker is a new holder: after a clean stop (its
 * lease released) it polls at once, after a crash it waits out the old lease, as any other worker would.
 */
export function leaseHolder(
  workerId: string,
  nonce: string = newLeaseNonce(),
): string {
  if (!/^[\w-]{8}$/.test(nonce))
    throw new RangeError(
      `a lease nonce is 8 characters of A–Z, a–z, 0–9, _ and -; got ${JSON.stringify(nonce)}`,
    );
  return `${workerId}/${nonce}`;
}

/** A fresh nonce for {@link leaseHolder}. */
export function newLeaseNonce(): string {
  return randomBytes(6).toString("base64url");
}

/** The worker id in a lease holder's name (see {@link leaseHolder}), for the log; a holder without a nonce (an older poller) whole. */
export function holderWorker(holder: string): string {
  return holder.replace(/\/[\w-]{8}$/, "");
}

/** An ask for the lease: who asks, for how long, and when it asked (epoch ms on the asker's clock). */
export interface LeaseAsk {
  readonly holder: string;
  readonly ttl_ms: number;
  /** When the ask was made: the ask is judged at that moment (or when it runs, if that is earlier). */
  readonly asked_at: number;
}

/**
 * Grants one worker at a time the right to long-poll a bot (Telegram allows one `getUpdates` consumer):
 * `ask` takes a free or expired lease, or renews the caller's own; `release` gives it up.
 *
 * Each ask is judged at the moment it was made, not when Restate gets round to running it: under a burst an ask waits
 * seconds in Restate's queues, and a renewal judged when it ran would have let the lease lapse although the holder
 * asked in time. That is safe because one key's asks run in the order Restate took them: whoever asks to take the
 * lease over runs after every renewal the holder got in before it, and is refused unless the latest of them is a whole
 * lease older than its own ask. An ask is never judged later than it runs (a clock ahead gains nothing), so a
 * holder's wall clock must not be behind the others' by more than its margin, min(1 s, a tenth of the lease).
 * Never cancel or kill this object's invocations while a worker polls: the holder has counted on asks Restate took.
 *
 * @example
 * createEndpointHandler({ services: [telegramRouter(options), pollLease, ...workflows] });
 */
export const pollLease = restate.object({
  name: POLL_LEASE_NAME,
  description:
    "Which worker long-polls a Telegram bot (one per bot), and until when",
  options: {
    // Every ask carries an idempotency key so that its answer can be waited for after the send; one per 1.5 s, kept
    // for Restate's default day, would be ~58,000 per bot. An answer is waited for from the moment it is asked.
    idempotencyRetention: 10 * 60_000,
    journalRetention: 0,
  },
  handlers: {
    /**
     * Takes the lease when it is free, expired or already the caller's, for `ttl_ms` from the ask. A handler of its
     * own name, which no older release has: a poller of this release extends its lease as soon as Restate has taken
     * an ask, which is safe only if that ask is judged at its `asked_at`. Sent to an older deployment (during a rolling
     * upgrade, before `register`, or after a rollback) the ask is refused at the ingress, untaken, and the poller
     * stands by, instead of counting on an ask that older code would judge when it runs.
     */
    ask: async (
      ctx: restate.ObjectContext,
      request: LeaseAsk,
    ): Promise<LeaseAnswer> => {
      // Checked first: no older release has this handler, so no invocation of it journaled by other code can replay here.
      const ask = checkedAsk(request, ctx.key);
      const now = await ctx.date.now();
      // An asker whose clock is ahead by more than the margin, and whose ask waited as long in Restate, would be judged
      // later than it asked, which could take the lease from a holder that still counts it as its own: say so.
      if (ask.asked_at > now + leaseMargin(ask.ttl_ms))
        ctx.console.warn(
          `${POLL_LEASE_NAME} ${ctx.key}: ${ask.holder} stamped its ask ${ask.asked_at - now} ms ahead of this worker's ` +
            "clock; keep the workers' clocks in step (NTP): the lease is safe only while they differ by less than " +
            `${leaseMargin(ask.ttl_ms)} ms`,
        );
      const at = Math.min(ask.asked_at, now);
      const lease = await ctx.get<Lease>("lease");
      if (lease && lease.holder !== ask.holder && lease.expires_at > at)
        return { ...lease, held: false, now };
      // An ask of a stopped worker that Restate took after its release: it no longer polls, so it gets nothing.
      if (
        lease?.holder === ask.holder &&
        lease.released_at !== undefined &&
        ask.asked_at <= lease.released_at
      )
        return { ...lease, held: false, now };
      // Renewals may run out of their asks' order (they overlap): an older one never shortens the lease.
      const ownUntil = lease?.holder === ask.holder ? lease.expires_at : 0;
      const granted: Lease = {
        holder: ask.holder,
        expires_at: Math.max(ownUntil, at + ask.ttl_ms),
      };
      ctx.set("lease", granted);
      return { ...granted, held: true, now };
    },
    /**
     * The ask of pollers older than {@link pollLease}'s `ask`, always refused: judged when it ran, it could take the
     * lease from a holder that still polls on asks Restate took in time. That poller stands by until it is upgraded.
     */
    acquire: async (ctx: restate.ObjectContext): Promise<LeaseAnswer> => {
      // The same first steps as the older `acquire` (the time, then the lease), so that one of its invocations caught
      // before it stored a lease replays here up to the refusal instead of failing on a journal mismatch.
      await ctx.date.now();
      await ctx.get<Lease>("lease");
      throw new restate.TerminalError(
        `${POLL_LEASE_NAME} ${ctx.key}: refused an ask for the lease by \`acquire\`: the asking worker's poller is ` +
          "older than this lease object (it asks by `ask`); upgrade that worker",
        { errorCode: 400 },
      );
    },
    /**
     * Gives the lease up if the caller holds it, so another worker polls at once; with `released_at`, the holder's
     * asks made before then are refused however late they run (a stopping poller's last asks may still be queued).
     */
    release: async (
      ctx: restate.ObjectContext,
      request: { holder: string; released_at?: number },
    ): Promise<void> => {
      const lease = await ctx.get<Lease>("lease");
      if (lease?.holder !== request.holder) return;
      // A release from an older poller (no time) clears the lease, as it always did.
      if (typeof request.released_at !== "number") return ctx.clear("lease");
      ctx.set<Lease>("lease", {
        holder: request.holder,
        expires_at: 0,
        released_at: request.released_at,
      });
    },
  },
});

/** The ask, checked: a lease computed from a missing or non-numeric field would be garbage, so it is refused for good. */
function checkedAsk(request: unknown, key: string): LeaseAsk {
  const refuse = (what: string): never => {
    throw new restate.TerminalError(
      `${POLL_LEASE_NAME} ${key}: refused an ask for the lease: ${what}`,
      { errorCode: 400 },
    );
  };
  const r = request as Partial<Record<keyof LeaseAsk, unknown>> | null;
  if (typeof r?.holder !== "string" || r.holder === "")
    return refuse("`holder` is not a non-empty string");
  if (
    typeof r.ttl_ms !== "number" ||
    !Number.isFinite(r.ttl_ms) ||
    r.ttl_ms <= 0
  )
    return refuse("`ttl_ms` is not a positive number");
  if (typeof r.asked_at !== "number" || !Number.isFinite(r.asked_at))
    return refuse("`asked_at` is not a number of epoch milliseconds");
  return r as LeaseAsk;
}

/** The lease object's Restate definition type. */
export type PollLeaseObject = typeof pollLease;

/** An ask Restate has taken: when it was made (on this worker's monotonic clock) and its answer to come. */
export interface SentAsk {
  /** `performance.now()` just before the ask was sent. */
  readonly asked: number;
  /** The ask's `asked_at`: the wall clock (epoch ms) it is judged at. */
  readonly askedAt: number;
  /** `performance.now()` once Restate had the ask, in its order among the key's asks. */
  readonly accepted: number;
  /** Restate's answer, once the ask has run (rejects when `signal` aborts the wait for it). */
  answer(signal?: AbortSignal): Promise<LeaseAnswer>;
}

/**
 * A worker's side of the lease of one bot. It counts its lease from the moment it asked, on its own monotonic
 * clock, so it believes it holds the lease a little less long than Restate does and stops polling first.
 */
export class PollLeaseClient {
  #heldUntil = 0;

  constructor(
    private readonly ingress: RestateIngress,
    readonly botId: number,
    /** This poller's name in the lease (see {@link leaseHolder}): unique among live pollers, safe to log. */
    readonly holder: string,
    readonly ttlMs: number,
    /** The wall clock asks and releases are stamped with (epoch ms); `Date.now` unless a test sets one that is off. */
    readonly wallClock: () => number = Date.now,
  ) {}

  /** Whether this worker may poll now (by the last answer of {@link acquire}). */
  get held(): boolean {
    return performance.now() < this.#heldUntil;
  }

  /**
   * Hands an ask for the lease to Restate and resolves once Restate has taken it (rejects when `signal` aborts);
   * its answer comes later, from {@link SentAsk.answer}.
   */
  async send(signal?: AbortSignal): Promise<SentAsk> {
    const asked = performance.now();
    const ask = {
      holder: this.holder,
      ttl_ms: this.ttlMs,
      asked_at: this.wallClock(),
    } satisfies LeaseAsk;
    const { invocationId } = await this.ingress.send(
      handlerTarget(pollLease, "ask", String(this.botId)),
      ask,
      {
        // Restate keeps the answer of an ask with an idempotency key, so it can be waited for after the send.
        idempotencyKey: `poll-lease-${this.botId}-${randomUUID()}`,
        ...(signal ? { signal } : {}),
      },
    );
    const accepted = performance.now();
    return {
      asked,
      askedAt: ask.asked_at,
      accepted,
      answer: (answerSignal?: AbortSignal) =>
        this.ingress.attach<LeaseAnswer>(
          invocationId,
          answerSignal ? { signal: answerSignal } : {},
        ),
    };
  }

  /** Takes or renews the lease and waits for Restate's answer (rejects when `signal` aborts the wait for it). */
  async acquire(signal?: AbortSignal): Promise<LeaseAnswer> {
    const sent = await this.send(signal);
    const answer = await sent.answer(signal);
    this.#heldUntil = answer.held ? sent.asked + this.ttlMs : 0;
    return answer;
  }

  /**
   * Gives the lease up (on a clean stop), one way: the release queues behind this worker's asks still in Restate
   * (up to 20, each maybe seconds late under a burst), and a stopping worker must not wait
   * for them. It waits only until Restate has taken it, and at most `timeoutMs`.
   */
  async release(timeoutMs = 5_000): Promise<void> {
    this.#heldUntil = 0;
    await this.ingress.send(
      handlerTarget(pollLease, "release", String(this.botId)),
      { holder: this.holder, released_at: this.wallClock() },
      { signal: AbortSignal.timeout(timeoutMs) },
    );
  }
}
