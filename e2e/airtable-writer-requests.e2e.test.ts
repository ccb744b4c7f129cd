import { afterEach, describe, expect, it } from "vitest";
import { AirtableHook, WRITER_NAME } from "@poekhali/airtable";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { rawRowsDag } from "./airtable-dags.js";
import { eventually } from "./harness.js";
import {
  serveWorker,
  startAirtableStack,
  type AirtableStack,
} from "./airtable-stack.js";

const row = (username: string, chat_id: unknown = "-300") => ({
  chat_id,
  username,
  triggered_at: "2024-01-01T00:00:00.000Z",
  event_type: "button_press",
  reporter_name: "e2e",
});

/** A stack whose worker reaches Airtable only while `up()` says so: nothing listens at the other address. */
async function switchableStack() {
  const stack = await startAirtableStack();
  const down = `http://127.0.0.1:${await choosePort(0)}`;
  const good = new AirtableHook(stack.target);
  const dead = new AirtableHook({ ...stack.target, endpointUrl: down });
  let reachable = true;
  // Each call goes to the hook of the moment: the writer asks `hookFor` once per request.
  const hook = new Proxy(good, {
    get(_, name) {
      const target = reachable ? good : dead;
      const value: unknown = Reflect.get(target, name, target);
      return typeof value === "function"
        ? (value as (...args: unknown[]) => unknown).bind(target)
        : value;
    },
  });
  const worker = await serveWorker(
    stack.target,
    [rawRowsDag],
    await choosePort(0),
    (line) => stack.logs.push(line),
    hook,
    { maxAttempts: 100 },
  );
  await stack.server.register(worker.url);
  return {
    stack,
    setReachable: (up: boolean) => void (reachable = up),
    stop: async () => (await worker.stop(), await stack.stop()),
  };
}

/** The usernames of the rows in the writer's own queue, in its order. */
async function writerQueue(stack: AirtableStack): Promise<string[]> {
  const items = await stack.server.query<{ key: string; value_utf8: string }>(
    `SELECT key, value_utf8 FROM state WHERE service_name = '${WRITER_NAME}' AND service_key = '${stack.target.baseId}' AND key LIKE 'item:%'`,
  );
  return items
    .map((r) => ({
      seq: Number(r.key.slice("item:".length)),
      item: JSON.parse(r.value_utf8) as { fields?: { username?: string } },
    }))
    .sort((a, b) => a.seq - b.seq)
    .map((r) => String(r.item.fields?.username));
}

describe("the Airtable writer takes a run's rows all or none", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(() => stop?.());

  it("fails a 4-row run queued behind 8 rows, its 4th row refused, writing none of its rows; the 8 once", async () => {
    const s = await switchableStack();
    stop = s.stop;
    const { stack } = s;
    // Airtable unreachable: the rows gather in the writer's queue, the 8 first, then the run of 4.
    s.setReachable(false);
    const others = ["o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8"];
    await Promise.all(
      others.map((u) => stack.start("at_raw_rows", u, { records: [row(u)] })),
    );
    await eventually(
      "the 8 rows in the writer's queue",
      async () => (await writerQueue(stack)).length === 8,
    );
    await stack.start("at_raw_rows", "many", {
      records: [row("m1"), row("m2"), row("m3"), row("m4", -300)],
    });
    const queued = await eventually("the run of 4 behind them", async () => {
      const q = await writerQueue(stack);
      return q.length === 12 ? q : undefined;
    });
    expect(queued.slice(8)).toEqual(["m1", "m2", "m3", "m4"]);
    s.setReachable(true);

    expect((await stack.finished("at_raw_rows", "many")).dag_run.state).toBe(
      "failed",
    );
    for (const u of others)
      expect((await stack.finished("at_raw_rows", u)).dag_run.state).toBe(
        "success",
      );
    const names = stack
      .rows()
      .map((r) => String(r.fields.username))
      .sort();
    expect(names).toEqual(others);
  }, 120_000);
});
