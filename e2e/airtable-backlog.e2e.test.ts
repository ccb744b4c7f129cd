import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { upsertDag } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

const RUNS = 1500;

describe("the Airtable writer under a backlog of runs", () => {
  let stack: AirtableStack;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ stack, stop } = await startAirtableWorkerStack([upsertDag], {
      rateLimit: true,
    }));
  });
  afterAll(() => stop?.());

  it("writes at the base's pace from the first rows, while runs still enqueue, one row per run and no 429", async () => {
    let next = 0;
    const lane = async () => {
      for (let i = next++; i < RUNS; i = next++)
        await stack.start("at_upsert", `b${i}`, {
          chat_id: "-5",
          username: `b${i}`,
          triggered_at: new Date(Date.UTC(2024, 0, 2) + i).toISOString(),
        });
    };
    const starting = Promise.all(Array.from({ length: 100 }, lane));

    // The moment the writer has taken every run's request, and how many rows it had written by then.
    const enqueued = await eventually(
      "the writer to take every run's request",
      async () =>
        (await stack.writer()).received >= RUNS
          ? { at: Date.now(), rows: stack.rows().length }
          : undefined,
      120_000,
    );
    await starting;
    await eventually(
      "every row to be written",
      () => stack.rows().length >= RUNS,
      120_000,
    );

    const calls = stack.calls();
    expect(calls.filter((c) => c.status === 429)).toEqual([]);
    const names = stack.rows().map((r) => String(r.fields.username));
    expect(names).toHaveLength(RUNS);
    expect(new Set(names).size).toBe(RUNS);

    // Rows went out while enqueues were still coming in, not after every one was through. Only the order is
    // asserted, not a count within a time: a test file running beside this one slows both sides alike.
    const writes = calls.filter((c) => c.method === "PATCH");
    expect(writes[0]!.time).toBeLessThan(enqueued.at);
    expect(enqueued.rows).toBeGreaterThan(0);
    // The writer's own count agrees once it has stored its last round's answers: each row once, none refused.
    const { stats } = await stack.counted(RUNS);
    expect(stats.rows).toBe(RUNS);
    expect(stats.refused).toBe(0);
    // Every run finished (the last to start, as a sample: the rows above are every run's).
    expect(
      (await stack.finished("at_upsert", `b${RUNS - 1}`, 60_000)).dag_run.state,
    ).toBe("success");
  }, 300_000);
});
