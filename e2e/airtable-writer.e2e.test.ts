import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { choosePort, portIsFree } from "../packages/poekhali/src/ports.js";
import { AIRTABLE_DAGS } from "./airtable-dags.js";
import {
  serveWorker,
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

const press = (i: number) => ({
  chat_id: "-1001234567890",
  username: `user${i}`,
  triggered_at: new Date(Date.UTC(2024, 0, 1, 12, 0, 0, i)).toISOString(),
});

describe("the per-base Airtable writer on a real restate-server", () => {
  let stack: AirtableStack;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ stack, stop } = await startAirtableWorkerStack(AIRTABLE_DAGS, {
      rateLimit: true,
    }));
  });
  afterAll(() => stop?.());

  it("writes one row per run, typed per the spec, and reports its record id", async () => {
    await stack.start("at_upsert", "one", press(0));
    const s = await stack.finished("at_upsert", "one");
    expect(s.dag_run.state).toBe("success");
    const rows = stack.rows().filter((r) => r.fields.username === "user0");
    expect(rows).toHaveLength(1);
    const fields = rows[0]!.fields;
    expect(typeof fields.chat_id).toBe("string");
    expect(fields.chat_id).toBe("-1001234567890");
    expect(fields.triggered_at).toMatch(
      /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/,
    );
    expect(fields.triggered_at).toBe("2024-01-01T12:00:00.000Z");
  });

  it("batches rows of concurrent runs, up to 10 per request, without a 429", async () => {
    const before = await stack.writer();
    const ids = Array.from({ length: 30 }, (_, i) => i + 100);
    await Promise.all(
      ids.map((i) => stack.start("at_upsert", `batch${i}`, press(i))),
    );
    const states = await Promise.all(
      ids.map(
        async (i) =>
          (await stack.finished("at_upsert", `batch${i}`)).dag_run.state,
      ),
    );
    expect(new Set(states)).toEqual(new Set(["success"]));
    const after = await stack.writer();
    expect(after.stats.rows - before.stats.rows).toBe(30);
    expect(after.stats.requests - before.stats.requests).toBeLessThan(30);
    expect(after.stats.requests - before.stats.requests).toBeGreaterThanOrEqual(
      3,
    );
    expect(after.stats.rateLimited).toBe(0);
    const written = stack
      .rows()
      .filter((r) => ids.some((i) => r.fields.username === `user${i}`));
    expect(written).toHaveLength(30);
  });

  it("creates a row once with the create operator", async () => {
    await stack.start("at_create", "c1", {
      ...press(500),
      username: "creator",
    });
    const s = await stack.finished("at_create", "c1");
    expect(s.dag_run.state).toBe("success");
    expect(
      stack.rows().filter((r) => r.fields.username === "creator"),
    ).toHaveLength(1);
  });

  it("wakes a record sensor once a matching row appears", async () => {
    await stack.start("at_sensor", "s1", { chat_id: "-42" });
    await eventually(
      "the sensor to defer",
      async () =>
        (await stack.status("at_sensor", "s1"))?.task_instances[1]?.state ===
        "deferred",
    );
    await stack.start("at_upsert", "for-sensor", {
      ...press(600),
      chat_id: "-42",
    });
    const s = await stack.finished("at_sensor", "s1");
    expect(s.dag_run.state).toBe("success");
    expect(s.task_instances.map((t) => t.state)).toEqual([
      "success",
      "success",
      "success",
    ]);
  });

  it("never puts the token in a log line", () => {
    expect(stack.logs.length).toBeGreaterThan(0);
    for (const line of stack.logs)
      expect(line).not.toContain(stack.target.token);
  });
});

describe("the Airtable writer's requestsPerSecond, mistyped", () => {
  it("stops the worker before it listens, naming the option and what it wants, for a value that is not a whole number", async () => {
    // As a JavaScript DAG file or a value parsed from a setting hands it over: nothing checks the type before the writer.
    for (const requestsPerSecond of [Number.NaN, Infinity, "5", 0.5]) {
      const port = await choosePort(0);
      await expect(
        serveWorker(
          {
            endpointUrl: "http://127.0.0.1:9",
            token: "patTypo.0123456789abcdef",
            baseId: "appABCDEFGHIJKLMN",
          },
          AIRTABLE_DAGS,
          port,
          () => undefined,
          undefined,
          { requestsPerSecond: requestsPerSecond as number },
        ),
        String(requestsPerSecond),
      ).rejects.toThrow(
        /^airtableWriter: requestsPerSecond must be a whole number of at least 2 \(a create that looks its rows up first sends 2 requests back to back\), not /,
      );
      expect(await portIsFree(port, "127.0.0.1")).toBe(true);
    }
  });
});
