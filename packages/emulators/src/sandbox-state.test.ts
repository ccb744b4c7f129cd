import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Airtable from "airtable";
import { Api, InlineKeyboard } from "grammy";
import { afterEach, describe, expect, it } from "vitest";
import { EmulatorUsageError } from "./errors.js";
import { startSandbox } from "./sandbox.js";
import type { Sandbox } from "./sandbox.js";

const dirs: string[] = [];
const running: Sandbox[] = [];

function stateDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "sandbox-state-"));
  dirs.push(dir);
  return dir;
}

async function start(dir: string): Promise<Sandbox> {
  const sandbox = await startSandbox({ stateDir: dir });
  running.push(sandbox);
  return sandbox;
}

/** Posts a message with a button, presses it and reads the press back, as a bot and its user would. */
async function sendAndPress(sandbox: Sandbox, text: string) {
  const { telegram } = sandbox.info;
  const api = new Api(telegram.token, { apiRoot: telegram.api_root });
  const sent = await api.sendMessage(telegram.chat_id, text, {
    reply_markup: new InlineKeyboard().text("Поехали", `go:${text}`),
  });
  const press = (await (
    await fetch(`${telegram.api_root}/_emulator/press`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        chat_id: Number(telegram.chat_id),
        message_id: sent.message_id,
        from: { id: 1001, username: "anna", first_name: "Анна" },
      }),
    })
  ).json()) as { update_id: number };
  return { api, messageId: sent.message_id, updateId: press.update_id };
}

function table(sandbox: Sandbox) {
  const { airtable } = sandbox.info;
  return new Airtable({
    apiKey: airtable.token,
    endpointUrl: airtable.endpoint_url,
    noRetryIfRateLimited: true,
  })
    .base(airtable.base_id)
    .table(airtable.table);
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((sandbox) => sandbox.close()));
  for (const dir of dirs.splice(0))
    rmSync(dir, { recursive: true, force: true });
});

describe("startSandbox with a state directory", () => {
  it("comes back with the same bot, chat, messages, buttons and rows, and ids that go on counting", async () => {
    const dir = stateDir();
    const first = await start(dir);
    const before = await sendAndPress(first, "Готовы?");
    await table(first).create({ chat_id: "1", username: "anna" });
    // No close: the state a client was answered with is on disk already, as after a SIGKILL.
    const second = await start(dir);
    expect(second.info.telegram).toMatchObject({
      token: first.info.telegram.token,
      chat_id: first.info.telegram.chat_id,
    });
    expect(second.info.airtable).toMatchObject({
      token: first.info.airtable.token,
      base_id: first.info.airtable.base_id,
    });
    const messages = (await (
      await fetch(
        `${second.info.telegram.api_root}/_emulator/chats/${second.info.telegram.chat_id}/messages`,
      )
    ).json()) as {
      result: { message_id: number; text: string; reply_markup?: unknown }[];
    };
    expect(messages.result).toEqual([
      expect.objectContaining({
        message_id: before.messageId,
        text: "Готовы?",
        reply_markup: {
          inline_keyboard: [[{ text: "Поехали", callback_data: "go:Готовы?" }]],
        },
      }),
    ]);
    // The press not yet fetched is still pending for the bot.
    const api = new Api(second.info.telegram.token, {
      apiRoot: second.info.telegram.api_root,
    });
    expect(
      (await api.getUpdates({ timeout: 0 })).map((u) => u.update_id),
    ).toEqual([before.updateId]);
    const after = await sendAndPress(second, "Ещё раз?");
    expect(after.messageId).toBe(before.messageId + 1);
    expect(after.updateId).toBe(before.updateId + 1);
    const rows = await table(second).select().all();
    expect(rows.map((row) => row.get("username"))).toEqual(["anna"]);
  });

  it("names the file when the state cannot be read, and leaves it as it is", async () => {
    const dir = stateDir();
    writeFileSync(join(dir, "airtable.json"), "{ half a snapsh");
    const started = startSandbox({ stateDir: dir });
    await expect(started).rejects.toThrow(EmulatorUsageError);
    await expect(startSandbox({ stateDir: dir })).rejects.toThrow(
      join(dir, "airtable.json"),
    );
    expect(readFileSync(join(dir, "airtable.json"), "utf8")).toBe(
      "{ half a snapsh",
    );
  });
});
