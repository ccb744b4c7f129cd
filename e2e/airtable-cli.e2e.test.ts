import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AirtableEmulator, TG_ACTIONS_TABLE } from "@poekhali/emulators";

const ROOT = new URL("..", import.meta.url).pathname;

/** Runs `poekhali airtable check` with these settings and returns its exit code and output. */
function check(
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    ["packages/poekhali/bin/poekhali.js", "airtable", "check"],
    {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "",
        ...env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) =>
    child.once("exit", (code) => resolve({ code, out })),
  );
}

describe("poekhali airtable check", () => {
  let airtable: AirtableEmulator;
  beforeAll(async () => {
    airtable = await AirtableEmulator.start();
  });
  afterAll(() => airtable.close());

  const envFor = (
    tables = [TG_ACTIONS_TABLE],
    scopes = ["schema.bases:read"],
  ) => {
    const base = airtable.createBase({ name: "b", tables }).id;
    const token = airtable.createToken({ scopes, bases: [base] });
    return {
      AIRTABLE_TOKEN: token,
      AIRTABLE_BASE_ID: base,
      AIRTABLE_ENDPOINT_URL: airtable.endpointUrl,
    };
  };

  it("says ok for the course's table", async () => {
    const { code, out } = await check(envFor());
    expect(code).toBe(0);
    expect(out).toMatch(/^ok: base app\w+, table "tg_actions"/);
  });

  it("names the column and both types, and exits 1, when a column has the wrong type", async () => {
    const fields = TG_ACTIONS_TABLE.fields.map((f) =>
      f.name === "triggered_at"
        ? { name: f.name, type: "singleLineText" as const }
        : f,
    );
    const env = envFor([{ ...TG_ACTIONS_TABLE, id: undefined, fields }]);
    const { code, out } = await check(env);
    expect(code).toBe(1);
    expect(out).toContain(
      'column "triggered_at" is singleLineText; wanted dateTime',
    );
    expect(out).not.toContain(env.AIRTABLE_TOKEN);
  });

  it("warns and exits 0 when the token may not read the schema", async () => {
    const { code, out } = await check(
      envFor([TG_ACTIONS_TABLE], ["data.records:write"]),
    );
    expect(code).toBe(0);
    expect(out).toMatch(/^warning: .*schema\.bases:read/);
  });

  it("names the missing variable", async () => {
    const { code, out } = await check({});
    expect(code).toBe(1);
    expect(out).toContain("AIRTABLE_TOKEN");
  });
});
