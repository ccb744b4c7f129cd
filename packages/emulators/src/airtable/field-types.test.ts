import Airtable from "airtable";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AirtableEmulator } from "./airtable-emulator.js";
import type { TableSchema } from "./table-schema.js";

const TRIPS: TableSchema = {
  name: "trips",
  fields: [
    { name: "title", type: "singleLineText" },
    { name: "notes", type: "multilineText" },
    { name: "seats", type: "number", options: { precision: 0 } },
    { name: "confirmed", type: "checkbox" },
    { name: "day", type: "date" },
    { name: "departs_at", type: "dateTime" },
    {
      name: "status",
      type: "singleSelect",
      options: { choices: [{ name: "planned" }, { name: "done" }] },
    },
    { name: "n", type: "autoNumber" },
    { name: "created", type: "createdTime" },
  ],
};

let clock: number;
let emu: AirtableEmulator;
let baseId: string;
let token: string;
let trips: Airtable.Table<Airtable.FieldSet>;

async function fail(promise: Promise<unknown>) {
  const error = (await promise.then(
    () => ({}),
    (e: unknown) => e,
  )) as { statusCode?: number; error?: string; message?: string };
  return { statusCode: error.statusCode, error: error.error };
}

beforeEach(async () => {
  clock = Date.parse("2025-02-03T04:05:06.789Z");
  emu = await AirtableEmulator.start({ now: () => clock });
  baseId = emu.createBase({ name: "travel", tables: [TRIPS] }).id;
  token = emu.createToken({
    scopes: ["data.records:read", "data.records:write", "schema.bases:read"],
    bases: [baseId],
  });
  trips = new Airtable({ apiKey: token, endpointUrl: emu.endpointUrl })
    .base(baseId)
    .table("trips");
});

afterEach(async () => {
  await emu.close();
});

describe("AirtableEmulator field types", () => {
  it("stores each type as Airtable does and computes autoNumber and createdTime", async () => {
    const [record] = await trips.create([
      {
        fields: {
          title: "Kazan",
          notes: "line one\nline two",
          seats: 3,
          confirmed: true,
          day: "2025-02-10",
          departs_at: "2025-02-10T09:30:00+03:00",
          status: "planned",
        },
      },
    ]);
    expect(record?.fields).toEqual({
      title: "Kazan",
      notes: "line one\nline two",
      seats: 3,
      confirmed: true,
      day: "2025-02-10",
      departs_at: "2025-02-10T06:30:00.000Z",
      status: "planned",
      n: 1,
      created: "2025-02-03T04:05:06.789Z",
    });
    const [unchecked] = await trips.create([
      { fields: { title: "Omsk", confirmed: false } },
    ]);
    expect(unchecked?.fields).toEqual({
      title: "Omsk",
      n: 2,
      created: "2025-02-03T04:05:06.789Z",
    });
  });

  it("refuses writes to autoNumber and createdTime with 422", async () => {
    for (const fields of [{ n: 5 }, { created: "2025-01-01T00:00:00Z" }]) {
      expect(await fail(trips.create([{ fields }]))).toEqual({
        statusCode: 422,
        error: "INVALID_VALUE_FOR_COLUMN",
      });
    }
  });

  it("refuses a wrong type without typecast", async () => {
    const wrong = [
      { title: 42 },
      { notes: true },
      { seats: "42" },
      { confirmed: "yes" },
      { day: "next monday" },
      { departs_at: 1_700_000_000 },
      { status: 1 },
    ];
    for (const fields of wrong) {
      expect(await fail(trips.create([{ fields }]))).toEqual({
        statusCode: 422,
        error: "INVALID_VALUE_FOR_COLUMN",
      });
    }
    expect(
      await fail(trips.create([{ fields: { status: "cancelled" } }])),
    ).toEqual({
      statusCode: 422,
      error: "INVALID_MULTIPLE_CHOICE_OPTIONS",
    });
  });

  it("converts values with typecast and adds a new select option to the schema", async () => {
    const [record] = await trips.create(
      [
        {
          fields: {
            title: 42,
            seats: "42",
            confirmed: "true",
            status: "cancelled",
          },
        },
      ],
      { typecast: true },
    );
    expect(record?.fields).toMatchObject({
      title: "42",
      seats: 42,
      confirmed: true,
      status: "cancelled",
    });
    const meta = (await (
      await fetch(`${emu.endpointUrl}/v0/meta/bases/${baseId}/tables`, {
        headers: { authorization: `Bearer ${token}` },
      })
    ).json()) as {
      tables: {
        fields: {
          name: string;
          options?: { choices?: { id: string; name: string }[] };
        }[];
      }[];
    };
    const status = meta.tables[0]?.fields.find((f) => f.name === "status");
    expect(status?.options?.choices?.map((c) => c.name)).toEqual([
      "planned",
      "done",
      "cancelled",
    ]);
    expect(
      status?.options?.choices?.every((c) => /^sel[A-Za-z0-9]{14}$/.test(c.id)),
    ).toBe(true);
  });
});
