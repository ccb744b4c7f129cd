import { Api, GrammyError } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

const keyboard = {
  inline_keyboard: [[{ text: "Поехали", callback_data: "go:run-1" }]],
};

let clock: number;
let emu: TelegramEmulator;
let bot: { id: number; token: string; username: string };
let api: Api;
let chatId: number;

async function press(
  messageId: number,
  from = { id: 1002, first_name: "Борис" },
  data?: string,
) {
  const response = await fetch(`${emu.apiRoot}/_emulator/press`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      chat_id: chatId,
      message_id: messageId,
      from,
      ...(data === undefined ? {} : { callback_data: data }),
    }),
  });
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
}

beforeEach(async () => {
  clock = Date.parse("2025-01-02T03:04:05.678Z");
  emu = await TelegramEmulator.start({ now: () => clock });
  bot = emu.createBot({ username: "poekhali_test_bot", firstName: "Поехали" });
  api = new Api(bot.token, { apiRoot: emu.apiRoot });
  chatId = emu.createChat({ type: "supergroup", title: "poekhali sandbox" }).id;
  emu.createUser({ id: 1002, firstName: "Борис" });
});

afterEach(async () => {
  await emu.close();
});

describe("TelegramEmulator with grammY", () => {
  it("creates bots with Telegram-shaped tokens and supergroups with -100 ids", () => {
    expect(bot.token).toMatch(new RegExp(`^${bot.id}:[A-Za-z0-9_-]{35}$`));
    expect(String(chatId)).toMatch(/^-100\d{10}$/);
    expect(emu.createChat({ type: "group" }).id).toBeLessThan(0);
    expect(emu.apiRoot).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it("answers getMe with the bot user", async () => {
    const me = await api.getMe();
    expect(me).toMatchObject({
      id: bot.id,
      is_bot: true,
      username: "poekhali_test_bot",
      first_name: "Поехали",
    });
  });

  it("stores a sent message with its inline keyboard and increasing ids per chat", async () => {
    const first = await api.sendMessage(chatId, "Нажмите «Поехали»", {
      reply_markup: keyboard,
    });
    const second = await api.sendMessage(String(chatId), "second");
    expect(first).toMatchObject({
      message_id: 1,
      from: { id: bot.id, is_bot: true },
      chat: { id: chatId, type: "supergroup", title: "poekhali sandbox" },
      date: Math.floor(clock / 1000),
      text: "Нажмите «Поехали»",
      reply_markup: keyboard,
    });
    expect(second.message_id).toBe(2);
    expect(second.reply_markup).toBeUndefined();
  });

  it("delivers a press as a callback_query carrying the stored message", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    const pressed = await press(message.message_id);
    expect(pressed.status).toBe(200);
    const updates = await api.getUpdates();
    expect(updates).toHaveLength(1);
    expect(updates[0]?.update_id).toBe(pressed.body.update_id);
    expect(updates[0]?.callback_query).toMatchObject({
      id: pressed.body.callback_query_id,
      from: { id: 1002, first_name: "Борис", is_bot: false },
      data: "go:run-1",
      message: {
        message_id: message.message_id,
        chat: { id: chatId },
        reply_markup: keyboard,
      },
    });
    expect(typeof updates[0]?.callback_query?.chat_instance).toBe("string");
  });

  it("returns a long poll as soon as a press arrives", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    const started = Date.now();
    const poll = api.getUpdates({ timeout: 5 });
    await emu.whenPolling(bot.id);
    await press(message.message_id);
    const updates = await poll;
    expect(updates.map((update) => update.callback_query?.data)).toEqual([
      "go:run-1",
    ]);
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it("deletes updates older than the confirmed offset", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    await press(message.message_id);
    await press(message.message_id);
    const [first, second] = await api.getUpdates();
    expect(second?.update_id).toBe((first?.update_id ?? 0) + 1);
    const afterConfirm = await api.getUpdates({
      offset: (first?.update_id ?? 0) + 1,
    });
    expect(afterConfirm.map((u) => u.update_id)).toEqual([second?.update_id]);
    expect(
      await api.getUpdates({ offset: (second?.update_id ?? 0) + 1 }),
    ).toEqual([]);
    expect(await api.getUpdates()).toEqual([]);
  });

  it("keeps only the last updates for a negative offset", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    await press(message.message_id);
    const last = await press(message.message_id);
    expect(
      (await api.getUpdates({ offset: -1 })).map((u) => u.update_id),
    ).toEqual([last.body.update_id]);
    expect((await api.getUpdates()).map((u) => u.update_id)).toEqual([
      last.body.update_id,
    ]);
  });

  it("ends the first of two concurrent getUpdates with 409 Conflict", async () => {
    const first = api.getUpdates({ timeout: 5 });
    const failure = first.then(
      () => undefined,
      (error: unknown) => error,
    );
    await emu.whenPolling(bot.id);
    await api.getUpdates({ timeout: 0 });
    const error = await failure;
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({
      error_code: 409,
      description:
        "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running",
    });
  });

  it("accepts an answer to a callback query once", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    const { body } = await press(message.message_id);
    const id = String(body.callback_query_id);
    await expect(
      api.answerCallbackQuery(id, { text: "Поехали!" }),
    ).resolves.toBe(true);
    await expect(api.answerCallbackQuery(id)).rejects.toMatchObject({
      error_code: 400,
      description:
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    });
    const answer = (await (
      await fetch(`${emu.apiRoot}/_emulator/callback_answers/${id}`)
    ).json()) as Record<string, unknown>;
    expect(answer).toEqual({
      ok: true,
      result: { text: "Поехали!", answered_at: Math.floor(clock / 1000) },
    });
  });

  it("refuses an answer more than 15 seconds after the press", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    const { body } = await press(message.message_id);
    clock += 15_001;
    await expect(
      api.answerCallbackQuery(String(body.callback_query_id)),
    ).rejects.toMatchObject({
      error_code: 400,
      description:
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    });
  });

  it("removes the keyboard when editMessageReplyMarkup omits reply_markup, then reports not modified", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    const edited = await api.editMessageReplyMarkup(chatId, message.message_id);
    expect(edited).not.toBe(true);
    expect(edited === true ? undefined : edited.reply_markup).toBeUndefined();
    await expect(
      api.editMessageReplyMarkup(chatId, message.message_id),
    ).rejects.toMatchObject({
      error_code: 400,
      description:
        "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
    });
    const listed = (await (
      await fetch(`${emu.apiRoot}/_emulator/chats/${chatId}/messages`)
    ).json()) as {
      result: Record<string, unknown>[];
    };
    expect(listed.result[0]).not.toHaveProperty("reply_markup");
    expect((await press(message.message_id)).status).toBe(400);
  });

  it("applies the not-modified rule to editMessageText", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    await expect(
      api.editMessageText(chatId, message.message_id, "go?", {
        reply_markup: keyboard,
      }),
    ).rejects.toMatchObject({
      error_code: 400,
    });
    const edited = await api.editMessageText(
      chatId,
      message.message_id,
      "Поехали! ✅",
    );
    expect(edited).toMatchObject({
      text: "Поехали! ✅",
      edit_date: Math.floor(clock / 1000),
    });
    expect(edited === true ? "" : edited.reply_markup).toBeUndefined();
  });

  it("refuses an unknown token with 401 Unauthorized", async () => {
    const stranger = new Api(`${bot.id}:${"x".repeat(35)}`, {
      apiRoot: emu.apiRoot,
    });
    await expect(stranger.getMe()).rejects.toMatchObject({
      error_code: 401,
      description: "Unauthorized",
    });
  });

  it("refuses an unknown chat with 400 chat not found", async () => {
    await expect(api.sendMessage(-1009999999999, "hi")).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: chat not found",
    });
  });

  it("refuses callback_data of 65 bytes with BUTTON_DATA_INVALID", async () => {
    const data = "ы".repeat(32) + "x"; // 65 bytes in UTF-8, 33 characters
    await expect(
      api.sendMessage(chatId, "go?", {
        reply_markup: {
          inline_keyboard: [[{ text: "Поехали", callback_data: data }]],
        },
      }),
    ).rejects.toMatchObject({
      error_code: 400,
      description: "Bad Request: BUTTON_DATA_INVALID",
    });
  });

  it("refuses empty and too long texts", async () => {
    await expect(api.sendMessage(chatId, "")).rejects.toMatchObject({
      description: "Bad Request: message text is empty",
    });
    await expect(
      api.sendMessage(chatId, "я".repeat(4097)),
    ).rejects.toMatchObject({
      description: "Bad Request: message is too long",
    });
  });

  it("deletes messages and refuses to delete them twice", async () => {
    const message = await api.sendMessage(chatId, "bye");
    await expect(api.deleteMessage(chatId, message.message_id)).resolves.toBe(
      true,
    );
    await expect(
      api.deleteMessage(chatId, message.message_id),
    ).rejects.toMatchObject({
      description: "Bad Request: message to delete not found",
    });
  });

  it("drops updates older than 24 hours", async () => {
    const message = await api.sendMessage(chatId, "go?", {
      reply_markup: keyboard,
    });
    await press(message.message_id);
    clock += 24 * 60 * 60 * 1000 + 1;
    expect(await api.getUpdates()).toEqual([]);
  });

  it("ends a pending long poll with an empty result on close", async () => {
    const poll = api.getUpdates({ timeout: 30 });
    await emu.whenPolling(bot.id);
    await emu.close();
    await expect(poll).resolves.toEqual([]);
  });
});
