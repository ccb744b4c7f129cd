import { afterEach, describe, expect, it } from "vitest";
import { INBOX_NAME, INBOX_SHARDS, WRITER_NAME } from "@poekhali/airtable";
import { upsertDag } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

/** Sets an object's whole state through Restate's admin API, as a chain that died or a wake that was lost left it. */
async function leaveState(
  stack: AirtableStack,
  service: string,
  key: string,
  state: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(
    `${stack.server.adminUrl}/services/${service}/state`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        object_key: key,
        new_state: Object.fromEntries(
          Object.entries(state).map(([key, value]) => [
            key,
            [...Buffer.from(JSON.stringify(value))],
          ]),
        ),
      }),
    },
  );
  expect(res.status).toBeLessThan(300);
}

/** Sets a base writer's whole state, as a chain that died would have left it. */
const leaveWriterState = (
  stack: AirtableStack,
  state: Record<string, unknown>,
) => leaveState(stack, WRITER_NAME, stack.target.baseId, state);

describe("the Airtable writer's chain of delayed messages, dead", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  const start = async (state: Record<string, unknown>) => {
    const started = await startAirtableWorkerStack([upsertDag]);
    stop = started.stop;
    await leaveWriterState(started.stack, state);
    return started.stack;
  };
  const press = (s: AirtableStack, username: string) =>
    s.start("at_upsert", username, {
      chat_id: "-11",
      username,
      triggered_at: "2024-01-05T00:00:00.000Z",
    });

  it("is taken over by the next wake-up once its next message is over 5 s late", async () => {
    const at = Date.now() - 60_000;
    const s = await start({ active: true, beat: { at, next: at } });
    await press(s, "after-death");
    expect((await s.finished("at_upsert", "after-death")).dag_run.state).toBe(
      "success",
    );
    expect(s.rows().map((r) => r.fields.username)).toEqual(["after-death"]);
    expect(s.logs.join("\n")).toContain("did not come; taking over");
  }, 60_000);

  it("left by the writer before the inboxes (draining, no beat) is given 5 s, then taken over", async () => {
    const s = await start({ draining: true });
    const pressed = Date.now();
    await press(s, "after-old-death");
    await eventually(
      "the row, once the old chain has had its 5 s",
      () => s.rows().length === 1,
      30_000,
    );
    expect(Date.now() - pressed).toBeGreaterThanOrEqual(5_000);
    expect(
      (await s.finished("at_upsert", "after-old-death")).dag_run.state,
    ).toBe("success");
    // The chain it took over is gone: the base goes idle, no longer "draining".
    await eventually("the writer to go idle", async () => {
      const rows = await s.server.query<{ key: string }>(
        `SELECT key FROM state WHERE service_name = '${WRITER_NAME}' AND service_key = '${s.target.baseId}' AND key IN ('draining', 'active')`,
      );
      return rows.length === 0;
    });
  }, 60_000);
});

describe("an inbox whose wake-up never reached the writer", () => {
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    stop = undefined;
  });

  it("has its rows written within 20 s, with no run after them, by its own check, the writer idle and the inbox not awake", async () => {
    const started = await startAirtableWorkerStack([upsertDag]);
    stop = started.stop;
    const s = started.stack;
    // Every inbox armed (it woke the writer, and holds what comes until told the writer is idle), but the writer idle
    // and looking at none of them: the wake-ups were lost (killed on their way, or by an operator).
    for (let shard = 0; shard < INBOX_SHARDS; shard++)
      await leaveState(s, INBOX_NAME, `${s.target.baseId}/${shard}`, {
        meta: { tail: 0, released: 0, armed: true, received: 0, schemaHits: 0 },
      });
    await leaveWriterState(s, { awake: [] });
    const pressed = Date.now();
    await s.start("at_upsert", "lost-wake", {
      chat_id: "-12",
      username: "lost-wake",
      triggered_at: "2024-01-05T00:00:00.000Z",
    });
    // An inbox's check comes 6 s after its first request; nothing else wakes the writer.
    await eventually("the row", () => s.rows().length === 1, 20_000);
    expect(Date.now() - pressed).toBeLessThan(20_000);
    expect((await s.finished("at_upsert", "lost-wake")).dag_run.state).toBe(
      "success",
    );
    expect(s.rows().map((r) => r.fields.username)).toEqual(["lost-wake"]);
    // The inbox that took the request is told the writer is idle, and nothing keeps running.
    await eventually(
      "the inbox disarmed and nothing of the writer's running or scheduled",
      async () => {
        const [open] = await s.server.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name IN ('${WRITER_NAME}', '${INBOX_NAME}') AND status <> 'completed'`,
        );
        const metas = await s.server.query<{ value_utf8: string }>(
          `SELECT value_utf8 FROM state WHERE service_name = '${INBOX_NAME}' AND key = 'meta'`,
        );
        const took = metas
          .map(
            (m) =>
              JSON.parse(m.value_utf8) as { armed: boolean; received: number },
          )
          .filter((m) => m.received > 0);
        return Number(open?.n) === 0 && took.length === 1 && !took[0]?.armed;
      },
      30_000,
    );
  }, 90_000);
});
