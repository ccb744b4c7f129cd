/** When the writer may send its next request to a base. */
export interface Pace {
  /**
   * When the latest requests were answered (epoch ms), oldest first, at most `requestsPerSecond` of them: Airtable
   * counted each before then, so a second measured from these is never shorter at Airtable's end.
   */
  readonly starts: number[];
  /** No request before this (a 429 penalty or a backoff); 0 when none. */
  readonly pausedUntil: number;
}

/** A base's pace before its first request. */
export const FRESH_PACE: Pace = { starts: [], pausedUntil: 0 };

/** How fast one base may be written. */
export interface PaceLimits {
  /** Airtable's 5 by default. */
  readonly requestsPerSecond: number;
  /** Added to every window, for clock and network jitter between us and Airtable. */
  readonly marginMs: number;
}

/**
 * The earliest time the next `requests` requests (sent back to back: a look-up, then a create) may start, so that
 * no sliding second ever holds more than the limit.
 */
export function nextSlot(pace: Pace, limits: PaceLimits, requests = 1): number {
  // Of the latest starts, this many may still be inside the second the new requests begin.
  const keep = Math.max(1, limits.requestsPerSecond - requests + 1);
  const window =
    pace.starts.length >= keep
      ? (pace.starts[pace.starts.length - keep] ?? 0) + 1000 + limits.marginMs
      : 0;
  return Math.max(window, pace.pausedUntil);
}

/**
 * Records requests answered at these times, keeping the latest by time: a round's batches are applied in their own
 * order, which is not the order their answers came in.
 */
export function recordStarts(
  pace: Pace,
  starts: readonly number[],
  limits: PaceLimits,
): Pace {
  return {
    ...pace,
    starts: [...pace.starts, ...starts]
      .sort((a, b) => a - b)
      .slice(-limits.requestsPerSecond),
  };
}

/** Exponential backoff with jitter: `random` in [0, 1) picks a delay between half and all of the capped exponential. */
export function backoffMs(
  attempt: number,
  random: number,
  baseMs = 1_000,
  capMs = 60_000,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
