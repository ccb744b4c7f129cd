import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import {
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "./harness.js";
import { sandboxOf } from "./sandbox.js";
import { launchChromium } from "./chromium.js";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const TASKS = ["check_table", "send_button", "wait_for_press", "write_row"];
// The run page refreshes every 0.7 s and the sensor waits on a real restate-server: allow for a slow machine.
const WAIT = { timeout: 30_000 };

/** The state badge in the row of `taskId` on the run page. */
const taskState = (page: Page, taskId: string): Locator =>
  page
    .getByRole("row")
    .filter({ has: page.getByText(taskId, { exact: true }) })
    .locator(".state");

/** Waits for the run page to show `state` for the run (the badge beside its title). */
const runStateShown = (page: Page, state: string) =>
  page
    .getByRole("heading", { level: 1 })
    .locator(".state")
    .filter({ hasText: new RegExp(`^${state}$`) })
    .waitFor(WAIT);

/** Clicks a header link that opens in a new tab and returns the loaded tab. */
async function openFromHeader(
  context: BrowserContext,
  page: Page,
  name: string,
): Promise<Page> {
  const [tab] = await Promise.all([
    context.waitForEvent("page"),
    page.getByRole("banner").getByRole("link", { name, exact: true }).click(),
  ]);
  await tab.waitForLoadState();
  return tab;
}

describe("the web UI in Chromium", () => {
  let app: AppUnderTest;
  let browser: Browser;
  let context: BrowserContext;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ REPORTER_NAME: "e2e-ui" }),
      launchChromium(),
    ]);
    context = await browser.newContext({
      viewport: { width: 1100, height: 700 },
      locale: "en-GB",
    });
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  it("triggers a run, presses «Поехали» as Борис in the sandbox chat and shows his row in the sandbox table", async () => {
    const page = await context.newPage();
    await page.goto(app.url);
    const dagRow = page.getByRole("row").filter({
      has: page.getByRole("link", {
        name: "telegram_go_button",
        exact: true,
      }),
    });
    await dagRow.waitFor();
    await page.screenshot({
      path: `${SCREENSHOTS}01-dag-list.png`,
      fullPage: true,
    });

    await dagRow.getByRole("button", { name: "Trigger" }).click();
    await page.waitForURL(/\/dags\/telegram_go_button\/runs\/[^/]+$/, WAIT);
    await taskState(page, "wait_for_press")
      .filter({ hasText: /^deferred$/ })
      .waitFor(WAIT);
    await page.screenshot({
      path: `${SCREENSHOTS}02-run-deferred.png`,
      fullPage: true,
    });

    const chat = await openFromHeader(context, page, "Sandbox chat");
    const go = chat.getByRole("button", { name: "Поехали" });
    await go.waitFor(WAIT);
    const pressAs = chat.getByLabel("Press as");
    if ((await pressAs.count()) > 0)
      await pressAs.selectOption({ label: "Борис" });
    await chat.screenshot({ path: `${SCREENSHOTS}03-chat-before-press.png` });
    await go.click();
    // The bot answers the press and then removes the keyboard, so the button goes away.
    await chat.getByRole("status").filter({ hasText: /\S/ }).waitFor(WAIT);
    await go.waitFor({ state: "detached", ...WAIT });
    await chat.screenshot({ path: `${SCREENSHOTS}04-chat-after-press.png` });

    await page.bringToFront();
    await runStateShown(page, "success");
    for (const taskId of TASKS)
      await taskState(page, taskId)
        .filter({ hasText: /^success$/ })
        .waitFor(WAIT);
    expect(
      await page.getByRole("row").locator(".state").allInnerTexts(),
    ).toEqual(TASKS.map(() => "success"));
    await page.screenshot({
      path: `${SCREENSHOTS}05-run-success.png`,
      fullPage: true,
    });

    const table = await openFromHeader(context, page, "Sandbox table");
    await table.getByRole("cell", { name: "Борис", exact: true }).waitFor(WAIT);
    const column = async (name: string) =>
      table
        .getByRole("columnheader", { name, exact: true })
        .evaluate((th: HTMLTableCellElement) => th.cellIndex + 1);
    const [usernameAt, eventTypeAt] = await Promise.all([
      column("username"),
      column("event_type"),
    ]);
    const borisRows = table.locator("tbody tr").filter({
      has: table.locator(`td:nth-child(${usernameAt})`, {
        hasText: /^Борис$/,
      }),
    });
    expect(await borisRows.count()).toBe(1);
    expect(
      await borisRows.locator(`td:nth-child(${eventTypeAt})`).innerText(),
    ).toBe("button_press");
    await table.screenshot({ path: `${SCREENSHOTS}06-table.png` });

    // What the page shows is what Airtable's REST API returns.
    const rows = await (await sandboxOf(app)).rows();
    expect(rows.filter((r) => r.fields.username === "Борис")).toEqual([
      {
        id: expect.any(String),
        createdTime: expect.any(String),
        fields: expect.objectContaining({
          username: "Борис",
          event_type: "button_press",
          reporter_name: "e2e-ui",
        }),
      },
    ]);
    await Promise.all([page.close(), chat.close(), table.close()]);
  });

  it("shows a readable error naming the field when the conf form's timeout is not a duration", async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/telegram_go_button`);
    await page.getByRole("button", { name: "JSON", exact: true }).click();
    await page.getByLabel("Conf as JSON").fill('{"timeout": "soon"}');
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    const error = page.getByRole("alert").filter({ hasText: /timeout/ });
    await error.waitFor(WAIT);
    expect(await error.innerText()).toMatch(/"timeout".*must be a duration/);
    expect(new URL(page.url()).pathname).toBe("/dags/telegram_go_button");
    await page.screenshot({
      path: `${SCREENSHOTS}07-conf-error.png`,
      fullPage: true,
    });
    await page.close();
  });

  it("tells the user a paused DAG refuses the trigger, and triggers again once unpaused", async () => {
    const pause = (is_paused: boolean) =>
      fetch(`${app.url}/api/v2/dags/telegram_go_button`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ is_paused }),
      });
    expect((await pause(true)).status).toBe(200);
    const page = await context.newPage();
    try {
      await page.goto(`${app.url}/dags/telegram_go_button`);
      await page.getByRole("button", { name: "Trigger", exact: true }).click();
      const error = page.getByRole("alert").filter({ hasText: /paused/ });
      await error.waitFor(WAIT);
      expect(new URL(page.url()).pathname).toBe("/dags/telegram_go_button");
      // The conf is fine: the field is not marked as the problem.
      expect(
        await page
          .getByLabel("timeout", { exact: true })
          .getAttribute("aria-invalid"),
      ).toBeNull();
      await page.screenshot({
        path: `${SCREENSHOTS}07b-paused.png`,
        fullPage: true,
      });
    } finally {
      expect((await pause(false)).status).toBe(200);
    }
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    await page.waitForURL(/\/dags\/telegram_go_button\/runs\//, WAIT);
    await page.close();
  });

  it("says so on the run page when there is no such run", async () => {
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/telegram_go_button/runs/never_ran`);
    await page
      .getByRole("alert")
      .filter({ hasText: "There is no run “never_ran” of telegram_go_button." })
      .waitFor(WAIT);
    await page.screenshot({
      path: `${SCREENSHOTS}08-no-such-run.png`,
      fullPage: true,
    });
    await page.close();
  });
});
