import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

describe("TelegramEmulator callback answer window", () => {
  it("accepts an answer until a configured window ends, then calls the query too old", async () => {
    let clock = Date.parse("2025-06-01T00:00:00.000Z");
    const emu = await TelegramEmulator.start({
      now: () => clock,
      answerWindowMs: 60_000,
    });
    try {
      const bot = emu.createBot();
      const chatId = emu.createChat({ type: "supergroup" }).id;
      emu.createUser({ id: 1, firstName: "Ann" });
      const api = new Api(bot.token, { apiRoot: emu.apiRoot });
      const pressOnce = async () => {
        const sent = await api.sendMessage(chatId, "go?", {
          reply_markup: {
            inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
          },
        });
        const response = await fetch(`${emu.apiRoot}/_emulator/press`, {
          method: "POST",
          body: JSON.stringify({
            chat_id: chatId,
            message_id: sent.message_id,
            from: { id: 1 },
          }),
        });
        return ((await response.json()) as { callback_query_id: string })
          .callback_query_id;
      };
      const early = await pressOnce();
      clock += 60_000;
      await expect(api.answerCallbackQuery(early)).resolves.toBe(true);
      const late = await pressOnce();
      clock += 60_001;
      await expect(api.answerCallbackQuery(late)).rejects.toMatchObject({
        error_code: 400,
        description:
          "Bad Request: query is too old and response timeout expired or query ID is invalid",
      });
    } finally {
      await emu.close();
    }
  });
});
