import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

let emu: TelegramEmulator;

beforeEach(async () => {
  emu = await TelegramEmulator.start();
});

afterEach(async () => {
  await emu.close();
});

async function messagesOf(chatId: number): Promise<Record<string, unknown>[]> {
  const response = await fetch(
    `${emu.apiRoot}/_emulator/chats/${chatId}/messages`,
  );
  return ((await response.json()) as { result: Record<string, unknown>[] })
    .result;
}

describe("TelegramEmulator: asking a person for a reply", () => {
  it("sends a selective ForceReply in reply to a message, mentioning a user by id, and takes their reply", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "supergroup", title: "form" }).id;
    emu.createUser({ id: 7, firstName: "Вера", languageCode: "ru" });
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const request = await api.sendMessage(chatId, "Ship it?");
    const prompt = await api.sendMessage(
      chatId,
      '<a href="tg://user?id=7">Вера</a>, why?',
      {
        parse_mode: "HTML",
        reply_parameters: { message_id: request.message_id },
        reply_markup: {
          force_reply: true,
          selective: true,
          input_field_placeholder: "reason",
        },
      },
    );
    // As the Bot API answers: the ForceReply is not part of the Message, the mention is a text_mention.
    expect(prompt.reply_markup).toBeUndefined();
    expect(prompt.reply_to_message?.message_id).toBe(request.message_id);
    expect(prompt.entities).toEqual([
      {
        type: "text_mention",
        offset: 0,
        length: 4,
        user: { id: 7, is_bot: false, first_name: "Вера", language_code: "ru" },
      },
    ]);
    // As a Telegram app gets it: with the ForceReply, which opens the reply for the mentioned user.
    expect((await messagesOf(chatId)).at(-1)).toMatchObject({
      message_id: prompt.message_id,
      force_reply: {
        force_reply: true,
        selective: true,
        input_field_placeholder: "reason",
      },
    });
    emu.postUserMessage({
      chatId,
      fromId: 7,
      text: "tests are green",
      replyToMessageId: prompt.message_id,
    });
    const [update] = await api.getUpdates();
    expect(update?.message).toMatchObject({
      from: { id: 7, first_name: "Вера", language_code: "ru" },
      text: "tests are green",
      reply_to_message: { message_id: prompt.message_id },
    });
    expect(update?.message?.reply_to_message?.reply_markup).toBeUndefined();
  });

  it("attaches nothing for an object whose force_reply is not true, and refuses a malformed one", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "group", title: "g" }).id;
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    await api.sendMessage(chatId, "plain", {
      reply_markup: { force_reply: false } as never,
    });
    expect((await messagesOf(chatId)).at(-1)).not.toHaveProperty("force_reply");
    await expect(
      api.sendMessage(chatId, "bad", {
        reply_markup: { force_reply: true, selective: "yes" } as never,
      }),
    ).rejects.toThrow('field "selective" must be of type Boolean');
  });

  it("keeps a test user's language_code from the control API for the messages they post", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "group", title: "g" }).id;
    const created = await fetch(`${emu.apiRoot}/_emulator/users`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ id: 8, first_name: "Ann", language_code: "en" }),
    });
    expect(((await created.json()) as { result: unknown }).result).toEqual({
      id: 8,
      is_bot: false,
      first_name: "Ann",
      language_code: "en",
    });
    await fetch(`${emu.apiRoot}/_emulator/messages`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chat_id: chatId, from: { id: 8 }, text: "hi" }),
    });
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const [update] = await api.getUpdates();
    expect(update?.message?.from?.language_code).toBe("en");
  });
});
