// Where the time between a base's requests goes: the writer's hook timed (send and answer, records per request)
// beside the emulator's own arrival times, for bench:airtable to print after a run.
import { AirtableHook } from "@poekhali/airtable";
import type { AirtableCall } from "@poekhali/emulators";
import type { AirtableTarget } from "../e2e/airtable-stack.js";

/** One request the writer's hook made: when it was sent and answered (epoch ms), and how many records it carried. */
export interface TimedRequest {
  readonly method: string;
  readonly sent: number;
  readonly answered: number;
  readonly records: number;
}

/** The hook methods that send one request each with records in their second argument. */
const WRITES = new Set(["createRecords", "upsertRecords", "updateRecords"]);
const READS = new Set(["listRecords", "listTables", "getRecord"]);

/** A hook on `target` whose every request is timed into `log`, each write sent once `gate` (if any) resolves. */
export function timedHook(
  target: AirtableTarget,
  log: TimedRequest[],
  gate?: Promise<void>,
): AirtableHook {
  const hook = new AirtableHook(target);
  return new Proxy(hook, {
    get(_, name) {
      const value: unknown = Reflect.get(hook, name, hook);
      if (typeof value !== "function" || typeof name !== "string") return value;
      if (!WRITES.has(name) && !READS.has(name))
        return (...args: unknown[]) =>
          (value as (...a: unknown[]) => unknown).apply(hook, args);
      return async (...args: unknown[]) => {
        if (WRITES.has(name)) await gate;
        const sent = Date.now();
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(
            hook,
            args,
          );
        } finally {
          const records = WRITES.has(name)
            ? ((args[1] as unknown[] | undefined)?.length ?? 0)
            : 0;
          log.push({ method: name, sent, answered: Date.now(), records });
        }
      };
    },
  });
}

const pct = (values: readonly number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * p)] ?? 0;
};
const spread = (values: readonly number[]) =>
  values.length === 0
    ? "none"
    : `p10 ${pct(values, 0.1)} / p50 ${pct(values, 0.5)} / p90 ${pct(values, 0.9)} / max ${pct(values, 1)} ms`;

/**
 * Prints how the writer spent the time between requests: Airtable's (the emulator's) view of every five requests,
 * the round trip as the writer saw it, how long after the pacing rule allowed it each request went out, and the
 * records per request.
 */
export function printTimeline(
  requests: readonly TimedRequest[],
  calls: readonly AirtableCall[],
  requestsPerSecond = 5,
): void {
  const byTime = [...requests].sort((a, b) => a.sent - b.sent);
  const arrivals = calls.map((c) => c.time).sort((a, b) => a - b);
  const fives = arrivals
    .slice(requestsPerSecond)
    .map((t, i) => t - (arrivals[i] ?? t));
  // The window each request opened by the rule "a second after the answer of the fifth latest answered request":
  // how late it went out past that (the timer, the work between rounds, a round that had nothing to send).
  const late: number[] = [];
  for (const r of byTime) {
    const before = requests
      .filter((o) => o !== r && o.sent < r.sent)
      .map((o) => o.answered)
      .sort((a, b) => a - b);
    if (before.length < requestsPerSecond) continue;
    const fifth = before[before.length - requestsPerSecond] ?? 0;
    late.push(r.sent - (fifth + 1000));
  }
  const trips = byTime.map((r) => r.answered - r.sent);
  // Each request beside the emulator's arrival of it (both in send order; loopback keeps the order): its way there
  // and, after Airtable counted it, the rest of its round trip.
  const counted = calls.filter((c) => c.status !== 429);
  const there: number[] = [];
  const back: number[] = [];
  if (counted.length === byTime.length)
    byTime.forEach((r, i) => {
      const at = counted[i]?.time ?? r.sent;
      there.push(at - r.sent);
      back.push(r.answered - at);
    });
  const writes = byTime.filter((r) => r.records > 0);
  const sizes = new Map<number, number>();
  for (const w of writes) sizes.set(w.records, (sizes.get(w.records) ?? 0) + 1);
  const span =
    byTime.length > 1
      ? ((byTime.at(-1)?.sent ?? 0) - (byTime[0]?.sent ?? 0)) / 1000
      : 0;
  console.log(
    `\n  where the time went (${byTime.length} requests over ${span.toFixed(1)} s)`,
  );
  console.log(
    `    5 requests took, arrival to arrival at Airtable   ${spread(fives)}`,
  );
  console.log(
    `    round trip as the writer saw it                 ${spread(trips)}`,
  );
  console.log(
    `      of which to Airtable                          ${spread(there)}`,
  );
  console.log(
    `      of which back from Airtable                   ${spread(back)}`,
  );
  console.log(
    `    sent after (5th latest answer + 1 s)            ${spread(late)}`,
  );
  console.log(
    `    records per write                               ${[...sizes.entries()]
      .sort((a, b) => b[0] - a[0])
      .map(([n, count]) => `${count}×${n}`)
      .join(", ")}`,
  );
  // Gaps of more than a second between one request and the next: nothing sent although rows may have waited.
  const gaps = byTime
    .slice(1)
    .map((r, i) => r.sent - (byTime[i]?.sent ?? r.sent))
    .filter((g) => g > 1000);
  console.log(
    `    pauses over 1 s between requests                ${gaps.length === 0 ? "none" : gaps.join(", ") + " ms"}`,
  );
}
