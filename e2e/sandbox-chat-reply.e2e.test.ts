import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser } from "playwright-core";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TelegramEmulator } from "@poekhali/emulators";
import { launchChromium } from "./chromium.js";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const WAIT = { timeout: 15_000 };

describe("the sandbox chat page answers a ForceReply as a Telegram app does", () => {
  let emu: TelegramEmulator;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [emu, browser] = await Promise.all([
      TelegramEmulator.start(),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await emu?.close();
  });

  it("opens a reply to the prompt for the user it mentions, sends it as them, and writes plain messages", async () => {
    const bot = emu.createBot({ username: "form_page_bot" });
    const chatId = emu.createChat({ type: "supergroup", title: "Форма" }).id;
    emu.createUser({
      id: 1001,
      username: "anna",
      firstName: "Анна",
      languageCode: "ru",
    });
    emu.createUser({ id: 1002, firstName: "Борис" });
    const api = new Api(bot.token, { apiRoot: emu.apiRoot });
    const request = await api.sendMessage(chatId, "Ship it?");
    const prompt = await api.sendMessage(
      chatId,
      "@anna, why? Reply to this message.",
      {
        reply_parameters: { message_id: request.message_id },
        reply_markup: {
          force_reply: true,
          selective: true,
          input_field_placeholder: "Reason",
        },
      },
    );

    const page = await browser.newPage({
      viewport: { width: 900, height: 600 },
    });
    await page.goto(`${emu.apiRoot}/_emulator/ui/chats/${chatId}`);
    const pressAs = page.getByLabel("Press as");
    const replying = page.locator("#replying");
    const message = page.getByRole("textbox", { name: "Message" });
    // Борис is not the one asked: no reply opens for him.
    await pressAs.selectOption({ label: "Борис" });
    await page.getByText("@anna, why?").waitFor(WAIT);
    expect(await replying.isHidden()).toBe(true);
    // Анна is: her composer replies to the prompt, with its placeholder.
    await pressAs.selectOption({ label: "Анна (@anna)" });
    await replying.getByText("@anna, why?").waitFor(WAIT);
    expect(await message.getAttribute("placeholder")).toBe("Reason");
    await page.screenshot({ path: `${SCREENSHOTS}chat-force-reply.png` });
    await message.fill("tests are green");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByText("tests are green").waitFor(WAIT);
    await replying.waitFor({ state: "hidden", ...WAIT });
    // Then a message that replies to nothing: no ForceReply waits for her any more.
    await message.fill("thanks");
    await page.getByRole("button", { name: "Send" }).click();
    await page
      .locator(".msg .text")
      .filter({ hasText: /^thanks/ })
      .waitFor(WAIT);

    const updates = await api.getUpdates();
    expect(updates.map((u) => u.message)).toMatchObject([
      {
        from: { id: 1001, username: "anna", language_code: "ru" },
        text: "tests are green",
        reply_to_message: { message_id: prompt.message_id },
      },
      { from: { id: 1001 }, text: "thanks" },
    ]);
    expect(updates[1]?.message?.reply_to_message).toBeUndefined();
  });
});
