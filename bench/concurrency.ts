/** Runs `work` over `items`, `limit` at a time, and gives the results in the items' order. */
export async function pool<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T, i: number) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      for (let i = next++; i < items.length; i = next++)
        out[i] = await work(items[i]!, i);
    }),
  );
  return out;
}

/** Asks `check` every `every` ms until it gives a value, or throws naming `what` after `ms`. */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined> | T | undefined,
  ms = 600_000,
  every = 50,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}

/**
 * Asks `count` every `every` ms until it reaches `target`; throws naming `what` only when the count has not passed its
 * best for `stallMs` (a long run that keeps going is waited for, however long; a count that drops and climbs back
 * counts as no growth until it passes its best). Says how far it got every `reportMs`.
 */
export async function untilCount(
  what: string,
  count: () => Promise<number>,
  target: number,
  options: {
    stallMs?: number;
    every?: number;
    reportMs?: number;
    report?: (line: string) => void;
  } = {},
): Promise<number> {
  const { stallMs = 300_000, every = 1_000, reportMs = 60_000 } = options;
  const started = Date.now();
  let best = -1;
  let grewAt = started;
  let reportedAt = started;
  for (;;) {
    // A failed look (a server busy finding its partitions, a front answering 502) counts as no growth.
    const n = await count().catch(() => -1);
    if (n >= target) return n;
    const now = Date.now();
    if (n > best) [best, grewAt] = [n, now];
    if (now - grewAt > stallMs)
      throw new Error(
        `timed out waiting for ${what}: ${best} of ${target}, none more in ${Math.round(stallMs / 1000)} s`,
      );
    if (options.report && now - reportedAt >= reportMs) {
      reportedAt = now;
      options.report(
        `  … ${n} of ${target} after ${Math.round((now - started) / 1000)} s`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, every));
  }
}
