import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "./harness.js";
import { launchChromium } from "./chromium.js";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const PASSWORD = "e2e ui password";
const WAIT = { timeout: 30_000 };

describe("the web UI in Chromium with a password set", () => {
  let app: AppUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ POEKHALI_AUTH_PASSWORD: PASSWORD }),
      launchChromium(),
    ]);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it("asks for the login, then triggers a run from the DAG's page with the cookie it set", async () => {
    const context = await browser.newContext({
      viewport: { width: 1100, height: 700 },
      locale: "en-GB",
    });
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/telegram_go_button`);
    await page.waitForURL(/\/login$/, WAIT);
    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill("not it");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("alert").filter({ hasText: "Wrong" }).waitFor(WAIT);
    await page.screenshot({ path: `${SCREENSHOTS}login-refused.png` });

    await page.getByLabel("Username").fill("admin");
    await page.getByLabel("Password").fill(PASSWORD);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${app.url}/`, WAIT);
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === "_token")).toMatchObject({
      httpOnly: true,
      sameSite: "Strict",
    });

    await page
      .getByRole("link", { name: "telegram_go_button", exact: true })
      .click();
    await page.getByLabel("text", { exact: true }).fill("С паролем");
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    await page.waitForURL(/\/dags\/telegram_go_button\/runs\/[^/]+$/, WAIT);
    await page
      .getByRole("row")
      .filter({ has: page.getByText("send_button", { exact: true }) })
      .locator(".state")
      .filter({ hasText: /^success$/ })
      .waitFor(WAIT);
    await page.screenshot({
      path: `${SCREENSHOTS}login-run-page.png`,
      fullPage: true,
    });
    await context.close();
  });

  it("logs in by keyboard alone on a phone, the page fitting its width", async () => {
    const context = await browser.newContext({
      viewport: { width: 390, height: 844 },
    });
    const page = await context.newPage();
    await page.goto(`${app.url}/login`);
    expect(
      await page.evaluate(
        () => document.documentElement.scrollWidth <= window.innerWidth,
      ),
    ).toBe(true);
    // The username field has the focus as the page opens; Tab reaches the password, Enter sends the form.
    await page.keyboard.type("admin");
    await page.keyboard.press("Tab");
    await page.keyboard.type(PASSWORD);
    await page.screenshot({ path: `${SCREENSHOTS}login-390.png` });
    await page.keyboard.press("Enter");
    await page.waitForURL(`${app.url}/`, WAIT);
    await page.getByRole("heading", { name: "DAGs" }).waitFor(WAIT);
    await context.close();
  });

  it("keeps a browser without the cookie out of the API, /api/v2 and /api/v1 alike", async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const res = await page.goto(`${app.url}/api/v2/dags`);
    expect(res?.status()).toBe(401);
    expect(await res?.json()).toEqual({ detail: "Not authenticated" });
    expect((await page.goto(`${app.url}/api/v1/dags`))?.status()).toBe(401);
    await context.close();
  });
});
