import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirtableHook } from "@poekhali/airtable";
import { upsertDag } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

const RUNS = 300;

/** Hook methods that write rows: the ones held until the backlog is in place. */
const WRITES = new Set(["createRecords", "upsertRecords", "updateRecords"]);

describe("the Airtable writer's pace on a backlog", () => {
  let stack: AirtableStack;
  let stop: (() => Promise<void>) | undefined;
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));

  beforeAll(async () => {
    ({ stack, stop } = await startAirtableWorkerStack([upsertDag], {
      // Airtable's own limits: 5 requests in any second per base, then 429 for 30 s.
      rateLimit: true,
      // Writes wait until every run's row is queued: the writer then has a backlog from its first request on.
      hook: (target) => {
        const hook = new AirtableHook(target);
        return new Proxy(hook, {
          get(_, name) {
            const value: unknown = Reflect.get(hook, name, hook);
            if (typeof value !== "function") return value;
            const call = (...args: unknown[]) =>
              (value as (...a: unknown[]) => unknown).apply(hook, args);
            return typeof name === "string" && WRITES.has(name)
              ? async (...args: unknown[]) => (await held, call(...args))
              : call;
          },
        });
      },
    }));
  });
  afterAll(async () => {
    letGo();
    await stop?.();
  });

  it("writes every row once, never a request within the second of the fifth before it as the emulator counts, no 429", async () => {
    await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        stack.start("at_upsert", `p${i}`, {
          chat_id: "-9",
          username: `p${i}`,
          triggered_at: new Date(Date.UTC(2024, 0, 3) + i).toISOString(),
        }),
      ),
    );
    await eventually(
      "every run's row to reach the writer",
      async () => (await stack.writer()).received >= RUNS,
      120_000,
    );
    letGo();
    await eventually(
      "every row to be written",
      () => stack.rows().length >= RUNS,
      120_000,
    );

    const names = stack.rows().map((r) => String(r.fields.username));
    expect(names).toHaveLength(RUNS);
    expect(new Set(names).size).toBe(RUNS);
    const calls = stack.calls();
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    // The emulator counts a request against the ones that arrived within the second before it (as Airtable's
    // sliding second): the sixth in any second would be refused. Each request, against the fifth before it.
    const arrivals = calls.map((c) => c.time).sort((a, b) => a - b);
    expect(arrivals.length).toBeGreaterThanOrEqual(RUNS / 10);
    const closest = Math.min(
      ...arrivals.slice(5).map((t, i) => t - (arrivals[i] ?? 0)),
    );
    expect(closest).toBeGreaterThanOrEqual(1000);
    // The writer's own count agrees once it has stored its last round's answers.
    const { stats } = await stack.counted(RUNS);
    expect(stats.rows).toBe(RUNS);
    expect(stats.rateLimited).toBe(0);
  }, 300_000);
});
