import { isRetryable, type TaskContext } from "@poekhali/core";
import type { TelegramEmulator } from "@poekhali/emulators";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { operatorFixture } from "../../test/operator-fixture.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import {
  EditMessageOperator,
  type EditMessageArgs,
} from "./edit-message-operator.js";

let emu: TelegramEmulator;
let group: string;
let context: TaskContext;
let hook: TelegramHook;

beforeEach(async () => {
  ({ emu, group, context, hook } = await operatorFixture("edit"));
});

afterEach(async () => {
  await emu.close();
});

type Shown = {
  message_id: number;
  text: string;
  reply_markup?: { inline_keyboard: { text: string }[][] };
};
async function shown(messageId: number): Promise<Shown | undefined> {
  const res = await fetch(`${emu.apiRoot}/_emulator/chats/${group}/messages`);
  return ((await res.json()) as { result: Shown[] }).result.find(
    (m) => m.message_id === messageId,
  );
}

const keyboard = [[{ text: "Ещё", callback_data: "more" }]];

async function edit(args: EditMessageArgs) {
  return new EditMessageOperator({ taskId: "edit", ...args }).execute(
    { text: null, parseMode: null, keyboard: null, ...args },
    context,
  );
}

describe("EditMessageOperator", () => {
  it("replaces the text and sets the keyboard", async () => {
    const sent = await hook.sendMessage({
      chatId: group,
      text: "Набор открыт",
    });
    const message = { chat_id: group, message_id: sent.message_id };
    const edited = await edit({
      message,
      text: "<i>Набор</i> закрыт",
      parseMode: "HTML",
      keyboard,
    });
    expect(edited).toEqual({ ...message, modified: true });
    expect(await shown(sent.message_id)).toMatchObject({
      text: "Набор закрыт",
      reply_markup: { inline_keyboard: [[{ text: "Ещё" }]] },
    });
  });

  it("changes the keyboard alone and keeps the text when no text is given", async () => {
    const sent = await hook.sendMessage({
      chatId: group,
      text: "Выберите",
      replyMarkup: { inline_keyboard: keyboard },
    });
    const message = { chat_id: group, message_id: sent.message_id };
    await edit({
      message,
      keyboard: [[{ text: "Другая", callback_data: "other" }]],
    });
    expect(await shown(sent.message_id)).toMatchObject({
      text: "Выберите",
      reply_markup: { inline_keyboard: [[{ text: "Другая" }]] },
    });
    await edit({ message, keyboard: null });
    const after = await shown(sent.message_id);
    expect(after?.text).toBe("Выберите");
    expect(after?.reply_markup).toBeUndefined();
  });

  it("succeeds with modified: false when the message already reads so", async () => {
    const sent = await hook.sendMessage({ chatId: group, text: "Готово" });
    const message = { chat_id: group, message_id: sent.message_id };
    await expect(edit({ message, text: "Готово" })).resolves.toEqual({
      ...message,
      modified: false,
    });
    await expect(edit({ message, keyboard: null })).resolves.toEqual({
      ...message,
      modified: false,
    });
  });

  it("fails for good on a message that does not exist: core's retry rule will not try again", async () => {
    const error = await edit({
      message: { chat_id: group, message_id: 424242 },
      text: "?",
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: "TelegramError", retryable: false });
    expect(isRetryable(error)).toBe(false);
  });
});
