import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Browser, type Page } from "playwright-core";
import { startSandbox } from "@poekhali/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "./harness.js";
import { launchChromium } from "./chromium.js";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const DAG = "telegram_go_button";
// The pages refresh every 2–2.5 s and the runs wait on a real restate-server: allow for a slow machine.
const WAIT = { timeout: 45_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

/** Whether the page scrolls sideways (what a person on a phone would have to do to see it all). */
const scrollsSideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);

/** The WCAG contrast of each state badge's text on its background, as Chromium computes the colours. */
const badgeContrasts = (page: Page) =>
  page.evaluate(() => {
    const states = [
      "success",
      "failed",
      "upstream_failed",
      "running",
      "queued",
      "scheduled",
      "skipped",
      "up_for_retry",
      "up_for_reschedule",
      "deferred",
      "awaiting_input",
      "none",
    ];
    const rgb = (css: string) =>
      (css.match(/\d+(\.\d+)?/g) ?? []).slice(0, 3).map(Number);
    const lum = (c: number[]) => {
      const [r, g, b] = c.map((v) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
    };
    return Object.fromEntries(
      states.map((state) => {
        const badge = document.createElement("span");
        badge.className = `state s-${state}`;
        badge.textContent = state;
        document.body.append(badge);
        const style = getComputedStyle(badge);
        const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
        badge.remove();
        return [
          state,
          (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
        ] as const;
      }),
    );
  });

describe("the DAG list and the DAG page in Chromium", () => {
  let app: AppUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ REPORTER_NAME: "e2e-ui-dags" }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
  });

  /** Triggers a run through the REST API and returns its id. */
  async function trigger(conf: Record<string, unknown>): Promise<string> {
    const { status, body } = await app.json<{ dag_run_id: string }>(
      `/api/v2/dags/${DAG}/dagRuns`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ conf }),
      },
    );
    expect(status).toBe(200);
    return body.dag_run_id;
  }

  it("lists the DAGs on a phone without sideways scroll, searches by tag and pauses from the switch", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(app.url);
    const rows = page.locator("tr[data-dag-row]");
    // telegram_go_button, its SDK twin and telegram_approval.
    expect(await rows.count()).toBe(3);
    expect(await scrollsSideways(page)).toBe(false);
    // Every Trigger button is within the phone's width.
    for (const box of await Promise.all(
      (await page.getByRole("button", { name: /^Trigger / }).all()).map((b) =>
        b.boundingBox(),
      ),
    ))
      expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    await page.screenshot({
      path: `${SCREENSHOTS}dags-390.png`,
      fullPage: true,
    });

    await page.getByLabel("Search by id or tag").fill("sdk");
    await expect
      .poll(() => page.locator("tr[data-dag-row]:visible").count())
      .toBe(1);
    await page.getByLabel("Search by id or tag").fill("airflow101");
    await expect
      .poll(() => page.locator("tr[data-dag-row]:visible").count())
      .toBe(2);
    await page.getByLabel("Search by id or tag").fill("hitl");
    await expect
      .poll(() => page.locator("tr[data-dag-row]:visible").count())
      .toBe(1);
    await page.getByLabel("Search by id or tag").fill("");

    const toggle = page.getByRole("switch", {
      name: `Active, ${DAG}`,
      exact: true,
    });
    await toggle.click();
    await expect
      .poll(
        async () =>
          (await app.json<{ is_paused: boolean }>(`/api/v2/dags/${DAG}`)).body
            .is_paused,
      )
      .toBe(true);
    await page
      .getByRole("status")
      .filter({ hasText: `${DAG} paused` })
      .waitFor({ state: "attached", ...WAIT });
    await toggle.click();
    await expect
      .poll(
        async () =>
          (await app.json<{ is_paused: boolean }>(`/api/v2/dags/${DAG}`)).body
            .is_paused,
      )
      .toBe(false);
    await context.close();
  });

  it("gives every state badge at least 4.5:1 contrast in the light and the dark theme", async () => {
    for (const colorScheme of ["light", "dark"] as const) {
      const context = await browser.newContext({
        viewport: DESKTOP,
        colorScheme,
      });
      const page = await context.newPage();
      await page.goto(app.url);
      const contrasts = await badgeContrasts(page);
      for (const [state, ratio] of Object.entries(contrasts))
        expect(
          ratio,
          `${state} in the ${colorScheme} theme`,
        ).toBeGreaterThanOrEqual(4.5);
      await page.screenshot({
        path: `${SCREENSHOTS}dags-1280-${colorScheme}.png`,
        fullPage: true,
      });
      await context.close();
    }
  });

  it("triggers from the form (an error next to the timeout field first), and the grid and graph show each task's state live", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/${DAG}`);
    // One labelled field per param: text, duration, checkbox, list.
    for (const name of ["chat_id", "text", "button_text", "timeout"])
      await page.getByLabel(name, { exact: true }).waitFor();
    expect(await page.getByLabel("soft_fail").getAttribute("type")).toBe(
      "checkbox",
    );
    await page.getByRole("group", { name: "allowed_usernames" }).waitFor();

    await page.getByLabel("timeout", { exact: true }).fill("soon");
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    const timeoutError = page.locator("#param-timeout-error");
    await timeoutError.filter({ hasText: "must be a duration" }).waitFor(WAIT);
    expect(
      await page
        .getByLabel("timeout", { exact: true })
        .getAttribute("aria-invalid"),
    ).toBe("true");
    expect(new URL(page.url()).pathname).toBe(`/dags/${DAG}`);
    await page.screenshot({
      path: `${SCREENSHOTS}dag-form-error.png`,
      fullPage: true,
    });

    // The sensor gives up after 5 s and, with soft_fail, the run ends with it and write_row skipped.
    await page.getByLabel("timeout", { exact: true }).fill("5s");
    await page.getByLabel("soft_fail").check();
    await page
      .getByRole("button", { name: "Add to allowed_usernames" })
      .click();
    await page.getByLabel("allowed_usernames item").fill("Борис");
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    await page.waitForURL(new RegExp(`/dags/${DAG}/runs/[^/]+$`), WAIT);
    const runId = decodeURIComponent(
      new URL(page.url()).pathname.split("/").pop()!,
    );
    const run = await app.json<{ conf: Record<string, unknown> }>(
      `/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(runId)}`,
    );
    expect(run.body.conf).toMatchObject({
      timeout: "5s",
      soft_fail: true,
      allowed_usernames: ["Борис"],
    });

    // Opened while the sensor waits: the page changes without a reload.
    await page.goto(`${app.url}/dags/${DAG}`);
    const cell = (task: string, state: string) =>
      page.getByRole("link", {
        name: `${task}, ${runId}, ${state}`,
        exact: true,
      });
    await cell("wait_for_press", "skipped").waitFor(WAIT);
    await cell("write_row", "skipped").waitFor(WAIT);
    await cell("check_table", "success").waitFor(WAIT);
    await cell("send_button", "success").waitFor(WAIT);
    expect(
      await page
        .locator("[data-node]")
        .evaluateAll((nodes) =>
          nodes.map((n) => [
            n.getAttribute("data-node"),
            n.getAttribute("data-state"),
          ]),
        ),
    ).toEqual([
      ["check_table", "success"],
      ["send_button", "success"],
      ["wait_for_press", "skipped"],
      ["write_row", "skipped"],
    ]);
    await page.screenshot({
      path: `${SCREENSHOTS}dag-1280.png`,
      fullPage: true,
    });
    await context.close();
  });

  it("refreshes the DAG list live, pages and filters the grid on the server, and nothing scrolls sideways on a phone or at 200 % zoom", async () => {
    // One run that fails (no soft_fail) and two more that wait, so a page of 2 leaves one for the next.
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    // The DAG list, open before these runs start, shows them as they go without a reload.
    await page.goto(app.url);
    const failed = await trigger({ timeout: "1s" });
    const waiting = [await trigger({}), await trigger({})];
    await page
      .getByRole("link", { name: `run ${failed}, failed`, exact: true })
      .waitFor(WAIT);
    await page
      .getByRole("status")
      .filter({ hasText: `run ${failed}: failed` })
      .waitFor({ state: "attached", ...WAIT });
    await page.goto(`${app.url}/dags/${DAG}?limit=2`);
    const runColumns = () =>
      page
        .locator("table.grid thead a")
        .evaluateAll((links) => links.map((a) => a.getAttribute("aria-label")));
    const newest = await runColumns();
    expect(newest).toHaveLength(2);
    // Newest on the right, as in Airflow 3's grid.
    expect(newest[1]).toMatch(
      new RegExp(`^run ${waiting[1]!.replace(/[.+]/g, "\\$&")}, `),
    );
    expect(await scrollsSideways(page)).toBe(false);
    await page.screenshot({
      path: `${SCREENSHOTS}dag-390.png`,
      fullPage: true,
    });

    // 200 % zoom of a 1280 px window is 640 CSS px wide.
    await page.setViewportSize({ width: 640, height: 400 });
    expect(await scrollsSideways(page)).toBe(false);
    await page.goto(app.url);
    expect(await scrollsSideways(page)).toBe(false);
    await page.goBack();

    await page.getByRole("link", { name: "Older runs" }).click();
    await page.waitForURL(/offset=2/, WAIT);
    expect(await runColumns()).not.toContain(newest[0]);

    await page.goto(`${app.url}/dags/${DAG}`);
    await page.getByRole("checkbox", { name: /^failed/ }).check();
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/state=failed/, WAIT);
    await expect
      .poll(async () => {
        await page.reload();
        return runColumns();
      }, WAIT)
      .toEqual([`run ${failed}, failed`]);
    await context.close();
  });

  it("walks the DAG page by keyboard alone with a visible focus ring, to a grid cell and its run", async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/${DAG}`);
    let focused: { cell: string | null; outline: string } = {
      cell: null,
      outline: "",
    };
    for (let i = 0; i < 40 && !focused.cell; i++) {
      await page.keyboard.press("Tab");
      focused = await page.evaluate(() => {
        const el = document.activeElement as HTMLElement;
        const style = getComputedStyle(el);
        return {
          cell: el.getAttribute("data-cell"),
          outline: `${style.outlineStyle} ${style.outlineWidth}`,
        };
      });
    }
    expect(focused.cell).not.toBeNull();
    expect(focused.outline).toBe("solid 3px");
    await page.keyboard.press("Enter");
    await page.waitForURL(new RegExp(`/dags/${DAG}/runs/`), WAIT);
    await context.close();
  });
});

