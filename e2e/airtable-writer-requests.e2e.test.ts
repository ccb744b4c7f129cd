import { afterEach, describe, expect, it } from "vitest";
import { AirtableHook, WRITER_NAME } from "@poekhali/airtable";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { rawRowsDag } from "./airtable-dags.js";
import { eventually } from "./harness.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";

const row = (username: string, chat_id: unknown = "-300") => ({
  chat_id,
  username,
  triggered_at: "2024-01-01T00:00:00.000Z",
  event_type: "button_press",
  reporter_name: "e2e",
});

/**
 * How the worker's hook reaches Airtable: `up`; `down` (nothing listens at its address: network errors); `hold`
 * (each call waits before it is sent, and fails once the test lets it go); `holdAnswer` (each call is sent and
 * answered, and the answer waits, then is lost, as when the worker dies after Airtable applied a write).
 */
type Reach = "up" | "down" | "hold" | "holdAnswer";

/** Stops what the test started. */
let stop: (() => Promise<void>) | undefined;
afterEach(async () => {
  await stop?.();
  stop = undefined;
});

/** A stack whose worker reaches Airtable as `reach` says at the moment of each call; stopped after the test. */
async function switchableStack(dags = [rawRowsDag]) {
  const down = `http://127.0.0.1:${await choosePort(0)}`;
  let reach: Reach = "up";
  /** Calls waiting (held) and calls that reached the hook while held, so a test can await them. */
  let held = 0;
  let letGo!: () => void;
  let lost = new Promise<void>((resolve) => (letGo = resolve));
  const switchable = (target: AirtableStack["target"]) => {
    const good = new AirtableHook(target);
    const dead = new AirtableHook({ ...target, endpointUrl: down });
    return new Proxy(good, {
      get(_, name) {
        const hook = reach === "down" ? dead : good;
        const value: unknown = Reflect.get(hook, name, hook);
        if (typeof value !== "function") return value;
        const call = (...args: unknown[]) =>
          (value as (...a: unknown[]) => unknown).apply(hook, args);
        if (reach === "hold")
          return async () => {
            held++;
            await lost;
            throw new Error("held call dropped by the test");
          };
        if (reach === "holdAnswer")
          return async (...args: unknown[]) => {
            await call(...args);
            held++;
            await lost;
            throw new Error("answer lost by the test");
          };
        return call;
      },
    });
  };
  const started = await startAirtableWorkerStack(dags, {
    hook: switchable,
    writer: { maxAttempts: 100 },
  });
  const { stack } = started;
  stop = async () => (letGo(), await started.stop());
  return {
    stack,
    setReach: (to: Reach) => void (reach = to),
    /** How many calls have been held so far. */
    held: () => held,
    /** Fails every call held so far (their invocation is gone by then). */
    drop() {
      letGo();
      lost = new Promise<void>((resolve) => (letGo = resolve));
    },
  };
}

/** Kills the writer's running `rounds` (its chain) through Restate's admin API, as an operator would; its id. */
async function killRunningPump(stack: AirtableStack): Promise<string> {
  const [running] = await stack.server.query<{ id: string }>(
    `SELECT id FROM sys_invocation WHERE target_service_name = '${WRITER_NAME}' AND target_handler_name = 'rounds' AND status IN ('running', 'backing-off')`,
  );
  if (!running) throw new Error("no running rounds to kill");
  const res = await fetch(
    `${stack.server.adminUrl}/invocations/${encodeURIComponent(running.id)}/kill`,
    { method: "PATCH" },
  );
  expect(res.status).toBeLessThan(300);
  await eventually(`the rounds ${running.id} to be gone`, async () => {
    const [row] = await stack.server.query<{ status: string }>(
      `SELECT status FROM sys_invocation WHERE id = '${running.id}'`,
    );
    return !row || row.status === "completed";
  });
  return running.id;
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

/** The usernames of the table's rows, sorted. */
const writtenNames = (stack: AirtableStack) =>
  stack
    .rows()
    .map((r) => String(r.fields.username))
    .sort();

/** Asserts that each of these runs succeeded and that the table holds exactly their rows, each once. */
async function expectEachWrittenOnce(stack: AirtableStack, names: string[]) {
  for (const u of names)
    expect((await stack.finished("at_raw_rows", u)).dag_run.state).toBe(
      "success",
    );
  expect(writtenNames(stack)).toEqual([...names].sort());
}

describe("the Airtable writer takes a run's rows all or none", () => {
  it("fails a 4-row run queued behind 8 rows, its 4th row refused, writing none of its rows; the 8 once", async () => {
    const s = await switchableStack();
    const { stack } = s;
    // Airtable unreachable: the rows gather in the writer's queue, the 8 first, then the run of 4.
    s.setReach("down");
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
    s.setReach("up");

    expect((await stack.finished("at_raw_rows", "many")).dag_run.state).toBe(
      "failed",
    );
    await expectEachWrittenOnce(stack, others);
  }, 120_000);
});

describe("the Airtable writer's chain, killed while every inbox waits for it", () => {
  it("is taken over again and again, with no new run to wake the writer: the queued rows are written once", async () => {
    const s = await switchableStack();
    const { stack } = s;
    const names = ["k1", "k2", "k3", "k4", "k5", "k6"];
    s.setReach("hold");
    await Promise.all(
      names.map((u) => stack.start("at_raw_rows", u, { records: [row(u)] })),
    );
    // Twice: the chain dies in a round, a watch takes over, and the chain that took over dies too.
    for (let kill = 1; kill <= 2; kill++) {
      await eventually(`round ${kill} to be under way`, () => s.held() >= kill);
      await killRunningPump(stack);
      s.drop();
      if (kill === 1)
        await eventually("a watch to take the base over", () =>
          stack.logs.some((l) => l.includes("did not come; taking over")),
        );
    }
    // Nothing new is enqueued: only a watch armed by the last takeover can bring the rows out.
    s.setReach("up");
    await expectEachWrittenOnce(stack, names);
  }, 120_000);
});

describe("the Airtable writer, killed after Airtable answered a create", () => {
  it("looks the rows up in the next round instead of creating them again: each row once", async () => {
    const s = await switchableStack();
    const { stack } = s;
    // The create reaches Airtable and is answered; the answer never reaches the journal.
    s.setReach("holdAnswer");
    await Promise.all(
      ["d1", "d2"].map((u) =>
        stack.start("at_raw_rows", u, { records: [row(u)] }),
      ),
    );
    await eventually("a create answered and held", () => s.held() >= 1);
    const written = stack.rows().map((r) => String(r.fields.username));
    expect(written.length).toBeGreaterThan(0);
    await killRunningPump(stack);
    s.drop();
    s.setReach("up");
    await expectEachWrittenOnce(stack, ["d1", "d2"]);
  }, 120_000);
});
