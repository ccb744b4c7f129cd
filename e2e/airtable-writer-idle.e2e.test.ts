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

/** Most writer and inbox invocations one run's row may cost, from its hand-off until the writer is idle again. */
const PER_QUIET_WRITE = 24;
/** How long the writer is watched once idle: past an inbox's check on the chain (6 s) and a watch (6 s), twice. */
const QUIET_MS = 15_000;

/** Writer and inbox invocations Restate holds (it keeps completed ones for a day), and how many are not completed. */
async function writerInvocations(
  stack: AirtableStack,
): Promise<{ all: number; open: number }> {
  const [row] = await stack.server.query<{ all: number; open: number }>(
    `SELECT COUNT(*) AS "all", SUM(CASE WHEN status <> 'completed' THEN 1 ELSE 0 END) AS open FROM sys_invocation WHERE target_service_name IN ('${WRITER_NAME}', '${INBOX_NAME}')`,
  );
  return { all: Number(row?.all ?? 0), open: Number(row?.open ?? 0) };
}

/** Waits until the writer has said it is idle and nothing of it or its inboxes runs or is scheduled; the count then. */
async function idle(stack: AirtableStack): Promise<number> {
  return eventually("the Airtable writer to go idle", async () => {
    const active = await stack.server.query<{ key: string }>(
      `SELECT key FROM state WHERE service_name = '${WRITER_NAME}' AND service_key = '${stack.target.baseId}' AND key = 'active'`,
    );
    const { all, open } = await writerInvocations(stack);
    return active.length === 0 && open === 0 ? all : undefined;
  });
}

describe("the Airtable writer, with nothing to write", () => {
  let stack: AirtableStack | undefined;
  let worker: Awaited<ReturnType<typeof serveWorker>> | undefined;
  afterEach(async () => {
    await worker?.stop();
    await stack?.stop();
  });

  it("looks only at the inbox that woke it before going idle, then runs nothing; a write after that goes through", async () => {
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

    const atStart = (await writerInvocations(s)).all;
    await write("first");
    const afterFirst = await idle(s);
    // The hand-off, the inbox's enqueue, the pumps, a look at all eight while the row waits for its slot and a few at
    // that one inbox once nothing is left, its idle notice and the check it had armed: not eight inboxes looked at
    // over several quiet rounds, each told it is idle (64 on main).
    expect(afterFirst - atStart).toBeLessThanOrEqual(PER_QUIET_WRITE);

    // Nothing is queued: a measurement window, not a wait for a state.
    await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
    expect((await writerInvocations(s)).all).toBe(afterFirst);

    await write("after-quiet");
    expect(
      s
        .rows()
        .map((r) => r.fields.username)
        .sort(),
    ).toEqual(["after-quiet", "first"]);
    expect((await idle(s)) - afterFirst).toBeLessThanOrEqual(PER_QUIET_WRITE);
  }, 90_000);
});
