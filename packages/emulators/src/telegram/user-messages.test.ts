import { Api, Bot } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EmulatorUsageError } from "../errors.js";
import { TelegramEmulator } from "./telegram-emulator.js";

let clock: number;
let emu: TelegramEmulator;

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${emu.apiRoot}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
}

beforeEach(async () => {
  clock = Date.parse("2025-05-06T07:08:09.000Z");
  emu = await TelegramEmulator.start({ now: () => clock });
});

afterEach(async () => {
  await emu.close();
});

describe("TelegramEmulator control API: bots, chats and users", () => {
  it("creates a bot, a group and a user over HTTP", async () => {
    const created = await control("POST", "/bots", {
      username: "http_made_bot",
      first_name: "Made",
    });
    const bot = created.body.result as { id: number; token: string };
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    await expect(api.getMe()).resolves.toMatchObject({
      id: bot.id,
      username: "http_made_bot",
      first_name: "Made",
      is_bot: true,
    });
    const chat = (
      await control("POST", "/chats", { type: "group", title: "G" })
    ).body.result as { id: number; type: string };
    expect(chat.id).toBeLessThan(0);
    await expect(api.getChat(chat.id)).resolves.toMatchObject({
      type: "group",
      title: "G",
    });
    expect(
      (
        await control("POST", "/users", {
          id: 77,
          first_name: "Ира",
          username: "ira",
        })
      ).body.result,
    ).toEqual({ id: 77, is_bot: false, first_name: "Ира", username: "ira" });
    const again = await control("POST", "/users", {
      id: 77,
      first_name: "Ира",
    });
    expect(again).toEqual({
      status: 400,
      body: { ok: false, description: "user 77 already exists" },
    });
    expect((await control("POST", "/chats", { type: "channel" })).status).toBe(
      400,
    );
  });
});

describe("TelegramEmulator control API: user messages", () => {
  it("queues a user's message as a message update, /commands marked as bot_command", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "supergroup", title: "S" }).id;
    emu.createUser({ id: 5, firstName: "Ann", username: "ann" });
    const posted = await control("POST", "/messages", {
      chat_id: chatId,
      from: { id: 5 },
      text: "/start@emulated_bot now",
    });
    expect(posted.body.updates).toEqual([
      { bot_id: bot.id, update_id: expect.any(Number) },
    ]);
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const [update] = await api.getUpdates();
    expect(update?.message).toEqual({
      message_id: 1,
      from: { id: 5, is_bot: false, first_name: "Ann", username: "ann" },
      chat: { id: chatId, type: "supergroup", title: "S" },
      date: Math.floor(clock / 1000),
      text: "/start@emulated_bot now",
      entities: [{ type: "bot_command", offset: 0, length: 19 }],
    });
  });

  it("posts a reply to the bot's message with reply_to_message", async () => {
    const bot = emu.createBot();
    emu.createUser({ id: 9, firstName: "Dan" });
    const chatId = emu.createChat({ type: "private", id: 9 }).id;
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const asked = await api.sendMessage(chatId, "Which city?");
    const reply = emu.postUserMessage({
      chatId,
      fromId: 9,
      text: "Kazan",
      replyToMessageId: asked.message_id,
    });
    expect(reply.message.reply_to_message).toMatchObject({
      message_id: asked.message_id,
      from: { id: bot.id, is_bot: true },
      text: "Which city?",
    });
    const [update] = await api.getUpdates();
    expect(update?.message?.reply_to_message?.message_id).toBe(
      asked.message_id,
    );
    expect(update?.message?.chat).toEqual({
      id: 9,
      type: "private",
      first_name: "Dan",
    });
    const missing = await control("POST", "/messages", {
      chat_id: chatId,
      from: { id: 9 },
      text: "?",
      reply_to_message_id: 999,
    });
    expect(missing.status).toBe(404);
  });

  it("delivers a user's message to every bot unless bot_id names one", async () => {
    const first = emu.createBot();
    const second = emu.createBot();
    const chatId = emu.createChat({ type: "group" }).id;
    expect(() =>
      emu.postUserMessage({ chatId, fromId: 3, text: "who?" }),
    ).toThrow(EmulatorUsageError);
    emu.createUser({ id: 3, firstName: "Eve" });
    expect(
      emu
        .postUserMessage({ chatId, fromId: 3, text: "all" })
        .updates.map((u) => u.bot_id),
    ).toEqual([first.id, second.id]);
    expect(
      emu
        .postUserMessage({ chatId, fromId: 3, text: "one", botId: second.id })
        .updates.map((u) => u.bot_id),
    ).toEqual([second.id]);
    const firstApi = new Api(first.token, { apiRoot: emu.apiRoot });
    expect((await firstApi.getUpdates()).map((u) => u.message?.text)).toEqual([
      "all",
    ]);
  });

  it("lets a bot reply with reply_parameters and refuses a reply to a missing message", async () => {
    const bot = emu.createBot();
    const chatId = emu.createChat({ type: "supergroup" }).id;
    emu.createUser({ id: 4, firstName: "Fay" });
    const question = emu.postUserMessage({ chatId, fromId: 4, text: "ping" });
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const answer = await api.sendMessage(chatId, "pong", {
      reply_parameters: { message_id: question.message.message_id },
    });
    expect(answer.reply_to_message).toMatchObject({
      text: "ping",
      from: { id: 4 },
    });
    await expect(
      api.sendMessage(chatId, "lost", {
        reply_parameters: { message_id: 404 },
      }),
    ).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: message to be replied not found",
    });
    await expect(
      api.sendMessage(chatId, "anyway", {
        reply_parameters: {
          message_id: 404,
          allow_sending_without_reply: true,
        },
      }),
    ).resolves.not.toHaveProperty("reply_to_message");
  });

  it("drives a grammY Bot: a user's /start gets the bot's reply in the chat", async () => {
    const made = emu.createBot({ username: "poekhali_cmd_bot" });
    const chatId = emu.createChat({ type: "private", id: 11 }).id;
    emu.createUser({ id: 11, firstName: "Gleb" });
    const bot = new Bot(made.token, { client: { apiRoot: emu.apiRoot } });
    let replied: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (replied = resolve));
    bot.command("start", async (ctx) => {
      await ctx.reply(`Hello, ${ctx.from?.first_name ?? "?"}`);
      replied();
    });
    const running = bot.start({ timeout: 10 });
    try {
      await emu.whenPolling(made.id);
      await control("POST", "/messages", {
        chat_id: chatId,
        from: { id: 11 },
        text: "/start",
      });
      await done;
      const messages = (await control("GET", `/chats/${chatId}/messages`)).body
        .result as { text: string; from: { id: number } }[];
      expect(messages.map((m) => [m.from.id, m.text])).toEqual([
        [11, "/start"],
        [made.id, "Hello, Gleb"],
      ]);
    } finally {
      await bot.stop();
      await running;
    }
  });
});
