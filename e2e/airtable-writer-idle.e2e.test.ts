import { afterEach, describe, expect, it } from "vitest";
import { INBOX_NAME, WRITER_NAME } from "@poekhali/airtable";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { upsertDag } from "./airtable-dags.js";
import {
  serveWorker,
  startAirtableStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

/** Looks at the awake inboxes, with nothing found, before the writer tells them it is idle. */
const QUIET_LOOKS = 5;
/** How long the writer is watched once idle: past an inbox's check on the chain (6 s) and a watch (6 s), twice. */
const QUIET_MS = 15_000;

/** A writer or inbox invocation Restate holds (it keeps completed ones for a day). */
type Invocation = {
  id: string;
  handler: string;
  key: string;
  status: string;
};

async function writerInvocations(stack: AirtableStack): Promise<Invocation[]> {
  return stack.server.query<Invocation>(
    `SELECT id, target_service_name || '/' || target_handler_name AS handler, target_service_key AS key, status FROM sys_invocation WHERE target_service_name IN ('${WRITER_NAME}', '${INBOX_NAME}')`,
  );
}

/** Waits until the writer has said it is idle and nothing of it or its inboxes runs or is scheduled; its invocations then. */
async function idle(stack: AirtableStack): Promise<Invocation[]> {
  return eventually("the Airtable writer to go idle", async () => {
    const active = await stack.server.query<{ key: string }>(
      `SELECT key FROM state WHERE service_name = '${WRITER_NAME}' AND service_key = '${stack.target.baseId}' AND key = 'active'`,
    );
    const all = await writerInvocations(stack);
    return active.length === 0 && all.every((i) => i.status === "completed")
      ? all
      : undefined;
  });
}

/** The inbox keys an inbox handler ran on among `invocations`, with how many times each. */
function byInbox(invocations: Invocation[], handler: string) {
  const counts = new Map<string, number>();
  for (const i of invocations)
    if (i.handler === `${INBOX_NAME}/${handler}`)
      counts.set(i.key, (counts.get(i.key) ?? 0) + 1);
  return counts;
}

/**
 * What a quiet write asks of the inboxes, by key: the inboxes told the writer is idle are those that took a request
 * (they woke it), each told once; each was looked at in every quiet look, and every other inbox less often (looked
 * at only while a row waited, if at all). On a writer that looks at all eight and tells all eight, all eight are told
 * and looked at alike.
 */
function expectQuietByInbox(window: Invocation[]) {
  const woke = [...byInbox(window, "enqueue").keys()].sort();
  expect(woke.length).toBeGreaterThan(0);
  const told = byInbox(window, "idle");
  expect([...told.keys()].sort()).toEqual(woke);
  for (const key of woke) expect(told.get(key)).toBe(1);
  const peeks = byInbox(window, "peek");
  const least = Math.min(...woke.map((key) => peeks.get(key) ?? 0));
  expect(least).toBeGreaterThanOrEqual(QUIET_LOOKS);
  for (const [key, n] of peeks)
    if (!woke.includes(key)) expect(n).toBeLessThan(least);
}

describe("the Airtable writer, with nothing to write", () => {
  let stack: AirtableStack | undefined;
  let worker: Awaited<ReturnType<typeof serveWorker>> | undefined;
  afterEach(async () => {
    await worker?.stop();
    await stack?.stop();
  });

  it("looks only at the inbox that woke it before going idle and tells only it, then runs nothing; a write after that goes through", async () => {
    const s = (stack = await startAirtableStack());
    worker = await serveWorker(
      s.target,
      [upsertDag],
      await choosePort(0),
      (line) => s.logs.push(line),
    );
    await s.server.register(worker.url);
    const write = async (username: string) => {
      await s.start("at_upsert", username, {
        chat_id: "-21",
        username,
        triggered_at: "2024-01-07T00:00:00.000Z",
      });
      expect((await s.finished("at_upsert", username)).dag_run.state).toBe(
        "success",
      );
    };
    const since = (before: Invocation[], after: Invocation[]) => {
      const seen = new Set(before.map((i) => i.id));
      return after.filter((i) => !seen.has(i.id));
    };

    const atStart = await writerInvocations(s);
    await write("first");
    const afterFirst = await idle(s);
    expectQuietByInbox(since(atStart, afterFirst));

    // Nothing is queued: a measurement window, not a wait for a state. Nothing runs in it.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect(since(afterFirst, await writerInvocations(s))).toEqual([]);

    await write("after-quiet");
    expect(
      s
        .rows()
        .map((r) => r.fields.username)
        .sort(),
    ).toEqual(["after-quiet", "first"]);
    expectQuietByInbox(since(afterFirst, await idle(s)));
  }, 90_000);
});
