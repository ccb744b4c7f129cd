import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

let clock: number;
let emu: TelegramEmulator;

beforeEach(async () => {
  clock = Date.parse("2025-09-10T11:12:13.000Z");
  emu = await TelegramEmulator.start({ now: () => clock });
});

afterEach(async () => {
  await emu.close();
});

async function messages(chatId: number) {
  const response = await fetch(
    `${emu.apiRoot}/_emulator/chats/${chatId}/messages`,
  );
  return ((await response.json()) as { result: Record<string, unknown>[] })
    .result;
}

describe("TelegramEmulator chat read-back", () => {
  it("keeps edit_date on a keyboard-only edit and marks it edit_hide, as Telegram apps hide it", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "supergroup" }).id;
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const sent = await api.sendMessage(chatId, "Ready?", {
      reply_markup: {
        inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
      },
    });
    clock += 5_000;
    const edited = await api.editMessageReplyMarkup(chatId, sent.message_id);
    expect(edited).toMatchObject({ edit_date: Math.floor(clock / 1000) });
    expect(edited).not.toHaveProperty("edit_hide");
    expect(edited).not.toHaveProperty("reply_markup");
    expect((await messages(chatId))[0]).toMatchObject({
      edit_date: Math.floor(clock / 1000),
      edit_hide: true,
    });
    clock += 5_000;
    await api.editMessageText(chatId, sent.message_id, "Gone!");
    const [after] = await messages(chatId);
    expect(after).toMatchObject({
      text: "Gone!",
      edit_date: Math.floor(clock / 1000),
    });
    expect(after).not.toHaveProperty("edit_hide");
  });
});
