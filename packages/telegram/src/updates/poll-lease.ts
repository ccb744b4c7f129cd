import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import { handlerTarget, type RestateIngress } from "@poekhali/core";

/** The Restate virtual object that grants the right to poll a bot, one key per bot id. */
export const POLL_LEASE_NAME = "telegram_poll_lease";

/** Who may poll a bot, and until when (epoch ms on the clock of the worker that granted it). */
export type Lease = { readonly holder: string; readonly expires_at: number };

/** The answer to an `acquire`: whether the caller holds the lease now, and who does. */
export type LeaseAnswer = Lease & { readonly held: boolean };

/**
 * Grants one worker at a time the right to long-poll a bot (Telegram allows one `getUpdates` consumer):
 * `acquire` takes a free or expired lease, or renews the caller's own; `release` gives it up.
 *
 * @example
 * createEndpointHandler({ services: [telegramRouter(options), pollLease, ...workflows] });
 */
export const pollLease = restate.object({
  name: POLL_LEASE_NAME,
  description:
    "Which worker long-polls a Telegram bot (one per bot), and until when",
  handlers: {
    /** Takes the lease when it is free, expired or already the caller's, for `ttl_ms` from now. */
    acquire: async (
      ctx: restate.ObjectContext,
      request: { holder: string; ttl_ms: number },
    ): Promise<LeaseAnswer> => {
      const now = await ctx.date.now();
      const lease = await ctx.get<Lease>("lease");
      if (lease && lease.holder !== request.holder && lease.expires_at > now)
        return { ...lease, held: false };
      const granted: Lease = {
        holder: request.holder,
        expires_at: now + request.ttl_ms,
      };
      ctx.set("lease", granted);
      return { ...granted, held: true };
    },
    /** Gives the lease up if the caller holds it, so another worker polls at once. */
    release: async (
      ctx: restate.ObjectContext,
      request: { holder: string },
    ): Promise<void> => {
      const lease = await ctx.get<Lease>("lease");
      if (lease?.holder === request.holder) ctx.clear("lease");
    },
  },
});

/** The lease object's Restate definition type. */
export type PollLeaseObject = typeof pollLease;

/**
 * A worker's side of the lease of one bot. It counts its lease from the moment it asked, on its own monotonic
 * clock, so it believes it holds the lease a little less long than Restate does and stops polling first.
 */
export class PollLeaseClient {
  #heldUntil = 0;

  constructor(
    private readonly ingress: RestateIngress,
    readonly botId: number,
    /** This worker's name in the lease: unique among live workers, safe to log. */
    readonly holder: string,
    readonly ttlMs: number,
  ) {}

  /** Whether this worker may poll now. */
  get held(): boolean {
    return performance.now() < this.#heldUntil;
  }

  /** Takes or renews the lease; resolves with Restate's answer (rejects when `signal` aborts the wait for it). */
  async acquire(signal?: AbortSignal): Promise<LeaseAnswer> {
    const asked = performance.now();
    const answer = await this.ingress.call<LeaseAnswer>(
      handlerTarget(pollLease, "acquire", String(this.botId)),
      { holder: this.holder, ttl_ms: this.ttlMs },
      signal ? { signal } : {},
    );
    this.#heldUntil = answer.held ? asked + this.ttlMs : 0;
    return answer;
  }

  /** Gives the lease up (on a clean stop). */
  async release(): Promise<void> {
    this.#heldUntil = 0;
    await this.ingress.call(
      handlerTarget(pollLease, "release", String(this.botId)),
      { holder: this.holder },
    );
  }
}
