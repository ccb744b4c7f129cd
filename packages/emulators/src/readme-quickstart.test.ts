import { Api } from "grammy";
import { expect, it } from "vitest";
import { startSandbox } from "./index.js";

// The README's quickstart, step for step.
it("runs the README quickstart: a button press reaches the bot and a row reaches the table", async () => {
  const sandbox = await startSandbox();
  const { telegram, airtable } = sandbox.info;

  const api = new Api(telegram.token, { apiRoot: telegram.api_root });
  const message = await api.sendMessage(telegram.chat_id, "Ready?", {
    reply_markup: {
      inline_keyboard: [[{ text: "Поехали", callback_data: "go" }]],
    },
  });
  await fetch(`${telegram.api_root}/_emulator/press`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      chat_id: telegram.chat_id,
      message_id: message.message_id,
      from: { id: 1001 },
    }),
  });
  const [update] = await api.getUpdates({ timeout: 5 });
  expect(update?.callback_query?.from.username).toBe("anna");

  await fetch(
    `${airtable.endpoint_url}/v0/${airtable.base_id}/${airtable.table}`,
    {
      method: "POST",
      headers: {
        authorization: `Bearer ${airtable.token}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({
        records: [{ fields: { chat_id: telegram.chat_id, username: "anna" } }],
      }),
    },
  );
  expect(
    sandbox.airtable.records(airtable.base_id, airtable.table)[0]?.fields,
  ).toMatchObject({ id: 1, username: "anna" });
  await sandbox.close();
});
