import { AirtableEmulator, TG_ACTIONS_TABLE } from "@poekhali/emulators";
import { AirtableUpsertRecordOperator } from "@poekhali/airtable";
import {
  DeferrableOperator,
  StaticConnections,
  dag,
  type DeferContext,
} from "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTaskTest } from "./task-test.js";
import { CommandFailed } from "./usage-error.js";

const row = {
  chat_id: "-100123",
  username: "anna",
  triggered_at: "2026-11-27T12:00:00.000Z",
  event_type: "button_press",
  reporter_name: "t",
};

/** A deferrable operator with no way to do its work but through its event source. */
class OnlyDeferred extends DeferrableOperator<object, string> {
  readonly title = "hand the work over";
  constructor() {
    super({ taskId: "handed_over" }, {});
  }
  override defer(_args: object, context: DeferContext): void {
    context.send({ service: "somewhere", handler: "work" }, null);
  }
  override complete(event: string): string {
    return event;
  }
}

const writes = dag({ id: "t_task_test", schedule: null }, () => {
  new AirtableUpsertRecordOperator({
    taskId: "write_row",
    fields: row,
    fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
  });
  new OnlyDeferred();
});

describe("tasks test of deferrable operators", () => {
  let airtable: AirtableEmulator;
  let baseId: string;
  let connections: StaticConnections;
  beforeAll(async () => {
    airtable = await AirtableEmulator.start();
    baseId = airtable.createBase({
      name: "airflow101",
      tables: [TG_ACTIONS_TABLE],
    }).id;
    const token = airtable.createToken({
      scopes: ["data.records:read", "data.records:write"],
      bases: [baseId],
    });
    connections = new StaticConnections([
      {
        connId: "airtable_default",
        connType: "airtable",
        host: airtable.endpointUrl,
        password: token,
        extra: { base_id: baseId, table: "tg_actions" },
      },
    ]);
  });
  afterAll(() => airtable.close());

  const test = (taskId: string) =>
    runTaskTest({
      dag: writes,
      taskId,
      conf: {},
      upstream: {},
      connections,
      log: () => undefined,
    });

  it("runs AirtableUpsertRecordOperator in-process: one row, updated not added when tested again", async () => {
    const first = await test("write_row");
    expect(first).toMatchObject({
      record_id: expect.any(String),
      created: true,
    });
    const again = await test("write_row");
    expect(again).toEqual({
      record_id: (first as { record_id: string }).record_id,
      created: false,
    });
    const rows = airtable.records(baseId, "tg_actions");
    expect(rows).toHaveLength(1);
    expect(rows[0]?.fields).toMatchObject(row);
  });

  it("refuses a deferrable operator that can only work through its event source, saying why", async () => {
    const refused = await test("handed_over").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(CommandFailed);
    expect((refused as Error).message).toContain(
      '"handed_over" is a deferrable operator',
    );
    expect((refused as Error).message).toContain("trigger the DAG instead");
  });
});
