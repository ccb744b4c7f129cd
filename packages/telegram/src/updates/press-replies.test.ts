import { TelegramEmulator } from "@poekhali/emulators";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramHook } from "../hooks/telegram-hook.js";
import {
  dropKeyboardOnce,
  toastText,
  type MessageRef,
} from "./press-replies.js";

describe("a press's answer (toast)", () => {
  it("is cut to Telegram's 200 characters with …, counting characters as Telegram does", () => {
    expect(toastText("Taken: eu")).toBe("Taken: eu");
    const long = toastText(`Selected: ${"🇪🇺 Europe, ".repeat(40)}`);
    expect([...long]).toHaveLength(200);
    expect(long.endsWith("…")).toBe(true);
    expect(toastText("x".repeat(200))).toBe("x".repeat(200));
  });
});

describe("dropping a taken press's keyboard at once", () => {
  let emu: TelegramEmulator;
  let hook: TelegramHook;
  let botId: number;
  let token: string;
  let target: MessageRef;
  let logged: string[];

  beforeEach(async () => {
    emu = await TelegramEmulator.start();
    const bot = emu.createBot({ username: "drop_test_bot" });
    botId = bot.id;
    token = bot.token;
    hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
    const chat = String(
      emu.createChat({ type: "supergroup", title: "drop tests" }).id,
    );
    const sent = await hook.sendMessage({
      chatId: chat,
      text: "Поехали?",
      replyMarkup: {
        inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
      },
    });
    target = { bot_id: bot.id, chat_id: chat, message_id: sent.message_id };
    logged = [];
  });
  afterEach(async () => {
    await emu.close();
  });

  const drop = (withinMs = 1_500) =>
    dropKeyboardOnce(hook, target, withinMs, (m) => logged.push(m));
  const outcomes = () =>
    emu
      .calls(botId, "editMessageReplyMarkup")
      .map((call) => call.error_code ?? "ok");

  it("drops the keyboard: true", async () => {
    await expect(drop()).resolves.toBe(true);
    expect(outcomes()).toEqual(["ok"]);
    expect(logged).toEqual([]);
  });

  it("takes Telegram's refusal (400) as final: true, logged", async () => {
    emu.injectFault(botId, {
      method: "editMessageReplyMarkup",
      error_code: 400,
      description: "Bad Request: message to edit not found",
    });
    await expect(drop()).resolves.toBe(true);
    expect(logged).toEqual([
      expect.stringContaining("message to edit not found"),
    ]);
  });

  it("does not wait out flood control: the first 429 is false at once, logged once with its retry_after", async () => {
    emu.injectFault(botId, {
      method: "editMessageReplyMarkup",
      error_code: 429,
      retry_after: 1,
    });
    const started = performance.now();
    await expect(drop(10_000)).resolves.toBe(false);
    // auto-retry would have waited the second out and tried again.
    expect(performance.now() - started).toBeLessThan(900);
    expect(outcomes()).toEqual([429]);
    expect(logged).toEqual([
      expect.stringMatching(/removeKeyboard: .*429.*retry after 1/),
    ]);
    expect(logged.join()).not.toContain(token);
  });

  it("gives up on a hung Telegram within its bound: false, logged once", async () => {
    emu.injectFault(botId, {
      method: "editMessageReplyMarkup",
      delay_ms: 60_000,
      error_code: 502,
    });
    const started = performance.now();
    await expect(drop(300)).resolves.toBe(false);
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(logged).toEqual([
      expect.stringContaining("no answer within 300 ms"),
    ]);
    expect(logged.join()).not.toContain(token);
  });
});
