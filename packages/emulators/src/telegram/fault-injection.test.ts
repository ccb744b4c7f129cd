import { autoRetry } from "@grammyjs/auto-retry";
import { Api, GrammyError } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

let clock: number;
let emu: TelegramEmulator;
let bot: { id: number; token: string };
let api: Api;
let chatId: number;

async function control(method: string, path: string, body?: unknown) {
  const response = await fetch(`${emu.apiRoot}/_emulator${path}`, {
    method,
    headers: { "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return {
    status: response.status,
    body: (await response.json()) as { ok: boolean; result?: unknown },
  };
}

beforeEach(async () => {
  clock = Date.parse("2025-03-04T05:06:07.000Z");
  emu = await TelegramEmulator.start({ now: () => clock });
  bot = emu.createBot({ username: "faulty_bot" });
  api = new Api(bot.token, { apiRoot: emu.apiRoot });
  chatId = emu.createChat({ type: "supergroup", title: "faults" }).id;
});

afterEach(async () => {
  await emu.close();
});

describe("TelegramEmulator fault injection", () => {
  it("answers an injected 429 with parameters.retry_after as Telegram does", async () => {
    await control("POST", `/bots/${bot.id}/faults`, {
      method: "sendMessage",
      error_code: 429,
      retry_after: 7,
    });
    const error = await api.sendMessage(chatId, "hi").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({
      error_code: 429,
      description: "Too Many Requests: retry after 7",
      parameters: { retry_after: 7 },
    });
    await expect(api.sendMessage(chatId, "hi")).resolves.toMatchObject({
      text: "hi",
    });
  });

  it("lets @grammyjs/auto-retry recover from an injected 429", async () => {
    api.config.use(autoRetry({ rethrowHttpErrors: true, maxRetryAttempts: 2 }));
    await control("POST", `/bots/${bot.id}/faults`, {
      method: "sendMessage",
      error_code: 429,
      retry_after: 1,
    });
    const sent = await api.sendMessage(chatId, "after the limit");
    expect(sent.text).toBe("after the limit");
    const calls = (
      await control("GET", `/bots/${bot.id}/calls?method=sendMessage`)
    ).body.result as { ok: boolean; error_code?: number }[];
    expect(calls.map((call) => call.error_code ?? "ok")).toEqual([429, "ok"]);
  });

  it("fails the next N calls with 502, then with 500, then serves normally", async () => {
    emu.injectFault(bot.id, { method: "getMe", error_code: 502, times: 2 });
    emu.injectFault(bot.id, { method: "getme", error_code: 500 });
    const codes: (number | string)[] = [];
    for (let i = 0; i < 4; i += 1) {
      codes.push(
        await api.getMe().then(
          () => "ok",
          (e: unknown) => (e instanceof GrammyError ? e.error_code : "?"),
        ),
      );
    }
    expect(codes).toEqual([502, 502, 500, "ok"]);
    const raw = await fetch(`${emu.apiRoot}/bot${bot.token}/getMe`);
    expect(raw.status).toBe(200);
  });

  it("answers a faulted call with the status equal to error_code and Telegram's description", async () => {
    emu.injectFault(bot.id, { method: "*", error_code: 502 });
    const response = await fetch(
      `${emu.apiRoot}/bot${bot.token}/getChat?chat_id=${chatId}`,
    );
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({
      ok: false,
      error_code: 502,
      description: "Bad Gateway",
    });
  });

  it("holds a call for delay_ms, then answers it normally or with the error", async () => {
    emu.injectFault(bot.id, { method: "getMe", delay_ms: 150 });
    emu.injectFault(bot.id, { method: "getMe", delay_ms: 50, error_code: 500 });
    const started = performance.now();
    await expect(api.getMe()).resolves.toMatchObject({ id: bot.id });
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    await expect(api.getMe()).rejects.toMatchObject({ error_code: 500 });
  });

  it("serves the next call normally after the client of a held call gives up", async () => {
    emu.injectFault(bot.id, { method: "getMe", delay_ms: 60_000 });
    const abort = new AbortController();
    const call = fetch(`${emu.apiRoot}/bot${bot.token}/getMe`, {
      signal: abort.signal,
    });
    await emu.whenCalled(bot.id, "getMe");
    abort.abort();
    await expect(call).rejects.toThrow();
    await expect(api.getMe()).resolves.toMatchObject({ id: bot.id });
  });

  it("lists pending faults, clears them, and refuses a fault that does nothing", async () => {
    await control("POST", `/bots/${bot.id}/faults`, {
      method: "sendMessage",
      error_code: 500,
      times: 3,
    });
    expect(
      (await control("GET", `/bots/${bot.id}/faults`)).body.result,
    ).toEqual([{ method: "sendMessage", error_code: 500, times: 3 }]);
    await control("DELETE", `/bots/${bot.id}/faults`);
    expect(
      (await control("GET", `/bots/${bot.id}/faults`)).body.result,
    ).toEqual([]);
    const refused = await control("POST", `/bots/${bot.id}/faults`, {
      method: "sendMessage",
    });
    expect(refused.status).toBe(400);
    expect(
      (
        await control("POST", "/bots/1/faults", {
          method: "x",
          error_code: 500,
        })
      ).status,
    ).toBe(404);
  });
});

describe("TelegramEmulator call log", () => {
  it("records every call with its method, params and time on the emulator's clock", async () => {
    await api.getMe();
    clock += 1_500;
    await api.sendMessage(chatId, "logged", {
      reply_markup: {
        inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
      },
    });
    await api.sendMessage(-42, "nowhere").catch(() => undefined);
    const { body } = await control("GET", `/bots/${bot.id}/calls`);
    expect(body.result).toEqual([
      { method: "getMe", params: {}, time: clock - 1_500, ok: true },
      {
        method: "sendMessage",
        params: {
          chat_id: chatId,
          text: "logged",
          reply_markup: {
            inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
          },
        },
        time: clock,
        ok: true,
      },
      {
        method: "sendMessage",
        params: { chat_id: -42, text: "nowhere" },
        time: clock,
        ok: false,
        error_code: 400,
      },
    ]);
    expect(emu.calls(bot.id, "SENDMESSAGE")).toHaveLength(2);
    await control("DELETE", `/bots/${bot.id}/calls`);
    expect(emu.calls(bot.id)).toEqual([]);
  });
});
