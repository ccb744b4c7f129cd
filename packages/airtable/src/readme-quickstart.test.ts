import { AirtableEmulator, TG_ACTIONS_TABLE } from "@poekhali/emulators";
import { expect, it } from "vitest";
import { AirtableHook } from "./index.js";

it("runs the README's quickstart against the emulator", async () => {
  const airtable = await AirtableEmulator.start();
  try {
    const baseId = airtable.createBase({
      name: "airflow101",
      tables: [TG_ACTIONS_TABLE],
    }).id;
    const token = airtable.createToken({
      scopes: ["data.records:read", "data.records:write"],
      bases: [baseId],
    });

    const hook = new AirtableHook({
      token,
      baseId,
      endpointUrl: airtable.endpointUrl,
    });
    const [row] = await hook.createRecords("tg_actions", [
      {
        chat_id: "-1001234567890",
        username: "anna",
        triggered_at: "2024-01-01T12:00:00.000Z",
      },
    ]);
    const found = await hook.listRecords("tg_actions", {
      filterByFormula: "{username} = 'anna'",
    });
    await hook.deleteRecords("tg_actions", [row!.id]);

    expect(found.map((r) => r.id)).toEqual([row!.id]);
    expect(airtable.records(baseId, "tg_actions")).toHaveLength(0);
  } finally {
    await airtable.close();
  }
});
