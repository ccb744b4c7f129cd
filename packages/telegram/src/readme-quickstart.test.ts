import { startSandbox } from "@poekhali/emulators";
import { expect, it } from "vitest";
import { TelegramHook } from "./index.js";

// The README's quickstart, step for step, pointed at the Bot API emulator instead of api.telegram.org.
it("runs the README quickstart: a message with a button is sent, then edited without it", async () => {
  const sandbox = await startSandbox();
  const { telegram } = sandbox.info;

  const hook = new TelegramHook({
    token: telegram.token,
    apiRoot: telegram.api_root,
    defaultChatId: telegram.chat_id,
  });
  const message = await hook.sendMessage({
    text: "Готовы?",
    replyMarkup: {
      inline_keyboard: [[{ text: "Поехали", callback_data: "go" }]],
    },
  });
  await hook.editText(String(message.chat.id), message.message_id, "Поехали!"); // and the keyboard is gone

  const res = await fetch(
    `${telegram.api_root}/_emulator/chats/${telegram.chat_id}/messages`,
  );
  const shown = (
    (await res.json()) as {
      result: { message_id: number; text: string; reply_markup?: unknown }[];
    }
  ).result;
  expect(shown.find((m) => m.message_id === message.message_id)).toMatchObject({
    text: "Поехали!",
  });
  expect(
    shown.find((m) => m.message_id === message.message_id)?.reply_markup,
  ).toBeUndefined();
  expect(hook.botId).toBe(Number(telegram.token.split(":")[0]));
  await sandbox.close();
});
