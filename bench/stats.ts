/** Percentile of a sample (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[rank] ?? Number.NaN;
}

/** A one-line summary: p50, p95 and mean, in milliseconds. */
export function summary(values: readonly number[]): {
  p50: number;
  p95: number;
  mean: number;
} {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { p50: percentile(values, 50), p95: percentile(values, 95), mean };
}

/** Prints a table of named samples with ratios against the first (the baseline). */
export function printComparison(
  title: string,
  samples: Record<string, number[]>,
): void {
  const entries = Object.entries(samples);
  const base = summary(entries[0]![1]);
  console.log(`\n${title}`);
  console.log(
    "  variant".padEnd(34) +
      "n".padStart(5) +
      "p50 ms".padStart(10) +
      "p95 ms".padStart(10) +
      "mean ms".padStart(10) +
      "  p50 ratio",
  );
  for (const [name, values] of entries) {
    const s = summary(values);
    console.log(
      `  ${name}`.padEnd(34) +
        String(values.length).padStart(5) +
        s.p50.toFixed(1).padStart(10) +
        s.p95.toFixed(1).padStart(10) +
        s.mean.toFixed(1).padStart(10) +
        `  ${(s.p50 / base.p50).toFixed(2)}x`,
    );
  }
}
