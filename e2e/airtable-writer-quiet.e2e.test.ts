import { afterEach, describe, expect, it } from "vitest";
import { INBOX_NAME, WRITER_NAME } from "@poekhali/airtable";
import { upsertDag } from "./airtable-dags.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
  type AirtableWorkerStack,
} from "./airtable-stack.js";
import { eventually } from "./harness.js";

/** A writer `rounds` invocation Restate holds: who sent it, and when it was created and completed (epoch ms). */
type Rounds = {
  id: string;
  by: string | null;
  created: number;
  completed: number | null;
};

async function roundsInvocations(stack: AirtableStack): Promise<Rounds[]> {
  return stack.server.query<Rounds>(
    `SELECT id, invoked_by_service_name AS by, CAST(created_at AS BIGINT) AS created, CAST(completed_at AS BIGINT) AS completed FROM sys_invocation WHERE target_service_name = '${WRITER_NAME}' AND target_handler_name = 'rounds'`,
  );
}

/** The writer's state keys present now. */
async function writerKeys(stack: AirtableStack): Promise<string[]> {
  const rows = await stack.server.query<{ key: string }>(
    `SELECT key FROM state WHERE service_name = '${WRITER_NAME}' AND service_key = '${stack.target.baseId}'`,
  );
  return rows.map((r) => r.key);
}

describe("the Airtable writer in its quiet spell", () => {
  let served: AirtableWorkerStack | undefined;
  afterEach(async () => {
    await served?.stop();
  });

  it("writes a lone row in the wake-up its inbox sends, not at the chain's next look", async () => {
    served = await startAirtableWorkerStack([upsertDag]);
    const s = served.stack;
    const write = async (username: string) => {
      await s.start("at_upsert", username, {
        chat_id: "-31",
        username,
        triggered_at: "2024-01-08T00:00:00.000Z",
      });
      expect((await s.finished("at_upsert", username)).dag_run.state).toBe(
        "success",
      );
    };

    await write("first");
    // The first row is written, the chain runs on and looks at the inboxes a few more times before it goes idle.
    await eventually("the writer's chain in its quiet spell", async () => {
      const keys = await writerKeys(s);
      return keys.includes("active") && keys.includes("quiet");
    });
    await write("second");
    const second = s.rows().find((r) => r.fields.username === "second");
    expect(second).toBeDefined();
    const writtenAt = Date.parse(second!.createdTime);

    // The row went out in a `rounds` an inbox sent (its wake-up, carrying the request or naming the inbox), while
    // that invocation ran: one hop after the enqueue. Before, the wake-up only queued it and the chain's own delayed
    // look (every 500 ms) sent it.
    const byInbox = await eventually(
      "the wake-up's invocation to complete",
      async () => {
        const all = await roundsInvocations(s);
        const spanning = all.filter(
          (r) =>
            r.by === INBOX_NAME &&
            r.completed !== null &&
            r.created <= writtenAt &&
            r.completed >= writtenAt,
        );
        return all.some((r) => r.completed === null && r.created <= writtenAt)
          ? undefined
          : spanning;
      },
    );
    expect(byInbox.length).toBe(1);
    // …and it wrote the row itself, in the chain's quiet spell: it did not start a chain of its own (which a wake-up
    // after the spell would, writing the row the old way).
    const journal = await s.server.query<{ type: string; json: string }>(
      `SELECT entry_type AS type, entry_json AS json FROM sys_journal WHERE id = '${byInbox[0]!.id}' ORDER BY index`,
    );
    const commands = journal.map(
      (e) =>
        Object.values(
          (JSON.parse(e.json) as { Command?: Record<string, unknown> })
            .Command ?? {},
        )[0] as { name?: string; key?: string } | undefined,
    );
    expect(
      commands.some((c) => c?.name?.startsWith("write 1 row(s) to ")),
    ).toBe(true);
    expect(
      journal.filter(
        (e, i) =>
          e.type === "Command: SetState" && commands[i]?.key === "active",
      ),
    ).toEqual([]);
    expect(
      s
        .rows()
        .map((r) => r.fields.username)
        .sort(),
    ).toEqual(["first", "second"]);
  }, 90_000);
});
