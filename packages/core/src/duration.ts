/** A length of time: milliseconds, or a string such as "250ms", "90s", "15m", "6h", "1d". */
export type Duration = number | string;

const UNIT_MS = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
} as const;

/** Converts a {@link Duration} to milliseconds, or throws a RangeError naming the bad value. */
export function toMillis(duration: Duration): number {
  if (typeof duration === "number") {
    if (Number.isFinite(duration) && duration >= 0) return duration;
    throw new RangeError(
      `duration must be a non-negative number of milliseconds, got ${duration}`,
    );
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(duration);
  if (!match)
    throw new RangeError(
      `duration "${duration}" is not like "90s", "15m", "6h" or "1d"`,
    );
  return Math.round(
    Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS],
  );
}
