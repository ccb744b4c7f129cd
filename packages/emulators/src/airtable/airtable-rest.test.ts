import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { AirtableEmulator } from "./airtable-emulator.js";
import { TG_ACTIONS_TABLE } from "./tg-actions-table.js";

let emu: AirtableEmulator;
let baseId: string;
let token: string;

const request = async (
  method: string,
  path: string,
  body?: unknown,
  bearer: string | null = token,
) => {
  const response = await fetch(`${emu.endpointUrl}${path}`, {
    method,
    headers: {
      "content-type": "application/json",
      ...(bearer === null ? {} : { authorization: `Bearer ${bearer}` }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
};
const press = (username: string, triggeredAt: string) => ({
  fields: {
    chat_id: "-1001",
    username,
    triggered_at: triggeredAt,
    event_type: "button_press",
    reporter_name: "t",
  },
});

beforeEach(async () => {
  emu = await AirtableEmulator.start();
  baseId = emu.createBase({
    name: "airflow101",
    tables: [TG_ACTIONS_TABLE],
  }).id;
  token = emu.createToken({
    scopes: ["data.records:read", "data.records:write", "schema.bases:read"],
    bases: [baseId],
  });
});

afterEach(async () => {
  await emu.close();
});

describe("AirtableEmulator REST API", () => {
  it("makes Airtable-shaped base ids and tokens", () => {
    expect(baseId).toMatch(/^app[A-Za-z0-9]{14}$/);
    expect(token).toMatch(/^pat[A-Za-z0-9]{14}\.[0-9a-f]{64}$/);
  });

  it("creates on the first upsert and updates on the second", async () => {
    const upsert = (eventType: string) => ({
      performUpsert: {
        fieldsToMergeOn: ["chat_id", "username", "triggered_at"],
      },
      records: [
        {
          fields: {
            ...press("anna", "2025-01-01T10:00:00.000Z").fields,
            event_type: eventType,
          },
        },
      ],
    });
    const first = await request(
      "PATCH",
      `/v0/${baseId}/tg_actions`,
      upsert("button_press"),
    );
    expect(first.status).toBe(200);
    const createdId = (first.body.createdRecords as string[])[0];
    expect(first.body).toMatchObject({
      createdRecords: [expect.stringMatching(/^rec/)],
      updatedRecords: [],
    });
    const second = await request(
      "PATCH",
      `/v0/${baseId}/tg_actions`,
      upsert("retried"),
    );
    expect(second.body).toMatchObject({
      createdRecords: [],
      updatedRecords: [createdId],
      records: [{ id: createdId, fields: { event_type: "retried", id: 1 } }],
    });
    expect(emu.records(baseId, "tg_actions")).toHaveLength(1);
  });

  it("refuses an upsert that matches more than one record", async () => {
    await request("POST", `/v0/${baseId}/tg_actions`, {
      records: [
        press("a", "2025-01-01T00:00:00Z"),
        press("b", "2025-01-01T00:00:00Z"),
      ],
    });
    const ambiguous = await request("PATCH", `/v0/${baseId}/tg_actions`, {
      performUpsert: { fieldsToMergeOn: ["chat_id"] },
      records: [{ fields: { chat_id: "-1001" } }],
    });
    expect(ambiguous.status).toBe(422);
  });

  it("describes tables through the metadata API with Airtable's type names", async () => {
    const { status, body } = await request(
      "GET",
      `/v0/meta/bases/${baseId}/tables`,
    );
    expect(status).toBe(200);
    const [described] = body.tables as {
      id: string;
      name: string;
      primaryFieldId: string;
      fields: { name: string; type: string; options?: unknown }[];
      views: unknown[];
    }[];
    expect(described).toMatchObject({
      id: TG_ACTIONS_TABLE.id,
      name: "tg_actions",
      primaryFieldId: TG_ACTIONS_TABLE.fields[0]?.id,
    });
    expect(described?.fields.map((field) => [field.name, field.type])).toEqual([
      ["id", "autoNumber"],
      ["chat_id", "singleLineText"],
      ["username", "singleLineText"],
      ["triggered_at", "dateTime"],
      ["event_type", "singleLineText"],
      ["reporter_name", "singleLineText"],
    ]);
    expect(described?.fields[3]?.options).toMatchObject({ timeZone: "utc" });
    expect(described?.views).toEqual([
      {
        id: expect.stringMatching(/^viw/) as unknown,
        name: "Grid view",
        type: "grid",
      },
    ]);
  });

  it("answers 401 without a valid token", async () => {
    const expected = {
      status: 401,
      body: {
        error: {
          type: "AUTHENTICATION_REQUIRED",
          message: "Authentication required",
        },
      },
    };
    expect(
      await request("GET", `/v0/${baseId}/tg_actions`, undefined, null),
    ).toEqual(expected);
    expect(
      await request(
        "GET",
        `/v0/${baseId}/tg_actions`,
        undefined,
        "patNotAToken",
      ),
    ).toEqual(expected);
  });

  it("answers 403 for a missing scope, a foreign base or an unknown table", async () => {
    const readOnly = emu.createToken({
      scopes: ["data.records:read"],
      bases: "all",
    });
    const otherBase = emu.createBase({
      name: "other",
      tables: [TG_ACTIONS_TABLE],
    }).id;
    const refusals = [
      await request(
        "POST",
        `/v0/${baseId}/tg_actions`,
        { records: [press("a", "2025-01-01T00:00:00Z")] },
        readOnly,
      ),
      await request(
        "GET",
        `/v0/meta/bases/${baseId}/tables`,
        undefined,
        readOnly,
      ),
      await request("GET", `/v0/${otherBase}/tg_actions`),
      await request("GET", `/v0/${baseId}/no_such_table`),
    ];
    for (const refusal of refusals) {
      expect(refusal.status).toBe(403);
      expect(refusal.body).toMatchObject({
        error: { type: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND" },
      });
    }
  });

  it("answers 404 NOT_FOUND for an unknown base", async () => {
    expect(await request("GET", `/v0/appAAAAAAAAAAAAAA/tg_actions`)).toEqual({
      status: 404,
      body: { error: "NOT_FOUND" },
    });
  });

  it("refuses more than 10 records and a dateTime that does not parse", async () => {
    const many = Array.from({ length: 11 }, () =>
      press("a", "2025-01-01T00:00:00Z"),
    );
    expect(
      await request("POST", `/v0/${baseId}/tg_actions`, { records: many }),
    ).toMatchObject({
      status: 422,
      body: { error: { type: "INVALID_RECORDS" } },
    });
    expect(
      await request("POST", `/v0/${baseId}/tg_actions`, {
        records: [press("a", "yesterday")],
      }),
    ).toMatchObject({
      status: 422,
      body: { error: { type: "INVALID_VALUE_FOR_COLUMN" } },
    });
  });

  it("lists through POST listRecords, sorted, with maxRecords and a trailing slash", async () => {
    await request("POST", `/v0/${baseId}/tg_actions/`, {
      records: [
        press("b", "2025-01-02T00:00:00Z"),
        press("a", "2025-01-03T00:00:00Z"),
        press("c", "2025-01-01T00:00:00Z"),
      ],
    });
    const listed = await request(
      "POST",
      `/v0/${baseId}/${TG_ACTIONS_TABLE.id}/listRecords`,
      {
        sort: [{ field: "username", direction: "asc" }],
        maxRecords: 2,
        fields: ["username"],
      },
    );
    expect(listed.body).toEqual({
      records: [
        {
          id: expect.stringMatching(/^rec/) as unknown,
          createdTime: expect.any(String) as unknown,
          fields: { username: "a" },
        },
        {
          id: expect.stringMatching(/^rec/) as unknown,
          createdTime: expect.any(String) as unknown,
          fields: { username: "b" },
        },
      ],
    });
    const query = await request(
      "GET",
      `/v0/${baseId}/tg_actions/?sort%5B0%5D%5Bfield%5D=triggered_at&sort%5B0%5D%5Bdirection%5D=desc`,
    );
    expect(
      (query.body.records as { fields: { username: string } }[]).map(
        (r) => r.fields.username,
      ),
    ).toEqual(["a", "b", "c"]);
  });

  it("deletes records given as records[] query parameters", async () => {
    const created = await request("POST", `/v0/${baseId}/tg_actions`, {
      records: [press("a", "2025-01-01T00:00:00Z")],
    });
    const id = (created.body.records as { id: string }[])[0]?.id ?? "";
    expect(
      await request("DELETE", `/v0/${baseId}/tg_actions?records%5B%5D=${id}`),
    ).toEqual({
      status: 200,
      body: { records: [{ id, deleted: true }] },
    });
  });

  it("answers 429 for 30 seconds past 5 requests per second when rate limiting is on", async () => {
    let clock = 0;
    const limited = await AirtableEmulator.start({
      rateLimit: true,
      now: () => clock,
    });
    try {
      const id = limited.createBase({
        name: "b",
        tables: [TG_ACTIONS_TABLE],
      }).id;
      const key = limited.createToken({
        scopes: ["data.records:read"],
        bases: "all",
      });
      const get = () =>
        fetch(`${limited.endpointUrl}/v0/${id}/tg_actions`, {
          headers: { authorization: `Bearer ${key}` },
        });
      for (let i = 0; i < 5; i += 1) expect((await get()).status).toBe(200);
      const refused = await get();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toEqual({
        errors: [
          {
            error: "RATE_LIMIT_REACHED",
            message: "Rate limit exceeded. Please try again later",
          },
        ],
      });
      clock += 29_000;
      expect((await get()).status).toBe(429);
      clock += 1_001;
      expect((await get()).status).toBe(200);
    } finally {
      await limited.close();
    }
  });

  it("serves records and the table page through the control API", async () => {
    await request("POST", `/v0/${baseId}/tg_actions`, {
      records: [press("anna", "2025-01-01T00:00:00Z")],
    });
    const records = (await (
      await fetch(
        `${emu.endpointUrl}/_emulator/bases/${baseId}/tables/tg_actions/records`,
      )
    ).json()) as {
      records: { fields: Record<string, unknown> }[];
    };
    expect(records.records[0]?.fields).toMatchObject({
      id: 1,
      username: "anna",
    });
    const page = await fetch(
      `${emu.endpointUrl}/_emulator/ui/bases/${baseId}/tables/tg_actions`,
    );
    expect(await page.text()).toContain("triggered_at");
  });
});
