import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TG_ACTIONS_TABLE } from "@poekhali/emulators";
import { AIRTABLE_DAGS } from "./airtable-dags.js";
import { eventually } from "./harness.js";
import {
  startAirtableWorkerStack,
  type AirtableStack,
  type AirtableStackOptions,
} from "./airtable-stack.js";

const good = (username: string) => ({
  chat_id: "-100",
  username,
  triggered_at: "2024-01-01T00:00:00.000Z",
  event_type: "button_press",
  reporter_name: "e2e",
});

/** A stack whose table or token is not what the DAG needs. */
const stackWith = (options: AirtableStackOptions) =>
  startAirtableWorkerStack(AIRTABLE_DAGS, options);

describe("Airtable refusals through the writer", () => {
  let stack: AirtableStack;
  let stop: () => Promise<void>;
  beforeAll(async () => ({ stack, stop } = await stackWith({})));
  afterAll(() => stop?.());

  const note = async (dagId: string, runId: string, taskId: string) =>
    (await stack.finished(dagId, runId)).task_instances.find(
      (t) => t.task_id === taskId,
    )?.note ?? "";

  it("fails only the run whose row has a number in a text column, naming the column and the type it wants", async () => {
    await Promise.all([
      stack.start("at_raw", "bad", {
        fields: { ...good("bad"), chat_id: -100 },
      }),
      stack.start("at_raw", "ok1", {
        fields: { ...good("ok1"), chat_id: "-101" },
      }),
      stack.start("at_raw", "ok2", {
        fields: { ...good("ok2"), chat_id: "-102" },
      }),
    ]);
    expect(await note("at_raw", "bad", "write_row")).toContain(
      'column "chat_id" is singleLineText and wants a string',
    );
    expect((await stack.finished("at_raw", "ok1")).dag_run.state).toBe(
      "success",
    );
    expect((await stack.finished("at_raw", "ok2")).dag_run.state).toBe(
      "success",
    );
    expect(
      stack
        .rows()
        .map((r) => r.fields.username)
        .sort(),
    ).toEqual(["ok1", "ok2"]);
  });

  it("fails a run of several rows, one of them refused, writing none of its rows, and writes the other runs' rows once", async () => {
    const row = (username: string, chat_id: unknown = "-200") => ({
      ...good(username),
      chat_id,
    });
    const refusedBefore = stack.calls().filter((c) => c.status === 422).length;
    // Started together, so that their rows meet in one request first: its refusal sends each run's rows apart.
    await Promise.all([
      stack.start("at_raw_rows", "many", {
        records: [row("m1"), row("m2"), row("m3", -200), row("m4")],
      }),
      ...["o1", "o2", "o3", "o4", "o5"].map((u) =>
        stack.start("at_raw_rows", u, { records: [row(u)] }),
      ),
    ]);
    expect((await stack.finished("at_raw_rows", "many")).dag_run.state).toBe(
      "failed",
    );
    for (const u of ["o1", "o2", "o3", "o4", "o5"])
      expect((await stack.finished("at_raw_rows", u)).dag_run.state).toBe(
        "success",
      );
    await eventually(
      "the writer to hold nothing more",
      async () => (await stack.writer()).queued === 0,
    );
    const names = stack
      .rows()
      .map((r) => String(r.fields.username))
      .filter((u) => /^[mo]\d$/.test(u))
      .sort();
    expect(names).toEqual(["o1", "o2", "o3", "o4", "o5"]);
    // The shared request was refused, then the run's own four rows together: one request, refused once.
    expect(
      stack.calls().filter((c) => c.status === 422).length - refusedBefore,
    ).toBe(2);
    expect(await note("at_raw_rows", "many", "create_rows")).toContain(
      'column "chat_id" is singleLineText and wants a string',
    );
  });

  it("fails a run writing an unknown column with UNKNOWN_FIELD_NAME", async () => {
    await stack.start("at_raw", "unknown", {
      fields: { ...good("u"), chatid: "x" },
    });
    expect(await note("at_raw", "unknown", "write_row")).toMatch(
      /UNKNOWN_FIELD_NAME/,
    );
  });

  it("fails a run writing to an unknown table with advice on scopes and sharing", async () => {
    await stack.start("at_raw", "table", { fields: good("t"), table: "nope" });
    const why = await note("at_raw", "table", "write_row");
    expect(why).toMatch(/403 INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND/);
    expect(why).toMatch(/scopes .* shared with the token/);
  });

  it("passes the schema check on the course's table", async () => {
    await stack.start("at_check", "fine");
    const s = await stack.finished("at_check", "fine");
    expect(s.task_instances.map((t) => t.state)).toEqual([
      "success",
      "success",
    ]);
  });

  it("keeps the token out of every log line, note and error", () => {
    expect(stack.logs.some((l) => l.includes("INVALID_VALUE_FOR_COLUMN"))).toBe(
      true,
    );
    for (const line of stack.logs)
      expect(line).not.toContain(stack.target.token);
  });
});

describe("the schema check on a table that does not fit", () => {
  it("stops the run before anything else with one message naming base, table, column and types", async () => {
    const table = {
      ...TG_ACTIONS_TABLE,
      id: undefined,
      fields: TG_ACTIONS_TABLE.fields.map((f) =>
        f.name === "chat_id" ? { name: "chat_id", type: "number" as const } : f,
      ),
    };
    const { stack, stop } = await stackWith({ tables: [table] });
    try {
      await stack.start("at_check", "wrong");
      const s = await stack.finished("at_check", "wrong");
      expect(s.task_instances.map((t) => t.state)).toEqual([
        "failed",
        "upstream_failed",
      ]);
      expect(s.task_instances[0]?.try_number).toBe(1);
      expect(s.task_instances[0]?.note).toContain(
        `Airtable base ${stack.target.baseId}, table "tg_actions": column "chat_id" is number; wanted singleLineText`,
      );
    } finally {
      await stop();
    }
  });

  it("skips with a warning when the token lacks schema.bases:read", async () => {
    const { stack, stop } = await stackWith({
      scopes: ["data.records:read", "data.records:write"],
    });
    try {
      await stack.start("at_check", "noscope");
      expect((await stack.finished("at_check", "noscope")).dag_run.state).toBe(
        "success",
      );
      expect(
        stack.logs.some((l) =>
          /schema check skipped: .*schema\.bases:read/.test(l),
        ),
      ).toBe(true);
    } finally {
      await stop();
    }
  });
});
