import { isRetryable, type TaskContext } from "@poekhali/core";
import type { TelegramEmulator } from "@poekhali/emulators";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { operatorFixture } from "../../test/operator-fixture.js";
import { SendMessageOperator } from "./send-message-operator.js";

let emu: TelegramEmulator;
let bot: { id: number; token: string };
let group: string;
let context: TaskContext;

beforeEach(async () => {
  ({ emu, bot, group, context } = await operatorFixture("send"));
});

afterEach(async () => {
  await emu.close();
});

describe("SendMessageOperator", () => {
  it("posts the text with its parse_mode to the connection's chat and returns the sent message", async () => {
    const op = new SendMessageOperator({
      taskId: "send",
      text: "<b>Едем?</b> Ответьте",
      parseMode: "HTML",
    });
    const sent = await op.execute(
      { text: "<b>Едем?</b> Ответьте", parseMode: "HTML" },
      context,
    );
    expect(sent).toMatchObject({
      bot_id: bot.id,
      chat_id: group,
      text: "Едем? Ответьте",
    });
    expect(new Date(sent.date).getTime()).toBeGreaterThan(0);
    const [call] = emu.calls(bot.id, "sendMessage");
    expect(call?.params).toMatchObject({ chat_id: group, parse_mode: "HTML" });
  });

  it("posts to the chat it is given instead of the connection's", async () => {
    const other = String(emu.createChat({ type: "group", title: "другой" }).id);
    const op = new SendMessageOperator({
      taskId: "send",
      chatId: other,
      text: "сюда",
    });
    const sent = await op.execute({ chatId: other, text: "сюда" }, context);
    expect(sent.chat_id).toBe(other);
  });

  it("fails for good when Telegram refuses the message, so no retry sends it again", async () => {
    const op = new SendMessageOperator({
      taskId: "send",
      text: "<b>не закрыт",
      parseMode: "HTML",
    });
    const error = await op
      .execute({ text: "<b>не закрыт", parseMode: "HTML" }, context)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TelegramError", retryable: false });
    expect(isRetryable(error)).toBe(false);
    expect((error as Error).message).toContain("can't parse entities");
    expect((error as Error).message).not.toContain(bot.token);
  });

  it("fails retryably when Telegram is down", async () => {
    emu.injectFault(bot.id, { method: "sendMessage", error_code: 500 });
    const op = new SendMessageOperator({ taskId: "send", text: "позже" });
    const error = await op
      .execute({ text: "позже" }, context)
      .catch((e: unknown) => e);
    expect(isRetryable(error)).toBe(true);
    expect(error).toMatchObject({ name: "TelegramError", errorCode: 500 });
  });
});
