import { afterEach, describe, expect, it } from "vitest";
import { WRITER_NAME } from "@poekhali/airtable";
import { upsertDag } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

/** Sets a base writer's whole state through Restate's admin API, as a chain that died would have left it. */
async function leaveWriterState(
  stack: AirtableStack,
  state: Record<string, unknown>,
): Promise<void> {
  const res = await fetch(
    `${stack.server.adminUrl}/services/${WRITER_NAME}/state`,
    {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        object_key: stack.target.baseId,
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
