import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Api } from "grammy";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "./sandbox.js";
import type { Sandbox } from "./sandbox.js";

const OUTPUT = fileURLToPath(new URL("../test-output/", import.meta.url));

let sandbox: Sandbox;
let browser: Browser;

beforeAll(async () => {
  await mkdir(OUTPUT, { recursive: true });
  sandbox = await startSandbox();
  browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
});

afterAll(async () => {
  await browser.close();
  await sandbox.close();
});

describe("sandbox pages in Chromium", () => {
  it("presses «Поехали» as Борис on the chat page and the bot receives his press", async () => {
    const { telegram } = sandbox.info;
    const api = new Api(telegram.token, { apiRoot: telegram.api_root });
    await api.sendMessage(
      telegram.chat_id,
      "Пора ехать! Нажмите кнопку, когда будете готовы.",
      {
        reply_markup: {
          inline_keyboard: [
            [{ text: "Поехали", callback_data: "go:sandbox-run" }],
          ],
        },
      },
    );
    const page = await browser.newPage({
      viewport: { width: 900, height: 640 },
    });
    await page.goto(sandbox.chatPageUrl);
    await expect(
      page.getByRole("heading", { name: "poekhali sandbox" }).isVisible(),
    ).resolves.toBe(true);
    await page.getByLabel("Press as:").selectOption({ label: "Борис" });
    await page.getByRole("button", { name: "Поехали" }).click();
    const [update] = await api.getUpdates({ timeout: 10 });
    expect(update?.callback_query).toMatchObject({
      from: { id: 1002, first_name: "Борис", is_bot: false },
      data: "go:sandbox-run",
    });
    expect(update?.callback_query?.from.username).toBeUndefined();
    await api.answerCallbackQuery(update?.callback_query?.id ?? "", {
      text: "Поехали! Записано.",
    });
    await page
      .getByRole("status")
      .filter({ hasText: "Поехали! Записано." })
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${OUTPUT}chat-page-pressed.png` });
    await api.editMessageReplyMarkup(
      telegram.chat_id,
      update?.callback_query?.message?.message_id ?? 0,
    );
    await page
      .getByRole("button", { name: "Поехали" })
      .waitFor({ state: "detached", timeout: 10_000 });
    await page.screenshot({ path: `${OUTPUT}chat-page.png` });
    await page.close();
  });

  it("shows a user's reply with its quote and says edited only when the text changed", async () => {
    const { telegram } = sandbox.info;
    const api = new Api(telegram.token, { apiRoot: telegram.api_root });
    const question = await api.sendMessage(telegram.chat_id, "Кто едет?", {
      reply_markup: {
        inline_keyboard: [[{ text: "Я", callback_data: "me" }]],
      },
    });
    const page = await browser.newPage({
      viewport: { width: 900, height: 640 },
    });
    await page.goto(sandbox.chatPageUrl);
    const bubble = page.locator(
      `article[data-message-id="${question.message_id}"]`,
    );
    await bubble.getByRole("button", { name: "Я" }).waitFor();
    await api.editMessageReplyMarkup(telegram.chat_id, question.message_id);
    await bubble
      .getByRole("button", { name: "Я" })
      .waitFor({ state: "detached", timeout: 10_000 });
    expect(await bubble.locator(".meta").textContent()).not.toContain("edited");
    const reply = sandbox.telegram.postUserMessage({
      chatId: Number(telegram.chat_id),
      fromId: 1003,
      text: "Я еду!",
      replyToMessageId: question.message_id,
    });
    const replyBubble = page.locator(
      `article[data-message-id="${reply.message.message_id}"]`,
    );
    await replyBubble.locator(".reply").waitFor({ timeout: 10_000 });
    expect(await replyBubble.locator(".reply").textContent()).toContain(
      "Кто едет?",
    );
    await api.editMessageText(
      telegram.chat_id,
      question.message_id,
      "Кто едет? (набор закрыт)",
    );
    await bubble
      .locator(".meta", { hasText: "edited" })
      .waitFor({ timeout: 10_000 });
    await replyBubble
      .locator(".reply", { hasText: "набор закрыт" })
      .waitFor({ timeout: 10_000 });
    await page.screenshot({ path: `${OUTPUT}chat-page-reply.png` });
    await page.close();
  });

  it("shows a written row on the table page, triggered_at to the millisecond in UTC", async () => {
    const { airtable } = sandbox.info;
    const response = await fetch(
      `${airtable.endpoint_url}/v0/${airtable.base_id}/${airtable.table}`,
      {
        method: "POST",
        headers: {
          authorization: `Bearer ${airtable.token}`,
          "content-type": "application/json",
        },
        body: JSON.stringify({
          records: [
            {
              fields: {
                chat_id: sandbox.info.telegram.chat_id,
                username: "anna",
                triggered_at: "2025-05-01T12:34:56.789Z",
                event_type: "button_press",
                reporter_name: "poekhali-sandbox",
              },
            },
          ],
        }),
      },
    );
    expect(response.status).toBe(200);
    const page = await browser.newPage({
      viewport: { width: 1100, height: 420 },
    });
    await page.goto(sandbox.tablePageUrl);
    const cell = page.getByRole("cell", { name: "poekhali-sandbox" });
    await cell.waitFor({ timeout: 10_000 });
    for (const name of [
      "id",
      "chat_id",
      "username",
      "triggered_at",
      "event_type",
      "reporter_name",
    ]) {
      await expect(
        page.getByRole("columnheader", { name, exact: true }).count(),
      ).resolves.toBe(1);
    }
    await expect(
      page
        .getByRole("cell", { name: "2025-05-01 12:34:56.789 UTC", exact: true })
        .isVisible(),
    ).resolves.toBe(true);
    await page.screenshot({ path: `${OUTPUT}table-page.png` });
    await page.close();
  });
});
