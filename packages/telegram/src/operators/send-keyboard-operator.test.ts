import {
  StaticConnections,
  taskContext,
  type TaskContext,
} from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import { InlineKeyboard } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SendKeyboardOperator } from "./send-keyboard-operator.js";

let emu: TelegramEmulator;
let bot: { id: number; token: string };
let group: string;
let context: TaskContext;

beforeEach(async () => {
  emu = await TelegramEmulator.start();
  bot = emu.createBot();
  group = String(emu.createChat({ type: "supergroup", title: "keyboards" }).id);
  const connections = new StaticConnections([
    {
      connId: "telegram_default",
      connType: "telegram",
      host: group,
      password: bot.token,
      extra: { api_root: emu.apiRoot },
    },
  ]);
  context = taskContext(
    { connections },
    { dagId: "d", runId: "r1", logicalDate: new Date(), params: {} },
    "links",
    1,
  );
});

afterEach(async () => {
  await emu.close();
});

async function messages(): Promise<
  { message_id: number; text: string; reply_markup?: unknown }[]
> {
  const res = await fetch(`${emu.apiRoot}/_emulator/chats/${group}/messages`);
  return (
    (await res.json()) as {
      result: { message_id: number; text: string; reply_markup?: unknown }[];
    }
  ).result;
}

describe("SendKeyboardOperator", () => {
  it("posts a message with any inline keyboard, rows as given", async () => {
    const keyboard = new InlineKeyboard()
      .url("Расписание", "https://example.org/schedule")
      .row()
      .text("Да", "yes")
      .text("Нет", "no");
    const op = new SendKeyboardOperator({
      taskId: "links",
      text: "Полезное",
      keyboard: keyboard.inline_keyboard,
    });
    const sent = await op.execute(
      { text: "Полезное", keyboard: keyboard.inline_keyboard },
      context,
    );
    expect(sent).toMatchObject({
      bot_id: bot.id,
      chat_id: group,
      text: "Полезное",
    });
    const [shown] = await messages();
    expect(shown).toMatchObject({
      message_id: sent.message_id,
      reply_markup: {
        inline_keyboard: [
          [{ text: "Расписание", url: "https://example.org/schedule" }],
          [
            { text: "Да", callback_data: "yes" },
            { text: "Нет", callback_data: "no" },
          ],
        ],
      },
    });
  });

  it("fails terminally on a keyboard Telegram refuses", async () => {
    const keyboard = [[{ text: "длинно", callback_data: "x".repeat(65) }]];
    const op = new SendKeyboardOperator({
      taskId: "links",
      text: "?",
      keyboard,
    });
    await expect(
      op.execute({ text: "?", keyboard }, context),
    ).rejects.toMatchObject({ name: "TerminalError" });
    expect(await messages()).toEqual([]);
  });
});
