import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { dag, dagWorkflow, task } from "@poekhali/core";
import * as newAirtable from "@poekhali/airtable";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { airtableUpgradeWarnings } from "../packages/poekhali/src/restate/airtable-upgrade-check.js";
import { RestateAdmin } from "../packages/poekhali/src/restate/restate-admin.js";
import {
  airtableConnections,
  startAirtableStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually, sourceAt } from "./harness.js";

// The writer as main had it before the inboxes (db017ea: one object, `enqueue` exclusive, `drain` one batch per
// call): runs parked on it, and its queue, must come through an upgrade to this tree's writer.
const BEFORE_INBOXES = "db017eaa3420e7a2b809940154f873789ba1f448";

type Airtable = typeof newAirtable;

/** The reference DAG's Airtable side, built with the given version of the provider: a schema check, then an upsert. */
function pressDag(at: Airtable) {
  return dag(
    {
      id: "at_upgrade",
      schedule: null,
      params: z.object({ username: z.string(), triggered_at: z.string() }),
    },
    ({ params }) => {
      const checked = new at.AirtableSchemaCheckOperator({
        taskId: "check_table",
        fields: at.TG_ACTIONS_FIELDS,
      });
      const fields = task(
        { taskId: "build_row" },
        (p: { username: string; triggered_at: string }) => ({
          chat_id: "-7",
          username: p.username,
          triggered_at: p.triggered_at,
          event_type: "button_press",
          reporter_name: "e2e",
        }),
        { username: params.username, triggered_at: params.triggered_at },
      ).after(checked);
      new at.AirtableUpsertRecordOperator({
        taskId: "write_row",
        fields: fields.output,
        fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
      });
    },
  );
}

