/** A length of time: milliseconds, or a string such as "250ms", "90s", "15m", "6h", "1d". */
export type Duration = number | string;

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

/**
 * The longest duration poekhali takes: 366 days. Anything longer is a typo, not a plan, and far beyond what a run's
 * retention keeps; it also keeps `start + duration` a valid Date and a Restate timer.
 */
export const MAX_DURATION_MS = 366 * UNIT_MS.d;

/**
 * Converts a {@link Duration} to whole milliseconds (0 … 366 days), or throws a RangeError naming the bad value.
 *
 * @example
 * toMillis("1.5s"); // 1500
 */
export function toMillis(duration: Duration): number {
  if (typeof duration === "number") {
    if (Number.isInteger(duration) && duration >= 0) return inRange(duration);
    throw new RangeError(
      `duration must be a whole, non-negative number of milliseconds, got ${duration}`,
    );
  }
  const match = /^\s*(\d{1,20})(?:\.(\d{1,20}))?\s*(ms|s|m|h|d)\s*$/.exec(
    duration,
  );
  if (!match)
    throw new RangeError(
      `duration "${duration}" is not like "90s", "15m", "6h" or "1d"`,
    );
  const [, whole = "0", fraction = "", unit] = match;
  // Exact decimal arithmetic: "0.3s" is 300 ms, and "0.0001ms" is refused instead of rounded to 0.
  const unitMs = BigInt(UNIT_MS[unit as keyof typeof UNIT_MS]);
  const scale = 10n ** BigInt(fraction.length);
  const scaled = (BigInt(whole) * scale + BigInt(fraction || "0")) * unitMs;
  if (scaled % scale !== 0n)
    throw new RangeError(
      `duration "${duration}" is not a whole number of milliseconds`,
    );
  const ms = scaled / scale;
  if (ms > BigInt(MAX_DURATION_MS))
    throw new RangeError(
      `duration "${duration}" is longer than the 366 days poekhali takes`,
    );
  return Number(ms);
}

function inRange(ms: number): number {
  if (ms > MAX_DURATION_MS)
    throw new RangeError(
      `duration ${ms} ms is longer than the 366 days poekhali takes`,
    );
  return ms;
}
