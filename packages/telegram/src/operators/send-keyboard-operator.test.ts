import { isRetryable, type TaskContext } from "@poekhali/core";
import type { TelegramEmulator } from "@poekhali/emulators";
import { InlineKeyboard } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { chatMessages, operatorFixture } from "../../test/operator-fixture.js";
import { SendKeyboardOperator } from "./send-keyboard-operator.js";

let emu: TelegramEmulator;
let bot: { id: number; token: string };
let group: string;
let context: TaskContext;

beforeEach(async () => {
  ({ emu, bot, group, context } = await operatorFixture("links"));
});

afterEach(async () => {
  await emu.close();
});

const messages = () => chatMessages(emu, group);

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

  it("fails for good on a keyboard Telegram refuses", async () => {
    const keyboard = [[{ text: "длинно", callback_data: "x".repeat(65) }]];
    const op = new SendKeyboardOperator({
      taskId: "links",
      text: "?",
      keyboard,
    });
    const error = await op
      .execute({ text: "?", keyboard }, context)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TelegramError", retryable: false });
    expect(isRetryable(error)).toBe(false);
    expect(await messages()).toEqual([]);
  });
});
