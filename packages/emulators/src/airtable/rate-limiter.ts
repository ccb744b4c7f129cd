import { rateLimited } from "./airtable-errors.js";

const WINDOW_MS = 1000;
const MAX_PER_WINDOW = 5;
const PENALTY_MS = 30_000;

/** Airtable's per-base limit: past 5 requests in a second, the base answers 429 for 30 seconds. */
export class RateLimiter {
  private readonly recent = new Map<string, number[]>();
  private readonly blockedUntil = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Counts a request to a base, raising 429 when the base is over its limit. */
  hit(baseId: string): void {
    const now = this.now();
    if ((this.blockedUntil.get(baseId) ?? 0) > now) throw rateLimited();
    const times = (this.recent.get(baseId) ?? []).filter(
      (time) => time > now - WINDOW_MS,
    );
    times.push(now);
    this.recent.set(baseId, times);
    if (times.length > MAX_PER_WINDOW) {
      this.blockedUntil.set(baseId, now + PENALTY_MS);
      throw rateLimited();
    }
  }
}