describe("upgrading the Airtable writer under a backlog", () => {
  const older = sourceAt(BEFORE_INBOXES, ["packages/airtable/src"]);
  let stack: AirtableStack;
  let old: Airtable;
  beforeAll(async () => {
    old = await older.load<Airtable>("packages/airtable/src/index.ts");
    expect(old.airtableWriter).not.toBe(newAirtable.airtableWriter);
    stack = await startAirtableStack({ rateLimit: true });
  });
  afterAll(async () => {
    await stack?.stop();
    older.remove();
  });

  it("writes every row queued in the old writer, and every run parked on it, exactly once, with no 429", async () => {
    const { target } = stack;
    const connections = airtableConnections(target);
    // Nothing listens at `down`: every request fails as a network error, and the writer backs off, its queue growing.
    // Each version's own hook: the writer tells a retryable error by its own error classes.
    const down = `http://127.0.0.1:${await choosePort(0)}`;
    const hooks = (at: Airtable) => ({
      good: new at.AirtableHook(target),
      dead: new at.AirtableHook({ ...target, endpointUrl: down }),
    });
    let airtableDown = false;
    const port = await choosePort(0);
    const serve = (at: Airtable, { good, dead } = hooks(at)) =>
      serveEndpoint(
        restate.createEndpointHandler({
          services: [
            ...at.airtableServices({
              hookFor: () => (airtableDown ? dead : good),
              maxAttempts: 100,
              log: (line) => stack.logs.push(line),
            }),
            dagWorkflow(pressDag(at), { connections }),
          ],
        }),
        { port },
      );
    const startRuns = (from: number, to: number) =>
      Promise.all(
        Array.from({ length: to - from }, (_, k) =>
          stack.start("at_upgrade", `u${from + k}`, {
            username: `u${from + k}`,
            triggered_at: new Date(
              Date.UTC(2024, 0, 3) + from + k,
            ).toISOString(),
          }),
        ),
      );
    const writerState = async () =>
      Object.fromEntries(
        (
          await stack.server.query<{ key: string; value_utf8: string }>(
            `SELECT key, value_utf8 FROM state WHERE service_name = '${newAirtable.WRITER_NAME}' AND service_key = '${target.baseId}'`,
          )
        ).map((r) => [r.key, r.value_utf8]),
      );

    const before = await serve(old);
    await stack.server.register(before.url);
    // Some rows written by the old writer, then Airtable goes away and the rest queue up in it.
    await startRuns(0, 20);
    await eventually(
      "the old writer to write 20 rows",
      () => stack.rows().length >= 20,
    );
    airtableDown = true;
    await startRuns(20, 120);
    await eventually(
      "the old writer to hold rows it could not write",
      async () => {
        const state = await writerState();
        const tail = Number(state.tail ?? 0);
        const head = Number(state.head ?? 0);
        return state.draining === "true" && tail - head >= 60;
      },
      60_000,
    );
    // Runs whose enqueue is still on its way when the old worker goes.
    const late = startRuns(120, 160);
    await before.stop();
    await late;

    // The same URL, new code: Restate replaces the deployment (as `poekhali up` does), runs replay on this tree.
    airtableDown = false;
    const after = await serve(newAirtable);
    try {
      await stack.server.register(after.url, { force: true });
      await eventually(
        "every run's row",
        () => stack.rows().length >= 160,
        60_000,
      );
      for (let i = 0; i < 160; i += 1)
        expect(
          (await stack.finished("at_upgrade", `u${i}`, 60_000)).dag_run.state,
        ).toBe("success");

      const names = stack.rows().map((r) => String(r.fields.username));
      expect(names).toHaveLength(160);
      expect(new Set(names).size).toBe(160);
      expect(stack.calls().filter((c) => c.status === 429)).toEqual([]);
      const failures = await stack.server.query<{
        target: string;
        last_failure: string;
      }>(
        "SELECT target, last_failure FROM sys_invocation WHERE status != 'completed' AND last_failure IS NOT NULL",
      );
      expect(failures).toEqual([]);
      // The old chain finished the old queue and handed the base over; the new chain went idle.
      await eventually("the writer to go idle", async () => {
        const state = await writerState();
        return state.draining === undefined && state.active === undefined;
      });
    } finally {
      await after.stop();
    }
  }, 300_000);

  it("warns, before registering new code, of an enqueue of the old writer caught writing inline, naming the base", async () => {
    const other = await startAirtableStack();
    let letGo!: () => void;
    const blocked = new Promise<void>((resolve) => (letGo = resolve));
    let calls = 0;
    // Every call of the old writer's hook waits: its `enqueue` on an idle base sends inline, and stays in flight.
    const good = new old.AirtableHook(other.target);
    const hook = new Proxy(good, {
      get(_, name) {
        const value: unknown = Reflect.get(good, name, good);
        if (typeof value !== "function") return value;
        return async () => {
          calls++;
          await blocked;
          throw new Error("held by the test");
        };
      },
    });
    const connections = airtableConnections(other.target);
    const worker = await serveEndpoint(
      restate.createEndpointHandler({
        services: [
          ...old.airtableServices({ hookFor: () => hook }),
          dagWorkflow(pressDag(old), { connections }),
        ],
      }),
      { port: await choosePort(0) },
    );
    try {
      await other.server.register(worker.url);
      const admin = new RestateAdmin(other.server.adminUrl);
      expect(await airtableUpgradeWarnings(admin)).toEqual([]);
      await other.start("at_upgrade", "inline", {
        username: "inline",
        triggered_at: "2024-01-04T00:00:00.000Z",
      });
      await eventually("the old enqueue to call Airtable", () => calls > 0);
      const warnings = await eventually("the warning", async () => {
        const lines = await airtableUpgradeWarnings(admin);
        return lines.length > 0 ? lines : undefined;
      });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(
        `1 Airtable write(s) of base ${other.target.baseId} started on the writer before the inboxes`,
      );
      expect(warnings[0]).toContain("docs/operations.md");
    } finally {
      letGo();
      await worker.stop();
      await other.stop();
    }
  }, 120_000);
});
