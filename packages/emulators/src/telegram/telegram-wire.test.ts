import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

let emu: TelegramEmulator;
let bot: { id: number; token: string };
let chatId: number;

const call = async (method: string, init?: RequestInit) => {
  const response = await fetch(
    `${emu.apiRoot}/bot${bot.token}/${method}`,
    init,
  );
  return {
    status: response.status,
    body: (await response.json()) as Record<string, unknown>,
  };
};
const json = (body: unknown): RequestInit => ({
  method: "POST",
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

beforeEach(async () => {
  emu = await TelegramEmulator.start();
  bot = emu.createBot();
  chatId = emu.createChat({ type: "group", title: "wire" }).id;
});

afterEach(async () => {
  await emu.close();
});

describe("TelegramEmulator wire format", () => {
  it("reads urlencoded bodies with a JSON-encoded reply_markup", async () => {
    const markup = JSON.stringify({
      inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
    });
    const { status, body } = await call("sendMessage", {
      method: "POST",
      body: new URLSearchParams({
        chat_id: String(chatId),
        text: "form",
        reply_markup: markup,
      }),
    });
    expect(status).toBe(200);
    expect(body).toMatchObject({
      ok: true,
      result: { text: "form", reply_markup: JSON.parse(markup) as unknown },
    });
  });

  it("reads multipart bodies and query-string parameters", async () => {
    const form = new FormData();
    form.set("text", "multipart");
    const { body } = await call(`sendMessage?chat_id=${chatId}`, {
      method: "POST",
      body: form,
    });
    expect(body).toMatchObject({
      ok: true,
      result: { text: "multipart", chat: { id: chatId, type: "group" } },
    });
    const viaGet = await call(`sendMessage?chat_id=${chatId}&text=get`);
    expect(viaGet.body).toMatchObject({
      ok: true,
      result: { text: "get", message_id: 2 },
    });
  });

  it("answers 404 Not Found for an unknown method and 400 for malformed JSON", async () => {
    expect(await call("sendRocket")).toEqual({
      status: 404,
      body: { ok: false, error_code: 404, description: "Not Found" },
    });
    const broken = await call("sendMessage", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(broken.status).toBe(400);
    expect(broken.body).toMatchObject({ ok: false, error_code: 400 });
  });

  it("turns HTML parse mode into text and entities", async () => {
    const { body } = await call(
      "sendMessage",
      json({
        chat_id: chatId,
        text: "<b>Поехали</b> &amp; go",
        parse_mode: "HTML",
      }),
    );
    expect(body.result).toMatchObject({
      text: "Поехали & go",
      entities: [{ type: "bold", offset: 0, length: 7 }],
    });
    const bad = await call(
      "sendMessage",
      json({ chat_id: chatId, text: "<blink>x</blink>", parse_mode: "HTML" }),
    );
    expect(bad.body.description).toMatch(
      /^Bad Request: can't parse entities: Unsupported start tag "blink"/,
    );
  });

  it("refuses an unescaped reserved character in MarkdownV2", async () => {
    const bad = await call(
      "sendMessage",
      json({ chat_id: chatId, text: "Done.", parse_mode: "MarkdownV2" }),
    );
    expect(bad.body.description).toBe(
      "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'",
    );
    const good = await call(
      "sendMessage",
      json({ chat_id: chatId, text: "*Done*\\.", parse_mode: "MarkdownV2" }),
    );
    expect(good.body.result).toMatchObject({
      text: "Done.",
      entities: [{ type: "bold", offset: 0, length: 4 }],
    });
  });

  it("remembers allowed_updates and drops presses it excludes", async () => {
    emu.createUser({ id: 7, firstName: "Ann" });
    const sent = await call(
      "sendMessage",
      json({
        chat_id: chatId,
        text: "go",
        reply_markup: {
          inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
        },
      }),
    );
    const messageId = (sent.body.result as { message_id: number }).message_id;
    await call("getUpdates", json({ allowed_updates: ["message"] }));
    const pressed = await fetch(
      `${emu.apiRoot}/_emulator/press`,
      json({ chat_id: chatId, message_id: messageId, from: { id: 7 } }),
    );
    expect(await pressed.json()).toMatchObject({ ok: true, update_id: null });
    expect((await call("getUpdates")).body.result).toEqual([]);
  });

  it("delivers updates to a webhook with the secret token and refuses getUpdates meanwhile", async () => {
    let receive: (value: { secret: unknown; update: unknown }) => void = () =>
      undefined;
    const received = new Promise<{ secret: unknown; update: unknown }>(
      (resolve) => (receive = resolve),
    );
    const hook = createServer((req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        res.end("ok");
        receive({
          secret: req.headers["x-telegram-bot-api-secret-token"],
          update: JSON.parse(text) as unknown,
        });
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
      expect(
        (await call("setWebhook", json({ url, secret_token: "s3cret" }))).body,
      ).toEqual({ ok: true, result: true });
      expect((await call("getUpdates")).status).toBe(409);
      emu.createUser({ id: 8, firstName: "Ben" });
      const sent = await call(
        "sendMessage",
        json({
          chat_id: chatId,
          text: "go",
          reply_markup: {
            inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
          },
        }),
      );
      const messageId = (sent.body.result as { message_id: number }).message_id;
      await fetch(
        `${emu.apiRoot}/_emulator/press`,
        json({ chat_id: chatId, message_id: messageId, from: { id: 8 } }),
      );
      const { secret, update } = await received;
      expect(secret).toBe("s3cret");
      expect(update).toMatchObject({
        callback_query: { data: "go", from: { id: 8, first_name: "Ben" } },
      });
      expect((await call("getWebhookInfo")).body.result).toMatchObject({ url });
    } finally {
      await emu.close();
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});

describe("TelegramEmulator control API", () => {
  it("answers 404 for a press on a missing message and 400 for a missing button", async () => {
    const missing = await fetch(
      `${emu.apiRoot}/_emulator/press`,
      json({
        chat_id: chatId,
        message_id: 99,
        from: { id: 1, first_name: "A" },
      }),
    );
    expect(missing.status).toBe(404);
    const sent = await call(
      "sendMessage",
      json({
        chat_id: chatId,
        text: "go",
        reply_markup: {
          inline_keyboard: [[{ text: "Go", callback_data: "go" }]],
        },
      }),
    );
    const messageId = (sent.body.result as { message_id: number }).message_id;
    const wrong = await fetch(
      `${emu.apiRoot}/_emulator/press`,
      json({
        chat_id: chatId,
        message_id: messageId,
        callback_data: "stop",
        from: { id: 1, first_name: "A" },
      }),
    );
    expect(wrong.status).toBe(400);
    expect(await wrong.json()).toMatchObject({
      ok: false,
      description: expect.stringContaining("stop") as unknown,
    });
  });

  it("lists test users, serves the chat page and 404s an unknown callback answer", async () => {
    emu.createUser({ id: 1001, username: "anna", firstName: "Анна" });
    expect(
      await (await fetch(`${emu.apiRoot}/_emulator/users`)).json(),
    ).toEqual({
      ok: true,
      result: [
        { id: 1001, is_bot: false, first_name: "Анна", username: "anna" },
      ],
    });
    const page = await fetch(`${emu.apiRoot}/_emulator/ui/chats/${chatId}`);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("<h1>wire</h1>");
    expect(
      (await fetch(`${emu.apiRoot}/_emulator/callback_answers/123`)).status,
    ).toBe(404);
  });
});
