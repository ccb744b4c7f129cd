import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmulatorUsageError } from "../errors.js";
import { AirtableEmulator } from "./airtable-emulator.js";

const SCHEMA = {
  bases: [
    {
      id: "appDeclared00000A",
      name: "declared",
      tables: [
        {
          name: "cities",
          fields: [
            { name: "name", type: "singleLineText" },
            {
              name: "region",
              type: "singleSelect",
              options: { choices: [{ name: "Volga" }] },
            },
          ],
          views: [{ id: "viwIgnored0000000", name: "Grid", type: "grid" }],
        },
      ],
    },
  ],
};

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "airtable-schema-"));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function meta(emu: AirtableEmulator, baseId: string, token: string) {
  const response = await fetch(
    `${emu.endpointUrl}/v0/meta/bases/${baseId}/tables`,
    { headers: { authorization: `Bearer ${token}` } },
  );
  return {
    status: response.status,
    body: (await response.json()) as {
      tables: { name: string; fields: { name: string; options?: unknown }[] }[];
    },
  };
}

describe("AirtableEmulator declared bases", () => {
  it("creates the bases of a JSON schema file at start", async () => {
    const path = join(dir, "bases.json");
    await writeFile(path, JSON.stringify(SCHEMA));
    const emu = await AirtableEmulator.start({ schema: path });
    try {
      const token = emu.createToken({
        scopes: ["schema.bases:read"],
        bases: "all",
      });
      const { body } = await meta(emu, "appDeclared00000A", token);
      expect(body.tables.map((t) => t.name)).toEqual(["cities"]);
      expect(body.tables[0]?.fields[1]?.options).toEqual({
        choices: [{ id: expect.stringMatching(/^sel/), name: "Volga" }],
      });
    } finally {
      await emu.close();
    }
  });

  it("names the file and the problem when the schema is wrong", async () => {
    const path = join(dir, "wrong.json");
    await writeFile(
      path,
      JSON.stringify({
        bases: [
          {
            name: "x",
            tables: [{ name: "t", fields: [{ name: "f", type: "formula" }] }],
          },
        ],
      }),
    );
    const started = AirtableEmulator.start({ schema: path });
    await expect(started).rejects.toThrow(EmulatorUsageError);
    await expect(AirtableEmulator.start({ schema: path })).rejects.toThrow(
      `${path}: bases.0.tables.0.fields.0.type`,
    );
    await expect(
      AirtableEmulator.start({ schema: join(dir, "missing.json") }),
    ).rejects.toThrow(/cannot read Airtable schema/);
  });

  it("creates bases and tokens through the control API", async () => {
    const emu = await AirtableEmulator.start();
    try {
      const created = await fetch(`${emu.endpointUrl}/_emulator/bases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "made", tables: SCHEMA.bases[0]?.tables }),
      });
      const base = (await created.json()) as { id: string; tables: unknown[] };
      expect(base.id).toMatch(/^app[A-Za-z0-9]{14}$/);
      const issued = await fetch(`${emu.endpointUrl}/_emulator/tokens`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          scopes: ["data.records:write", "schema.bases:read"],
          bases: [base.id],
        }),
      });
      const { token } = (await issued.json()) as { token: string };
      expect((await meta(emu, base.id, token)).status).toBe(200);
      const write = await fetch(`${emu.endpointUrl}/v0/${base.id}/cities`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: `Bearer ${token}`,
        },
        body: JSON.stringify({
          records: [{ fields: { name: "Kazan", region: "Volga" } }],
        }),
      });
      expect(write.status).toBe(200);
      const refused = await fetch(`${emu.endpointUrl}/_emulator/bases`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "empty", tables: [] }),
      });
      expect(refused.status).toBe(422);
      expect(await refused.json()).toMatchObject({
        error: { type: "INVALID_REQUEST_UNKNOWN" },
      });
    } finally {
      await emu.close();
    }
  });
});
