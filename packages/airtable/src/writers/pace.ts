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
  /** Added to every window, against clock jitter at Airtable's end (see {@link DEFAULT_PACE_LIMITS}). */
  readonly marginMs: number;
}

/**
 * Airtable's limit, and the margin kept above it. A request goes a second after the answer of the one five before,
 * so Airtable counted that one (on arrival) before the second began, however long either took on the way: the
 * answer's way back and the new request's way there are slack already, and the margin only covers Airtable's own
 * clocks. 10 ms (25 before) lets a backlog go at 4.8 requests/s with a 30 ms round trip (a busy box against the
 * emulator), at least 95 % of 5; measured, a request's way to the emulator took up to 200 ms on that box, so pacing
 * from the send instead of the answer would have met 429s (30 s each).
 */
export const DEFAULT_PACE_LIMITS: PaceLimits = {
  requestsPerSecond: 5,
  marginMs: 10,
};

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
