import { rateLimited } from "./airtable-errors.js";

const WINDOW_MS = 1000;

/** Airtable's per-base rate limit; the defaults are the real service's. */
export interface RateLimitOptions {
  /** Requests per second per base before 429s start; defaults to 5. */
  requestsPerSecond?: number;
  /** How long a base answers 429 once over the limit, in milliseconds; defaults to 30 000. */
  penaltyMs?: number;
}

/** Airtable's per-base limit: past 5 requests in a second, the base answers 429 for a penalty period (30 s). */
export class RateLimiter {
  private readonly recent = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();
  private readonly maxPerWindow: number;
  private readonly penaltyMs: number;

  constructor(
    private readonly now: () => number,
    options: RateLimitOptions = {},
  ) {
    this.maxPerWindow = options.requestsPerSecond ?? 5;
    this.penaltyMs = options.penaltyMs ?? 30_000;
  }

  /** Counts a request to a base, raising 429 (with the seconds left as Retry-After) when the base is over its limit. */
  hit(baseId: string): void {
    const now = this.now();
    const blockedUntil = this.blockedUntil.get(baseId) ?? 0;
    if (blockedUntil > now) throw rateLimited(blockedUntil - now);
    const times = (this.recent.get(baseId) ?? []).filter(
      (time) => time > now - WINDOW_MS,
    );
    times.push(now);
    this.recent.set(baseId, times);
    if (times.length > this.maxPerWindow) {
      this.blockedUntil.set(baseId, now + this.penaltyMs);
      this.recent.delete(baseId);
      throw rateLimited(this.penaltyMs);
    }
  }
}
