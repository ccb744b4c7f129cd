import * as restate from "@restatedev/restate-sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { dag, dagWorkflow, task } from "@poekhali/core";
import * as newAirtable from "@poekhali/airtable";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  airtableConnections,
  startAirtableStack,
  type AirtableStack,
} from "./airtable-stack.js";
import { eventually, sourceAt } from "./harness.js";

// Released writers whose chain may be in flight when a worker is upgraded, and must replay on this tree:
// - 3035161 (main until the `rounds` chain): `pump` looks at all eight inboxes and tells all eight it is idle;
// - 12d81b1 (main with `rounds`, before a lone row went out in its inbox's wake-up).
const RELEASED_WRITERS = [
  { commit: "3035161a48a6904a94c45c41a7273250ac58daef", handler: "pump" },
  { commit: "12d81b1", handler: "rounds" },
] as const;

type Airtable = typeof newAirtable;

/** One press's row, upserted, with the given version of the provider (no schema check: the row is the first request). */
function upsertWith(at: Airtable) {
  return dag(
    {
      id: "at_pump_upgrade",
      schedule: null,
      params: z.object({ username: z.string() }),
    },
    ({ params }) => {
      const fields = task(
        { taskId: "build_row" },
        (p: { username: string }) => ({
          chat_id: "-31",
          username: p.username,
          triggered_at: "2024-01-08T00:00:00.000Z",
          event_type: "button_press",
          reporter_name: "e2e",
        }),
        { username: params.username },
      );
      new at.AirtableUpsertRecordOperator({
        taskId: "write_row",
        fields: fields.output,
        fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
      });
    },
  );
}

