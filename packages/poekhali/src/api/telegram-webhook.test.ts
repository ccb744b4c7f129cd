import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SECRET_HEADER,
  TelegramHook,
  telegramRouter,
  updateIdempotencyKey,
} from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../restate/temporary-restate.js";
import { WEBHOOK_PATH, telegramWebhook } from "./telegram-webhook.js";

const TOKEN = "424242:AAEwebhook-test-token-0123456789abcdef";
const SECRET = "webhook-test-secret-0123456789abcdefghij";
const BOT_ID = 424242;

/** A press on a message nobody waits on: the router answers it, or, here, only keeps it. */
const update = (updateId: number) =>
  JSON.stringify({
    update_id: updateId,
    callback_query: {
      id: `cq-${updateId}`,
      from: { id: 1001, is_bot: false, first_name: "Анна" },
      chat_instance: "1",
      data: "poekhali:none",
      message: {
        message_id: 7,
        date: 0,
        chat: { id: -100, type: "supergroup" },
      },
    },
  });

/**
 * A request as @hono/node-server hands it over: its text readable straight from the socket, while its `body` stream
 * is built only when asked for; asking for it here fails the request, so a test sees who asked.
 */
function withoutBodyStream(body: string, headers: Record<string, string>) {
  const request = new Request(`http://127.0.0.1${WEBHOOK_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  Object.defineProperty(request, "body", {
    get() {
      throw new Error("the update's body stream was asked for");
    },
  });
  return request;
}

describe("the webhook route", () => {
  let restate: TemporaryRestate;
  let home: string;
  let routes: ReturnType<typeof telegramWebhook>["routes"];
  const stored = async (updateId: number) =>
    (
      await restate.server.query<{ id: string }>(
        `SELECT id FROM sys_invocation WHERE idempotency_key = '${updateIdempotencyKey(BOT_ID, updateId)}'`,
      )
    ).length;

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-webhook-route-");
    // Registered, then closed: Restate keeps what it accepts, and the router never runs against a Telegram.
    const hook = new TelegramHook({
      token: TOKEN,
      apiRoot: "http://127.0.0.1:9",
    });
    const endpoint = await restate.deploy([
      telegramRouter({ hookFor: () => hook }),
    ]);
    await endpoint.stop();
    home = mkdtempSync(join(tmpdir(), "poekhali-webhook-home-"));
    routes = telegramWebhook({
      updates: {
        mode: "webhook",
        webhookUrl: undefined,
        webhookSecret: SECRET,
      },
      live: false,
      home,
      telegram: { token: TOKEN, chatId: "-100", apiRoot: "http://127.0.0.1:9" },
      ingress: restate.ingress,
      log: () => undefined,
    }).routes;
  }, 60_000);
  afterAll(async () => {
    await restate?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });

  it("takes an update with a Content-Length without building a body stream, and Restate has it", async () => {
    const body = update(1);
    const res = await routes.request(
      withoutBodyStream(body, {
        [SECRET_HEADER]: SECRET,
        "content-length": String(Buffer.byteLength(body)),
      }),
    );
    expect(res.status).toBe(200);
    expect(await stored(1)).toBe(1);
  });

  it("refuses a Content-Length over 1 MiB from the header alone (400), and stores nothing", async () => {
    const res = await routes.request(
      withoutBodyStream(update(2), {
        [SECRET_HEADER]: SECRET,
        "content-length": String(1024 * 1024 + 1),
      }),
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { detail: string }).detail).toBe(
      "the body is over 1 MiB: not a Telegram Update",
    );
    expect(await stored(2)).toBe(0);
  });

  it("still counts a body without a Content-Length as it streams in", async () => {
    const big = JSON.stringify({ update_id: 3, pad: "x".repeat(1024 * 1024) });
    const res = await routes.request(`http://127.0.0.1${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { [SECRET_HEADER]: SECRET, "transfer-encoding": "chunked" },
      body: new Blob([big]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(res.status).toBe(400);
    const small = update(4);
    const ok = await routes.request(`http://127.0.0.1${WEBHOOK_PATH}`, {
      method: "POST",
      headers: { [SECRET_HEADER]: SECRET, "transfer-encoding": "chunked" },
      body: new Blob([small]).stream(),
      duplex: "half",
    } as RequestInit);
    expect(ok.status).toBe(200);
    expect(await stored(3)).toBe(0);
    expect(await stored(4)).toBe(1);
  });
});
