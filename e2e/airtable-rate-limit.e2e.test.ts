import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirtableHook } from "@poekhali/airtable";
import { AIRTABLE_DAGS } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

// Airtable's penalty is 30 s; the emulator's is shortened, and announced in Retry-After as Airtable does. Long
// enough that all 12 runs reach their write and wait while it lasts, on a loaded box too (with 3 s, CI once saw
// some runs written before the others had started: never all deferred at once).
const PENALTY_MS = 10_000;

describe("a 429 from Airtable", () => {
  let stack: AirtableStack;
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ stack, stop } = await startAirtableWorkerStack(AIRTABLE_DAGS, {
      rateLimit: { penaltyMs: PENALTY_MS },
    }));
  });
  afterAll(() => stop?.());

  it("pauses the base for the penalty while runs wait, then completes every run", async () => {
    // Someone else spends the base's budget: past 5 requests in a second, Airtable closes it for 30 s.
    const other = new AirtableHook({
      token: stack.target.token,
      baseId: stack.target.baseId,
      endpointUrl: stack.target.endpointUrl,
    });
    await Promise.allSettled(
      Array.from({ length: 6 }, () => other.listRecords("tg_actions")),
    );
    const closedAt = Date.now();

    const runs = Array.from({ length: 12 }, (_, i) => `r${i}`);
    await Promise.all(
      runs.map((id, i) =>
        stack.start("at_upsert", id, {
          chat_id: "-7",
          username: id,
          triggered_at: new Date(Date.UTC(2024, 0, 1, 0, 0, i)).toISOString(),
        }),
      ),
    );
    const paused = await eventually("the writer to meet the 429", async () => {
      const w = await stack.writer();
      return w.stats.rateLimited > 0 ? w : undefined;
    });
    expect(paused.pausedUntil).toBeGreaterThanOrEqual(
      closedAt + PENALTY_MS - 1_000,
    );
    // Meanwhile the runs wait, deferred, without failing.
    await eventually("every run to wait, deferred", async () => {
      const waiting = await Promise.all(
        runs.map(
          async (id) =>
            (await stack.status("at_upsert", id))?.task_instances[1]?.state,
        ),
      );
      return waiting.every((state) => state === "deferred");
    });

    const states = await Promise.all(
      runs.map(
        async (id) =>
          (await stack.finished("at_upsert", id, 60_000)).dag_run.state,
      ),
    );
    expect(new Set(states)).toEqual(new Set(["success"]));
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(PENALTY_MS - 1_000);
    expect(stack.rows()).toHaveLength(12);
    // Nothing was written while the pause lasted (the penalty's rest, which stats reports).
    for (const row of stack.rows())
      expect(Date.parse(row.createdTime)).toBeGreaterThanOrEqual(
        paused.pausedUntil,
      );
    const { stats } = await stack.writer();
    expect(stats.rateLimited).toBe(1);
    // It pauses for what Retry-After said: the rest of the penalty when the 429 came (less, on a busy machine).
    const pause = stack.logs
      .map((l) => /429, pausing (\d+) s/.exec(l)?.[1])
      .find((s) => s !== undefined);
    expect(Number(pause)).toBeGreaterThanOrEqual(1);
    expect(Number(pause)).toBeLessThanOrEqual(PENALTY_MS / 1000);
  });
});
