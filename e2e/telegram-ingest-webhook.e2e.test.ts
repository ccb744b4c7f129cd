import { readFileSync, statSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, sandboxOf, trigger } from "./sandbox.js";

describe("the app in webhook mode", () => {
  let app: AppUnderTest;
  let secret: string;
  let botId: number;
  let adminUrl: string;

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(`${app.url}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const withSecret = (s: string) => ({ "X-Telegram-Bot-Api-Secret-Token": s });
  /**
   * POSTs a body on a connection of its own and resolves with the status, even when the server answers before the
   * body is all sent and closes (as it does past the limit); `chunked` sends it without a Content-Length.
   */
  const postOversized = (body: string, chunked: boolean) =>
    new Promise<number>((resolve, reject) => {
      const req = request(`${app.url}/telegram/webhook`, {
        method: "POST",
        agent: false,
        headers: {
          "content-type": "application/json",
          ...withSecret(secret),
          ...(chunked ? {} : { "content-length": Buffer.byteLength(body) }),
        },
      });
      req.once("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.once("error", reject);
      if (chunked)
        for (let i = 0; i < body.length; i += 64 * 1024)
          req.write(body.slice(i, i + 64 * 1024));
      else req.write(body);
      req.end();
    });
  /** Invocations Restate keeps for an update's idempotency key. */
  const stored = async (updateId: number) => {
    const res = await fetch(`${adminUrl}/query`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
      },
      body: JSON.stringify({
        query: `SELECT id FROM sys_invocation WHERE idempotency_key LIKE 'telegram-update-${botId}-${updateId}-%'`,
      }),
    });
    return ((await res.json()) as { rows: unknown[] }).rows.length;
  };
  const press = (updateId: number) =>
    JSON.stringify({
      update_id: updateId,
      callback_query: {
        id: `cq-${updateId}`,
        from: { id: 1001, is_bot: false, first_name: "Анна", username: "anna" },
        chat_instance: "1",
        data: "poekhali:forged",
        message: {
          message_id: 999_999,
          date: 0,
          chat: { id: -100, type: "supergroup" },
        },
      },
    });

  beforeAll(async () => {
    app = await startApp({ TELEGRAM_UPDATES: "webhook" });
    secret = readFileSync(
      join(app.home, "telegram-webhook-secret"),
      "utf8",
    ).trim();
    botId = Number((await sandboxOf(app)).info.telegram.token.split(":")[0]);
    adminUrl = /admin (http:\/\/\S+?),? /.exec(app.output())?.[1] ?? "";
  });
  afterAll(async () => {
    const token = (await sandboxOf(app)).info.telegram.token;
    expect(app.output()).not.toContain(token);
    expect(app.output()).not.toContain(secret);
    await app?.stop();
  });

  it("sets the webhook with a generated secret kept in POEKHALI_HOME, and a press reaches its run through it", async () => {
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(
      statSync(join(app.home, "telegram-webhook-secret")).mode & 0o077,
    ).toBe(0);
    const sandbox = await sandboxOf(app);
    const bot = (await (
      await fetch(`${sandbox.info.telegram.api_root}/_emulator/bots/${botId}`)
    ).json()) as { result: { webhook_url: string; polling: boolean } };
    expect(bot.result.webhook_url).toBe(`${app.url}/telegram/webhook`);
    expect(app.output()).not.toContain("telegram poller: polling bot");

    const runId = await trigger(app, { dag_run_id: "webhook_1" });
    const message = await sandbox.messageWithButton();
    const pressed = await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    expect((await sandbox.rows()).map((r) => r.fields.username)).toEqual([
      "anna",
    ]);
    expect(await stored(pressed.body.update_id)).toBe(1);
  });

  it("answers 401 and stores nothing without the right secret", async () => {
    expect((await post(press(900_001))).status).toBe(401);
    expect((await post(press(900_002), withSecret("wrong"))).status).toBe(401);
    expect((await post(press(900_003), withSecret(`${secret}x`))).status).toBe(
      401,
    );
    expect(await stored(900_001)).toBe(0);
    expect(await stored(900_002)).toBe(0);
    expect(await stored(900_003)).toBe(0);
  });

  it("answers 400 and stores nothing for a body over 1 MiB, non-JSON, or not an Update", async () => {
    const big = JSON.stringify({
      update_id: 900_010,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: -100, type: "supergroup" },
        text: "x".repeat(1024 * 1024),
      },
    });
    expect(await postOversized(big, false)).toBe(400);
    expect(await postOversized(big, true)).toBe(400);
    expect((await post("{not json", withSecret(secret))).status).toBe(400);
    expect(
      (await post(JSON.stringify({ hello: "world" }), withSecret(secret)))
        .status,
    ).toBe(400);
    expect(
      (
        await post(
          JSON.stringify({ update_id: 900_011, callback_query: { id: 5 } }),
          withSecret(secret),
        )
      ).status,
    ).toBe(400);
    expect(await stored(900_010)).toBe(0);
    expect(await stored(900_011)).toBe(0);
  });

  it("answers 200 once Restate has the update, and takes a retried update once", async () => {
    const first = await post(press(900_020), withSecret(secret));
    expect(first.status).toBe(200);
    expect(await stored(900_020)).toBe(1);
    expect((await post(press(900_020), withSecret(secret))).status).toBe(200);
    await eventually(
      "the retried update to settle",
      async () => (await stored(900_020)) === 1,
    );
    expect(await stored(900_020)).toBe(1);
  });
});