describe("the trigger form in live mode", () => {
  let external: Awaited<ReturnType<typeof startSandbox>>;
  let app: AppUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    external = await startSandbox();
    const { telegram, airtable } = external.info;
    [app, browser] = await Promise.all([
      // Live mode against servers of its own (the emulators standing in for Telegram and Airtable).
      startApp({
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_CHAT_ID: telegram.chat_id,
        TELEGRAM_API_ROOT: telegram.api_root,
        AIRTABLE_TOKEN: airtable.token,
        AIRTABLE_BASE_ID: airtable.base_id,
        AIRTABLE_TABLE: airtable.table,
        AIRTABLE_ENDPOINT_URL: airtable.endpoint_url,
      }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    await external?.close();
  });

  it("asks before a run posts to the real chat: Cancel starts nothing, Trigger starts the run", async () => {
    const context = await browser.newContext({ viewport: PHONE });
    const page = await context.newPage();
    await page.goto(`${app.url}/dags/${DAG}`);
    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Trigger this run?" });
    await dialog.filter({ hasText: "live mode" }).waitFor(WAIT);
    await page.screenshot({ path: `${SCREENSHOTS}dag-confirm-390.png` });
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "hidden", ...WAIT });
    // Cancel sends nothing: no request was made, so there is nothing to wait for.
    const runs = await app.json<{ total_entries: number }>(
      `/api/v2/dags/${DAG}/dagRuns`,
    );
    expect(runs.body.total_entries).toBe(0);
    expect(new URL(page.url()).pathname).toBe(`/dags/${DAG}`);

    await page.getByRole("button", { name: "Trigger", exact: true }).click();
    await dialog.getByRole("button", { name: "Trigger" }).click();
    await page.waitForURL(new RegExp(`/dags/${DAG}/runs/[^/]+$`), WAIT);
    await context.close();
  });
});
