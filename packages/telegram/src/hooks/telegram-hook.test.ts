import { createServer } from "node:net";
import { TelegramEmulator } from "@poekhali/emulators";
import { Api } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramError } from "../errors.js";
import { SendLimiter } from "./send-limiter.js";
import { TelegramHook } from "./telegram-hook.js";

let clock: number;
let emu: TelegramEmulator;
let bot: { id: number; token: string };
let group: string;

beforeEach(async () => {
  clock = Date.parse("2025-06-07T08:09:10.000Z");
  emu = await TelegramEmulator.start({ now: () => clock });
  bot = emu.createBot({ username: "hook_test_bot" });
  group = String(
    emu.createChat({ type: "supergroup", title: "hook tests" }).id,
  );
});

afterEach(async () => {
  await emu.close();
});

const outcomes = (method: string) =>
  emu.calls(bot.id, method).map((call) => call.error_code ?? "ok");

describe("TelegramHook", () => {
  it("waits out a 429 on sendMessage through auto-retry and sends once", async () => {
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
    });
    emu.injectFault(bot.id, {
      method: "sendMessage",
      error_code: 429,
      retry_after: 1,
    });
    const sent = await hook.sendMessage({ chatId: group, text: "после паузы" });
    expect(sent.text).toBe("после паузы");
    expect(outcomes("sendMessage")).toEqual([429, "ok"]);
  });

  it("fails as a retryable TelegramError when retry_after is longer than it may wait", async () => {
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
      autoRetry: { maxDelaySeconds: 5 },
    });
    emu.injectFault(bot.id, {
      method: "sendMessage",
      error_code: 429,
      retry_after: 30,
    });
    const error = await hook
      .sendMessage({ chatId: group, text: "x" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TelegramError);
    expect(error).toMatchObject({ errorCode: 429, retryable: true });
    expect(outcomes("sendMessage")).toEqual([429]);
  });

  it("leaves a 5xx to the caller's durable retries instead of backing off inside the call", async () => {
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
    });
    emu.injectFault(bot.id, { method: "sendMessage", error_code: 502 });
    await expect(
      hook.sendMessage({ chatId: group, text: "x" }),
    ).rejects.toMatchObject({ errorCode: 502, retryable: true });
    expect(outcomes("sendMessage")).toEqual([502]);
  });

  it("reports an unreachable server at once rather than retrying the network forever", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: `http://127.0.0.1:${port}`,
    });
    const error = await hook
      .sendMessage({ chatId: group, text: "x" })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: "TelegramError",
      errorCode: 0,
      retryable: true,
    });
    expect((error as Error).message).not.toContain(bot.token);
  });

  it("spaces 21 messages to one group: the 21st reaches Telegram a minute after the first", async () => {
    // The limiter and the emulator share one fake clock: waiting a minute moves it on, and the emulator stamps calls with it.
    const limiter = new SendLimiter(undefined, {
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    });
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
      limiter,
    });
    const start = clock;
    for (let i = 1; i <= 21; i++)
      await hook.sendMessage({ chatId: group, text: `сообщение ${i}` });
    const times = emu
      .calls(bot.id, "sendMessage")
      .map((call) => call.time - start);
    expect(times).toEqual([...Array<number>(20).fill(0), 60_000]);
  });

  it("sends to another server than Telegram's without spacing, unless its connection asks for it", async () => {
    const hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
    const start = clock;
    for (let i = 1; i <= 21; i++)
      await hook.sendMessage({ chatId: group, text: `без паузы ${i}` });
    expect(
      emu.calls(bot.id, "sendMessage").every((call) => call.time === start),
    ).toBe(true);
    const connection = {
      connId: "tg",
      connType: "telegram",
      password: bot.token,
      extra: { rate_limit: "sometimes" },
    };
    expect(() => TelegramHook.fromConnection(connection)).toThrow(
      /rate_limit must be "on" or "off"/,
    );
  });

  it("sends with parse_mode, so Telegram turns the markup into entities", async () => {
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
      defaultChatId: group,
    });
    const sent = await hook.sendMessage({
      text: "<b>Едем</b> в 9:00",
      parseMode: "HTML",
    });
    expect(sent.text).toBe("Едем в 9:00");
    expect(sent.entities).toEqual([{ type: "bold", offset: 0, length: 4 }]);
  });

  it("remembers the callback queries it answered, or that Telegram will take no answer for, and no others", async () => {
    const hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
    const user = emu.createUser({ id: 55_001, firstName: "Ann" });
    const sent = await hook.sendMessage({
      chatId: group,
      text: "go?",
      replyMarkup: { inline_keyboard: [[{ text: "Go", callback_data: "go" }]] },
    });
    const press = async () => {
      const res = await fetch(`${emu.apiRoot}/_emulator/press`, {
        method: "POST",
        body: JSON.stringify({
          chat_id: Number(group),
          message_id: sent.message_id,
          from: { id: user.id },
        }),
      });
      return ((await res.json()) as { callback_query_id: string })
        .callback_query_id;
    };
    const [answered, elsewhere, busy, broken] = [
      await press(),
      await press(),
      await press(),
      await press(),
    ];
    await hook.answerCallbackQuery(answered, "ok");
    expect(hook.answeredLately(answered)).toBe(true);
    // Answered by another process: Telegram refuses this one, and would refuse any later one.
    await new Api(bot.token, { apiRoot: emu.apiRoot }).answerCallbackQuery(
      elsewhere,
    );
    await expect(hook.answerCallbackQuery(elsewhere)).rejects.toThrow(
      /query is too old/,
    );
    expect(hook.answeredLately(elsewhere)).toBe(true);
    // A 429 or another refusal leaves the query open to a later answer.
    emu.injectFault(bot.id, {
      method: "answerCallbackQuery",
      error_code: 429,
      retry_after: 30,
    });
    await expect(
      hook.answerCallbackQuery(busy, "x", { waitOutRateLimits: false }),
    ).rejects.toThrow(/429/);
    expect(hook.answeredLately(busy)).toBe(false);
    emu.injectFault(bot.id, {
      method: "answerCallbackQuery",
      error_code: 400,
      description: "Bad Request: MESSAGE_TOO_LONG",
    });
    await expect(hook.answerCallbackQuery(broken, "x")).rejects.toThrow(
      /MESSAGE_TOO_LONG/,
    );
    expect(hook.answeredLately(broken)).toBe(false);
  });

  it("says false, not an error, when an edit leaves the message as it was", async () => {
    const hook = new TelegramHook({
      token: bot.token,
      apiRoot: emu.apiRoot,
    });
    const sent = await hook.sendMessage({ chatId: group, text: "до" });
    await expect(
      hook.editMessage({
        chatId: group,
        messageId: sent.message_id,
        text: "после",
      }),
    ).resolves.toBe(true);
    await expect(
      hook.editMessage({
        chatId: group,
        messageId: sent.message_id,
        text: "после",
      }),
    ).resolves.toBe(false);
    await expect(
      hook.editMessage({ chatId: group, messageId: 9_999, text: "нет" }),
    ).rejects.toMatchObject({ errorCode: 400 });
  });
});
