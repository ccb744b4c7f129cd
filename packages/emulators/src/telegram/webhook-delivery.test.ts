import { createServer } from "node:http";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Api, GrammyError } from "grammy";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

interface Received {
  secret: string | undefined;
  update: { update_id: number; message?: { text: string } };
}

let clock: number;
let emu: TelegramEmulator;
let bot: { id: number; token: string };
let api: Api;
let chatId: number;
const servers: Server[] = [];

/** A webhook receiver that answers each request with the next status of `statuses` (then 200). */
async function receiver(statuses: number[] = [], port = 0) {
  const received: Received[] = [];
  const watchers: (() => void)[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      received.push({
        secret: req.headers["x-telegram-bot-api-secret-token"] as string,
        update: JSON.parse(text) as Received["update"],
      });
      // Answer on a later turn so an overlapping delivery would be seen in flight.
      setImmediate(() => {
        inFlight -= 1;
        res.statusCode = statuses.shift() ?? 200;
        res.end();
        watchers.splice(0).forEach((watch) => watch());
      });
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) =>
    server.listen(port, "127.0.0.1", resolve),
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    maxInFlight: () => maxInFlight,
    async until(count: number): Promise<void> {
      while (received.length < count)
        await new Promise<void>((resolve) => watchers.push(resolve));
    },
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeEach(async () => {
  clock = Date.parse("2025-07-08T09:10:11.000Z");
  emu = await TelegramEmulator.start({
    now: () => clock,
    webhookRetry: { firstDelayMs: 10, maxDelayMs: 40 },
  });
  bot = emu.createBot();
  api = new Api(bot.token, { apiRoot: emu.apiRoot });
  chatId = emu.createChat({ type: "supergroup" }).id;
  emu.createUser({ id: 21, firstName: "Hal" });
});

afterEach(async () => {
  await emu.close();
  await Promise.all(
    servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))),
  );
});

describe("TelegramEmulator webhooks", () => {
  it("retries with backoff while the receiver is down, reports the error, then delivers", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    await api.setWebhook(url, { secret_token: "s3cret" });
    const failed = emu.whenWebhookAttempt(bot.id);
    emu.postUserMessage({ chatId, fromId: 21, text: "are you there?" });
    expect(await failed).toMatchObject({
      ok: false,
      error: expect.stringMatching(/^Connection failed/),
    });
    const info = await api.getWebhookInfo();
    expect(info).toMatchObject({
      url,
      pending_update_count: 1,
      last_error_date: Math.floor(clock / 1000),
      last_error_message: expect.stringMatching(/^Connection failed/),
    });
    const hook = await receiver([], port);
    while (!(await emu.whenWebhookAttempt(bot.id)).ok);
    expect(hook.received).toEqual([
      {
        secret: "s3cret",
        update: expect.objectContaining({
          message: expect.objectContaining({ text: "are you there?" }),
        }),
      },
    ]);
    expect(await api.getWebhookInfo()).toMatchObject({
      pending_update_count: 0,
      last_error_date: Math.floor(clock / 1000),
    });
  });

  it("posts one update at a time, in order, retrying one the receiver answered with 500", async () => {
    const hook = await receiver([500]);
    await api.setWebhook(hook.url, { secret_token: "abc" });
    for (const text of ["one", "two", "three"])
      emu.postUserMessage({ chatId, fromId: 21, text });
    await hook.until(4);
    expect(hook.received.map((r) => r.update.message?.text)).toEqual([
      "one",
      "one",
      "two",
      "three",
    ]);
    expect(hook.received.every((r) => r.secret === "abc")).toBe(true);
    expect(hook.maxInFlight()).toBe(1);
    expect((await api.getWebhookInfo()).last_error_message).toBe(
      "Wrong response from the webhook: 500 Internal Server Error",
    );
  });

  it("refuses getUpdates while a webhook is set, until deleteWebhook", async () => {
    const hook = await receiver();
    await api.setWebhook(hook.url);
    const error = await api.getUpdates().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GrammyError);
    expect(error).toMatchObject({
      error_code: 409,
      description:
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
    });
    await api.deleteWebhook();
    await expect(api.getUpdates()).resolves.toEqual([]);
  });

  it("describes the webhook in getWebhookInfo and forgets it on deleteWebhook", async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/hook`;
    await api.setWebhook(url, { allowed_updates: ["message"] });
    const failed = emu.whenWebhookAttempt(bot.id);
    emu.postUserMessage({ chatId, fromId: 21, text: "queued" });
    await failed;
    expect(await api.getWebhookInfo()).toEqual({
      url,
      has_custom_certificate: false,
      pending_update_count: 1,
      last_error_date: Math.floor(clock / 1000),
      last_error_message: expect.stringMatching(/^Connection failed/),
      max_connections: 40,
      allowed_updates: ["message"],
    });
    await api.deleteWebhook({ drop_pending_updates: true });
    expect(await api.getWebhookInfo()).toEqual({
      url: "",
      has_custom_certificate: false,
      pending_update_count: 0,
    });
  });

  it("drops an undelivered update once it is older than 24 hours", async () => {
    const url = `http://127.0.0.1:${await freePort()}/hook`;
    await api.setWebhook(url);
    const failed = emu.whenWebhookAttempt(bot.id);
    emu.postUserMessage({ chatId, fromId: 21, text: "stale soon" });
    await failed;
    clock += 24 * 60 * 60 * 1000;
    expect((await api.getWebhookInfo()).pending_update_count).toBe(1);
    clock += 1;
    expect((await api.getWebhookInfo()).pending_update_count).toBe(0);
  });
});
