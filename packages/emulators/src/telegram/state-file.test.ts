import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Api } from "grammy";
import { describe, expect, it } from "vitest";
import { TelegramEmulator } from "./telegram-emulator.js";

describe("TelegramEmulator with a state file", () => {
  it("goes on delivering to a webhook set before the restart, starting with the update it could not deliver", async () => {
    const dir = mkdtempSync(join(tmpdir(), "telegram-state-"));
    const stateFile = join(dir, "telegram.json");
    const received: number[] = [];
    const receiver = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString()));
      req.on("end", () => {
        received.push((JSON.parse(body) as { update_id: number }).update_id);
        res.end();
      });
    });
    await new Promise<void>((resolve) =>
      receiver.listen(0, "127.0.0.1", resolve),
    );
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const first = await TelegramEmulator.start({ stateFile });
    try {
      const bot = first.createBot();
      const chat = first.createChat({ type: "group" });
      const user = first.createUser({ firstName: "Анна" });
      await new Api(bot.token, { apiRoot: first.apiRoot }).setWebhook(url);
      // Refused once, so the update is still queued when the emulator stops.
      receiver.once("request", (_req, res: { statusCode: number }) => {
        res.statusCode = 503;
      });
      const refused = first.whenWebhookAttempt(bot.id);
      const posted = first.postUserMessage({
        chatId: chat.id,
        fromId: user.id,
        text: "hello",
      });
      expect((await refused).ok).toBe(false);
      await first.close();

      const second = await TelegramEmulator.start({ stateFile });
      try {
        const delivered = await second.whenWebhookAttempt(bot.id);
        expect(delivered).toMatchObject({ ok: true });
        expect(received.at(-1)).toBe(posted.updates[0]?.update_id);
        const info = await new Api(bot.token, {
          apiRoot: second.apiRoot,
        }).getWebhookInfo();
        expect(info).toMatchObject({ url, pending_update_count: 0 });
      } finally {
        await second.close();
      }
    } finally {
      await first.close();
      receiver.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
