import Airtable from "airtable";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { AirtableEmulator } from "./airtable-emulator.js";
import { TG_ACTIONS_TABLE } from "./tg-actions-table.js";

let emu: AirtableEmulator;
let baseId: string;
let table: Airtable.Table<Airtable.FieldSet>;

const row = (n: number) => ({
  chat_id: "-1001234567890",
  username: `user${n}`,
  triggered_at: new Date(Date.UTC(2025, 0, 1, 0, 0, n)).toISOString(),
  event_type: n % 2 === 0 ? "button_press" : "other",
  reporter_name: "poekhali",
});

beforeAll(async () => {
  emu = await AirtableEmulator.start();
});

afterAll(async () => {
  await emu.close();
});

beforeEach(() => {
  baseId = emu.createBase({
    name: "airflow101",
    tables: [TG_ACTIONS_TABLE],
  }).id;
  const apiKey = emu.createToken({
    scopes: ["data.records:read", "data.records:write"],
    bases: [baseId],
  });
  table = new Airtable({ apiKey, endpointUrl: emu.endpointUrl })
    .base(baseId)
    .table("tg_actions");
});

describe("AirtableEmulator with the official airtable client", () => {
  it("creates records with an autoNumber id and normalised dateTime", async () => {
    const created = await table.create([
      { fields: { ...row(1), triggered_at: "2025-01-01T00:00:01Z" } },
      { fields: row(2) },
    ]);
    expect(created.map((record) => record.get("id"))).toEqual([1, 2]);
    expect(created[0]?.id).toMatch(/^rec[A-Za-z0-9]{14}$/);
    expect(created[0]?.get("triggered_at")).toBe("2025-01-01T00:00:01.000Z");
    expect(
      emu.records(baseId, "tg_actions").map((record) => record.fields.username),
    ).toEqual(["user1", "user2"]);
  });

  it("creates one record from the single-record form", async () => {
    const record = await table.create(row(3));
    expect(record.id).toMatch(/^rec/);
    expect(record.get("username")).toBe("user3");
  });

  it("pages through 150 records with select().all()", async () => {
    for (let start = 0; start < 150; start += 10) {
      await table.create(
        Array.from({ length: 10 }, (_, i) => ({ fields: row(start + i) })),
      );
    }
    const pages: number[] = [];
    await table.select({ pageSize: 100 }).eachPage((records, next) => {
      pages.push(records.length);
      next();
    });
    expect(pages).toEqual([100, 50]);
    const all = await table
      .select({ pageSize: 100, sort: [{ field: "id", direction: "desc" }] })
      .all();
    expect(all).toHaveLength(150);
    expect(all[0]?.get("id")).toBe(150);
    expect(new Set(all.map((record) => record.id)).size).toBe(150);
  });

  it("filters with filterByFormula and selects fields", async () => {
    await table.create([
      { fields: row(1) },
      { fields: row(2) },
      { fields: row(4) },
    ]);
    const found = await table
      .select({
        filterByFormula:
          "AND({event_type} = 'button_press', {username} != \"user2\")",
        fields: ["username"],
      })
      .all();
    expect(found.map((record) => record.fields)).toEqual([
      { username: "user4" },
    ]);
    const byNumber = await table.select({ filterByFormula: "{id} = 2" }).all();
    expect(byNumber.map((record) => record.get("username"))).toEqual(["user2"]);
  });

  it("rejects a number in a text column with INVALID_VALUE_FOR_COLUMN", async () => {
    await expect(
      table.create([{ fields: { chat_id: -1001234567890 } }]),
    ).rejects.toMatchObject({
      error: "INVALID_VALUE_FOR_COLUMN",
      message: 'Field "chat_id" cannot accept the provided value',
      statusCode: 422,
    });
    expect(emu.records(baseId, "tg_actions")).toEqual([]);
  });

  it("rejects an unknown field with UNKNOWN_FIELD_NAME", async () => {
    await expect(
      table.create([{ fields: { xyz: "1" } }]),
    ).rejects.toMatchObject({
      error: "UNKNOWN_FIELD_NAME",
      message: 'Unknown field name: "xyz"',
    });
  });

  it("rejects writing the computed id", async () => {
    await expect(table.create([{ fields: { id: 5 } }])).rejects.toMatchObject({
      error: "INVALID_VALUE_FOR_COLUMN",
    });
  });

  it("finds, updates and destroys records", async () => {
    const [created] = await table.create([{ fields: row(1) }]);
    const id = created?.id ?? "";
    expect((await table.find(id)).get("username")).toBe("user1");
    const [updated] = await table.update([
      { id, fields: { username: "anna" } },
    ]);
    expect(updated?.fields).toMatchObject({
      username: "anna",
      chat_id: "-1001234567890",
      id: 1,
    });
    const replaced = await table.replace(id, { username: "only" });
    expect(replaced.fields).toEqual({ id: 1, username: "only" });
    const [destroyed] = await table.destroy([id]);
    expect(destroyed?.id).toBe(id);
    expect(emu.records(baseId, "tg_actions")).toEqual([]);
  });

  it("rejects an unparseable formula with INVALID_FILTER_BY_FORMULA", async () => {
    await expect(
      table.select({ filterByFormula: "AND({username} = " }).all(),
    ).rejects.toMatchObject({
      error: "INVALID_FILTER_BY_FORMULA",
    });
  });
});
