import Airtable from "airtable";
import { afterEach, describe, expect, it } from "vitest";
import { AirtableEmulator } from "./airtable-emulator.js";
import type { AirtableEmulatorOptions } from "./airtable-emulator.js";
import { TG_ACTIONS_TABLE } from "./tg-actions-table.js";

let clock = 0;
let emu: AirtableEmulator | undefined;

async function start(options: AirtableEmulatorOptions) {
  clock = Date.parse("2025-04-05T06:07:08.000Z");
  emu = await AirtableEmulator.start({ now: () => clock, ...options });
  const bases = [1, 2].map(
    (n) => emu!.createBase({ name: `b${n}`, tables: [TG_ACTIONS_TABLE] }).id,
  );
  const token = emu.createToken({
    scopes: ["data.records:read", "schema.bases:read"],
    bases: "all",
  });
  const url = emu.endpointUrl;
  const get = async (baseId = bases[0] ?? "") => {
    const response = await fetch(`${url}/v0/${baseId}/tg_actions`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return {
      status: response.status,
      retryAfter: response.headers.get("retry-after"),
    };
  };
  const meta = async (baseId = bases[0] ?? "") => {
    const response = await fetch(`${url}/v0/meta/bases/${baseId}/tables`, {
      headers: { authorization: `Bearer ${token}` },
    });
    await response.arrayBuffer();
    return response.status;
  };
  return { bases, token, get, meta };
}

afterEach(async () => {
  await emu?.close();
  emu = undefined;
});

describe("AirtableEmulator rate limit", () => {
  it("is off unless asked for", async () => {
    const { get } = await start({});
    for (let i = 0; i < 20; i += 1) expect((await get()).status).toBe(200);
  });

  it("limits each base on its own and keeps a configurable penalty, telling the rest in Retry-After", async () => {
    const { bases, get } = await start({ rateLimit: { penaltyMs: 2_000 } });
    for (let i = 0; i < 5; i += 1) expect((await get()).status).toBe(200);
    expect(await get()).toEqual({ status: 429, retryAfter: "2" });
    expect((await get(bases[1])).status).toBe(200);
    clock += 1_000;
    expect(await get()).toEqual({ status: 429, retryAfter: "1" });
    clock += 1_000;
    expect((await get()).status).toBe(200);
  });

  it("counts requests over a sliding second", async () => {
    const { get } = await start({ rateLimit: true });
    for (let i = 0; i < 5; i += 1) expect((await get()).status).toBe(200);
    clock += 1_000;
    for (let i = 0; i < 5; i += 1) expect((await get()).status).toBe(200);
    expect(await get()).toEqual({ status: 429, retryAfter: "30" });
  });

  it("gives the official client a 429 when it is told not to retry", async () => {
    const { bases, token } = await start({
      rateLimit: { requestsPerSecond: 1 },
    });
    const table = new Airtable({
      apiKey: token,
      endpointUrl: emu!.endpointUrl,
      noRetryIfRateLimited: true,
    })
      .base(bases[0] ?? "")
      .table("tg_actions");
    await table.select().firstPage();
    await expect(table.select().firstPage()).rejects.toMatchObject({
      statusCode: 429,
      error: "TOO_MANY_REQUESTS",
    });
  });

  it("counts the metadata API against the base's limit, as Airtable does", async () => {
    const { bases, get, meta } = await start({ rateLimit: true });
    for (let i = 0; i < 3; i += 1) expect(await meta()).toBe(200);
    for (let i = 0; i < 2; i += 1) expect((await get()).status).toBe(200);
    expect(await meta()).toBe(429);
    expect(await meta(bases[1])).toBe(200);
  });

  it("logs every REST request with its base and status, for the control API to list", async () => {
    const { bases, get, meta } = await start({
      rateLimit: { requestsPerSecond: 2 },
    });
    await meta();
    await get();
    await get();
    await get(bases[1]);
    expect(emu!.calls(bases[0]).map((c) => c.status)).toEqual([200, 200, 429]);
    expect(emu!.calls(bases[0])[0]).toEqual({
      method: "GET",
      path: `/v0/meta/bases/${bases[0]}/tables`,
      base_id: bases[0],
      status: 200,
      time: clock,
    });
    const listed = await fetch(
      `${emu!.endpointUrl}/_emulator/calls?base=${bases[1]}`,
    );
    expect(((await listed.json()) as { calls: unknown[] }).calls).toHaveLength(
      1,
    );
    await fetch(`${emu!.endpointUrl}/_emulator/calls`, { method: "DELETE" });
    expect(emu!.calls()).toEqual([]);
  });
});
