import { createServer, type Server } from "node:http";
import { AirtableEmulator, TG_ACTIONS_TABLE } from "@poekhali/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AirtableAuthenticationError,
  AirtableInvalidValueError,
  AirtableNetworkError,
  AirtableNotFoundError,
  AirtablePermissionError,
  AirtableRateLimitError,
  AirtableRequestError,
  AirtableServerError,
  AirtableUnknownFieldError,
  type AirtableError,
} from "../errors.js";
import { AirtableHook } from "./airtable-hook.js";

const row = {
  chat_id: "-100123",
  username: "anna",
  triggered_at: "2024-01-01T12:00:00.000Z",
  event_type: "button_press",
  reporter_name: "t",
};

async function refusal(call: () => Promise<unknown>): Promise<AirtableError> {
  try {
    await call();
  } catch (error) {
    return error as AirtableError;
  }
  throw new Error("the call did not fail");
}

describe("AirtableHook against the emulator", () => {
  let airtable: AirtableEmulator;
  let baseId: string;
  let token: string;
  let hook: AirtableHook;
  const as = (t: string, base = baseId) =>
    new AirtableHook({
      token: t,
      baseId: base,
      endpointUrl: airtable.endpointUrl,
    });

  beforeAll(async () => {
    airtable = await AirtableEmulator.start();
    baseId = airtable.createBase({
      name: "airflow101",
      tables: [TG_ACTIONS_TABLE],
    }).id;
    token = airtable.createToken({
      scopes: ["data.records:read", "data.records:write", "schema.bases:read"],
      bases: [baseId],
    });
    hook = as(token);
  });
  afterAll(() => airtable.close());

  it("creates, gets, updates, lists with a formula and sort, and deletes records", async () => {
    const [a, b] = await hook.createRecords("tg_actions", [
      row,
      { ...row, username: "boris" },
    ]);
    expect((await hook.getRecord("tg_actions", a!.id)).fields.username).toBe(
      "anna",
    );
    const [updated] = await hook.updateRecords("tg_actions", [
      { id: b!.id, fields: { event_type: "edited" } },
    ]);
    expect(updated!.fields).toMatchObject({
      username: "boris",
      event_type: "edited",
    });
    const listed = await hook.listRecords("tg_actions", {
      filterByFormula: "{chat_id} = '-100123'",
      sort: [{ field: "username", direction: "desc" }],
      pageSize: 1,
    });
    expect(listed.map((r) => r.fields.username)).toEqual(["boris", "anna"]);
    expect(await hook.deleteRecords("tg_actions", [a!.id, b!.id])).toEqual([
      { id: a!.id, deleted: true },
      { id: b!.id, deleted: true },
    ]);
  });

  it("upserts on merge fields: the same values again update the row instead of adding one", async () => {
    const first = await hook.upsertRecords(
      "tg_actions",
      [{ ...row, username: "vera" }],
      ["chat_id", "username", "triggered_at"],
    );
    const again = await hook.upsertRecords(
      "tg_actions",
      [{ ...row, username: "vera" }],
      ["chat_id", "username", "triggered_at"],
    );
    expect(first.createdRecords).toHaveLength(1);
    expect(again.updatedRecords).toEqual(first.createdRecords);
    expect(
      airtable
        .records(baseId, "tg_actions")
        .filter((r) => r.fields.username === "vera"),
    ).toHaveLength(1);
  });

  it("describes the base's tables", async () => {
    const [table] = await hook.listTables();
    expect(table?.fields.find((f) => f.name === "triggered_at")?.type).toBe(
      "dateTime",
    );
  });

  it("refuses an unknown token with AirtableAuthenticationError", async () => {
    const error = await refusal(() =>
      as("patNOPE.0000").listRecords("tg_actions"),
    );
    expect(error).toBeInstanceOf(AirtableAuthenticationError);
    expect(error).toMatchObject({
      status: 401,
      type: "AUTHENTICATION_REQUIRED",
      retryable: false,
    });
  });

  it("tells a 403 to check the token's scopes and that the base is shared with it", async () => {
    const readOnly = airtable.createToken({
      scopes: ["data.records:read"],
      bases: [baseId],
    });
    const error = await refusal(() =>
      as(readOnly).createRecords("tg_actions", [row]),
    );
    expect(error).toBeInstanceOf(AirtablePermissionError);
    expect(error.message).toMatch(/scopes/);
    expect(error.message).toMatch(/shared with the token/);
    expect(error.message).not.toContain(readOnly);
  });

  it("refuses an unknown base with AirtableNotFoundError", async () => {
    const error = await refusal(() =>
      as(token, "appAAAAAAAAAAAAAA").listRecords("tg_actions"),
    );
    expect(error).toBeInstanceOf(AirtableNotFoundError);
    expect(error.status).toBe(404);
  });

  it("names the refused column and the type it wants for a number in a text column", async () => {
    const error = await refusal(() =>
      hook.createRecords("tg_actions", [{ ...row, chat_id: -100123 }]),
    );
    expect(error).toBeInstanceOf(AirtableInvalidValueError);
    expect(error).toMatchObject({
      status: 422,
      type: "INVALID_VALUE_FOR_COLUMN",
      field: "chat_id",
      wantedType: "singleLineText",
    });
    expect(error.message).toContain(
      'column "chat_id" is singleLineText and wants a string',
    );
  });

  it("names a refused column's type from its latest read of the schema, without another request", async () => {
    const fresh = as(token);
    await fresh.listTables();
    const before = airtable.calls(baseId).length;
    const error = await refusal(() =>
      fresh.createRecords("tg_actions", [{ ...row, chat_id: -1 }]),
    );
    expect(error).toMatchObject({ wantedType: "singleLineText" });
    // The refused create, and no metadata request after it.
    expect(
      airtable
        .calls(baseId)
        .slice(before)
        .map((c) => c.path),
    ).toEqual([`/v0/${baseId}/tg_actions`]);
  });

  it("refuses an unknown column with AirtableUnknownFieldError", async () => {
    const error = await refusal(() =>
      hook.createRecords("tg_actions", [{ ...row, chatid: "x" }]),
    );
    expect(error).toBeInstanceOf(AirtableUnknownFieldError);
    expect(error.type).toBe("UNKNOWN_FIELD_NAME");
  });

  it("refuses a bad formula with AirtableRequestError", async () => {
    const error = await refusal(() =>
      hook.listRecords("tg_actions", { filterByFormula: "{chat_id" }),
    );
    expect(error).toBeInstanceOf(AirtableRequestError);
    expect(error.status).toBe(422);
  });

  it("reports a 429 with the penalty Airtable announces", async () => {
    const limited = await AirtableEmulator.start({ rateLimit: true });
    try {
      const base = limited.createBase({
        name: "b",
        tables: [TG_ACTIONS_TABLE],
      }).id;
      const h = new AirtableHook({
        token: limited.createToken({
          scopes: ["data.records:read"],
          bases: [base],
        }),
        baseId: base,
        endpointUrl: limited.endpointUrl,
      });
      const errors = await Promise.all(
        Array.from({ length: 7 }, () =>
          refusal(() => h.listRecords("tg_actions")).catch(() => null),
        ),
      );
      const error = errors.find(
        (e): e is AirtableRateLimitError => e instanceof AirtableRateLimitError,
      );
      expect(error).toBeInstanceOf(AirtableRateLimitError);
      expect(error).toMatchObject({
        status: 429,
        retryAfterMs: 30_000,
        retryable: true,
      });
    } finally {
      await limited.close();
    }
  });

  describe("when Airtable fails or cannot be reached", () => {
    let failing: Server;
    let url: string;
    beforeAll(async () => {
      // Airtable's answer to an outage: a 503 with its JSON error body.
      failing = createServer((_req, res) =>
        res
          .writeHead(503, { "content-type": "application/json" })
          .end('{"error":{"type":"SERVICE_UNAVAILABLE","message":"down"}}'),
      );
      await new Promise<void>((resolve) =>
        failing.listen(0, "127.0.0.1", resolve),
      );
      const address = failing.address();
      url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    });
    afterAll(
      () => new Promise<void>((resolve) => failing.close(() => resolve())),
    );

    it("reports a 5xx as a retryable AirtableServerError", async () => {
      const error = await refusal(() =>
        new AirtableHook({ token, baseId, endpointUrl: url }).listRecords(
          "tg_actions",
        ),
      );
      expect(error).toBeInstanceOf(AirtableServerError);
      expect(error).toMatchObject({ status: 503, retryable: true });
    });

    it("reports a refused connection as a retryable AirtableNetworkError without the token", async () => {
      const closed = url.replace(/:\d+$/, ":1");
      const error = await refusal(() =>
        new AirtableHook({ token, baseId, endpointUrl: closed }).listRecords(
          "tg_actions",
        ),
      );
      expect(error).toBeInstanceOf(AirtableNetworkError);
      expect(error).toMatchObject({
        status: 0,
        type: "NETWORK_ERROR",
        retryable: true,
      });
      expect(error.message).not.toContain(token);
    });
  });
});
