import { resolveArgs, type Json } from "@poekhali/core";
import { Dag, compileAirflowDag, param } from "@poekhali/core/airflow";
import { describe, expect, it } from "vitest";
import { AirtableSchemaCheckOperator } from "../operators/airtable-schema-check-operator.js";
import { AirtableUpsertRecordOperator } from "../operators/airtable-upsert-record-operator.js";
import { TG_ACTIONS_FIELDS } from "../schema/check-table-schema.js";
import { checkAirtableSchema, upsertAirtableRecord } from "./airtable-tasks.js";

interface Press {
  readonly chat_id: string;
  readonly username: string;
}

describe("the Airtable operators as SDK tasks", () => {
  it("renders the upsert's row from its inputs when it runs, and checks the schema first", () => {
    const sdk = new Dag("sdk_rows", { params: { event_type: "button_press" } });
    const checked = sdk.task(
      "check_table",
      checkAirtableSchema({ fields: TG_ACTIONS_FIELDS }),
    )();
    const press = sdk.task("press", (): Press => ({
      chat_id: "-100",
      username: "anna",
    }))();
    sdk
      .task(
        "write_row",
        upsertAirtableRecord({
          fieldsToMergeOn: ["chat_id", "username"],
          table: "tg_actions",
          fields: ({ p, type }: { p: Press; type: string }) => ({
            chat_id: p.chat_id,
            username: p.username,
            event_type: type,
          }),
        }),
        { retries: 1 },
      )({ p: press, type: param<string>("event_type") })
      .after(checked);

    const { dag, warnings } = compileAirflowDag(sdk);
    // The write is a deferrable operator: its retry option applies, and nothing is ignored.
    expect(warnings).toEqual([]);
    const byId = new Map(dag.tasks.map((t) => [t.taskId, t]));
    expect(byId.get("check_table")).toBeInstanceOf(AirtableSchemaCheckOperator);
    const write = byId.get("write_row");
    expect(write).toBeInstanceOf(AirtableUpsertRecordOperator);
    expect((write as AirtableUpsertRecordOperator).retries).toBe(1);
    expect([...(write?.upstreamTaskIds ?? [])].sort()).toEqual([
      "check_table",
      "press",
    ]);
    const outputs = new Map<string, Json>([
      ["press", { chat_id: "-100", username: "anna" }],
    ]);
    expect(
      resolveArgs(write!.args, {
        outputs,
        params: dag.parseConf({ event_type: "tap" }),
      }),
    ).toEqual({
      table: "tg_actions",
      fields: { chat_id: "-100", username: "anna", event_type: "tap" },
    });
  });

  // Type-checked by `npm run typecheck`: each @ts-expect-error must meet a real type error.
  it("types the inputs as the render function's arguments", () => {
    const sdk = new Dag("sdk_rows_types");
    const count = sdk.task("count", () => 3)();
    const write = upsertAirtableRecord({
      fieldsToMergeOn: ["chat_id"],
      fields: ({ p }: { p: Press }) => ({ chat_id: p.chat_id }),
    });
    // @ts-expect-error the row is rendered from a Press, not a number
    sdk.task("bad_input", write)({ p: count });
    const plain = upsertAirtableRecord({ fieldsToMergeOn: ["a"] });
    sdk.task(
      "bad_fields",
      plain,
    )({
      // @ts-expect-error without a render function, `fields` is the record's values, not a number
      fields: 1,
    });
    expect(sdk.taskIds).toHaveLength(3);
  });
});
