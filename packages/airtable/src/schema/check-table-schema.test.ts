import {
  AirtableEmulator,
  TG_ACTIONS_TABLE,
  type FieldType,
  type TableSchema,
} from "@poekhali/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirtableSchemaError } from "../errors.js";
import { AirtableHook } from "../hooks/airtable-hook.js";
import { TG_ACTIONS_FIELDS, checkTableSchema } from "./check-table-schema.js";

/** tg_actions with one column retyped (or dropped when type is null). */
function variant(column: string, type: FieldType | null): TableSchema {
  const fields = TG_ACTIONS_TABLE.fields
    .filter((f) => f.name !== column || type !== null)
    .map((f) =>
      f.name === column && type ? { name: f.name, type } : { ...f },
    );
  return {
    name: "tg_actions",
    fields: fields.map(({ name, type: t, options }) => ({
      name,
      type: t,
      ...(options ? { options } : {}),
    })),
  };
}

describe("checkTableSchema", () => {
  let airtable: AirtableEmulator;
  beforeAll(async () => {
    airtable = await AirtableEmulator.start();
  });
  afterAll(() => airtable.close());

  const hookFor = (table: TableSchema, scopes = ["schema.bases:read"]) => {
    const baseId = airtable.createBase({ name: "b", tables: [table] }).id;
    return new AirtableHook({
      token: airtable.createToken({ scopes, bases: [baseId] }),
      baseId,
      endpointUrl: airtable.endpointUrl,
    });
  };

  it("passes the course's table", async () => {
    expect(
      await checkTableSchema(
        hookFor(TG_ACTIONS_TABLE),
        "tg_actions",
        TG_ACTIONS_FIELDS,
      ),
    ).toMatchObject({ checked: true });
  });

  for (const column of Object.keys(TG_ACTIONS_FIELDS)) {
    const wrong: FieldType =
      column === "triggered_at" ? "singleLineText" : "number";
    it(`names base, table, column "${column}", the type found and the type wanted when it is ${wrong}`, async () => {
      const hook = hookFor(variant(column, wrong));
      const error = await checkTableSchema(
        hook,
        "tg_actions",
        TG_ACTIONS_FIELDS,
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AirtableSchemaError);
      const message = (error as Error).message;
      expect(message).toContain(hook.baseId);
      expect(message).toContain('table "tg_actions"');
      expect(message).toContain(
        `column "${column}" is ${wrong}; wanted ${TG_ACTIONS_FIELDS[column]![0]}`,
      );
    });

    it(`says column "${column}" is missing when the table lacks it`, async () => {
      const error = await checkTableSchema(
        hookFor(variant(column, null)),
        "tg_actions",
        TG_ACTIONS_FIELDS,
      ).catch((e: unknown) => e);
      expect((error as Error).message).toContain(
        `column "${column}" is missing; wanted`,
      );
    });
  }

  it("names the tables there are when the table is missing", async () => {
    const error = await checkTableSchema(
      hookFor({ ...TG_ACTIONS_TABLE, id: undefined, name: "other" }),
      "tg_actions",
      TG_ACTIONS_FIELDS,
    ).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /has no table "tg_actions" \(its tables: "other"\)/,
    );
  });

  it("skips with a reason when the token lacks schema.bases:read", async () => {
    const result = await checkTableSchema(
      hookFor(TG_ACTIONS_TABLE, ["data.records:write"]),
      "tg_actions",
      TG_ACTIONS_FIELDS,
    );
    expect(result).toMatchObject({
      checked: false,
      reason: expect.stringContaining("schema.bases:read"),
    });
  });
});