describe.each(RELEASED_WRITERS)(
  "upgrading the writer of $commit while its $handler is in a round",
  ({ commit, handler }) => {
    const older = sourceAt(commit, ["packages/airtable/src"]);
    let stack: AirtableStack;
    let old: Airtable;
    beforeAll(async () => {
      old = await older.load<Airtable>("packages/airtable/src/index.ts");
      expect(old.airtableWriter).not.toBe(newAirtable.airtableWriter);
      stack = await startAirtableStack();
    });
    afterAll(async () => {
      await stack?.stop();
      older.remove();
    });

    it("replays the chain on this tree's code: every row written once, within 30 s of the upgrade, no journal mismatch", async () => {
      const { target } = stack;
      const connections = airtableConnections(target);
      const port = await choosePort(0);
      // Main's hook sends each call and holds Airtable's answer while `holding`: the pump's round is mid-flight.
      let holding = false;
      let held = 0;
      let letGo!: () => void;
      const lost = new Promise<void>((resolve) => (letGo = resolve));
      const heldHook = (at: Airtable) => {
        const good = new at.AirtableHook(target);
        return new Proxy(good, {
          get(_, name) {
            const value: unknown = Reflect.get(good, name, good);
            if (typeof value !== "function") return value;
            const call = (...args: unknown[]) =>
              (value as (...a: unknown[]) => unknown).apply(good, args);
            if (!holding) return call;
            return async (...args: unknown[]) => {
              await call(...args);
              held++;
              await lost;
              throw new Error("answer lost by the test");
            };
          },
        });
      };
      const serve = (at: Airtable, hook: newAirtable.AirtableHook) =>
        serveEndpoint(
          restate.createEndpointHandler({
            services: [
              ...at.airtableServices({
                hookFor: () => hook,
                log: (line) => stack.logs.push(line),
              }),
              dagWorkflow(upsertWith(at), { connections }),
            ],
          }),
          { port },
        );
      const press = (username: string) =>
        stack.start("at_pump_upgrade", username, { username });
      const pumpsInFlight = () =>
        stack.server.query<{ id: string }>(
          `SELECT id FROM sys_invocation WHERE target_service_name = '${newAirtable.WRITER_NAME}' AND target_handler_name = '${handler}' AND status IN ('running', 'backing-off', 'suspended')`,
        );

      /** Waits until the writer has no chain and nothing of it or its inboxes runs or is scheduled. */
      const writerIdle = () =>
        eventually("the writer to go idle", async () => {
          const [open] = await stack.server.query<{ n: number }>(
            `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name IN ('${newAirtable.WRITER_NAME}', '${newAirtable.INBOX_NAME}') AND status <> 'completed'`,
          );
          const active = await stack.server.query<{ key: string }>(
            `SELECT key FROM state WHERE service_name = '${newAirtable.WRITER_NAME}' AND key = 'active'`,
          );
          return Number(open?.n) === 0 && active.length === 0;
        });
      const handlerCount = async (handler: string) => {
        const [row] = await stack.server.query<{ n: number }>(
          `SELECT COUNT(*) AS n FROM sys_invocation WHERE target_service_name = '${newAirtable.WRITER_NAME}' AND target_handler_name = '${handler}'`,
        );
        return { n: Number(row?.n ?? 0) };
      };

      const before = await serve(old, heldHook(old));
      await stack.server.register(before.url);
      // A first row written by main's writer, which then goes idle (told every inbox, nothing scheduled).
      await press("m0");
      expect(
        (await stack.finished("at_pump_upgrade", "m0")).dag_run.state,
      ).toBe("success");
      await writerIdle();
      // The next row wakes the idle writer with its request, and the round that sends it reaches Airtable, whose
      // answer is held: main's pump is in flight, its journal past the wake's first commands (the request taken, the
      // chain claimed); more rows queue in the inboxes behind it.
      holding = true;
      await press("m1");
      await eventually(
        "the released chain to send m1 and wait for the answer",
        () => (held >= 1 ? true : undefined),
      );
      expect(await pumpsInFlight()).toHaveLength(1);
      await Promise.all(["m2", "m3", "m4"].map(press));
      await before.stop();
      letGo();

      // The same URL, this tree's code: Restate replays the pump caught mid-round on it.
      const after = await serve(
        newAirtable,
        new newAirtable.AirtableHook(target),
      );
      try {
        await stack.server.register(after.url, { force: true });
        const upgraded = Date.now();
        await Promise.all(["n0", "n1", "n2"].map(press));
        const names = ["m0", "m1", "m2", "m3", "m4", "n0", "n1", "n2"];
        await eventually(
          "every run's row",
          () => stack.rows().length >= names.length,
          30_000,
        );
        expect(Date.now() - upgraded).toBeLessThan(30_000);
        for (const u of names)
          expect(
            (await stack.finished("at_pump_upgrade", u, 30_000)).dag_run.state,
          ).toBe("success");
        expect(
          stack
            .rows()
            .map((r) => String(r.fields.username))
            .sort(),
        ).toEqual([...names].sort());
        const failures = await stack.server.query<{
          target: string;
          last_failure: string;
        }>(
          `SELECT target, last_failure FROM sys_invocation WHERE target_service_name IN ('${newAirtable.WRITER_NAME}', '${newAirtable.INBOX_NAME}') AND last_failure IS NOT NULL AND last_failure LIKE '%ournal%'`,
        );
        expect(failures).toEqual([]);

        // Once the released chain is idle, a wake-up runs this tree's chain (`rounds`); `pump` is not sent again.
        await writerIdle();
        const pumps = (await handlerCount("pump")).n;
        await press("later");
        expect(
          (await stack.finished("at_pump_upgrade", "later")).dag_run.state,
        ).toBe("success");
        expect(
          stack.rows().filter((r) => r.fields.username === "later"),
        ).toHaveLength(1);
        expect((await handlerCount("rounds")).n).toBeGreaterThan(0);
        await writerIdle();
        expect((await handlerCount("pump")).n).toBe(pumps);
      } finally {
        await after.stop();
      }
    }, 120_000);
  },
);
