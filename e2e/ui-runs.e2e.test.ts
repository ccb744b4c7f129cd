import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DAGRunResponse,
  EventLogCollectionResponse,
  TaskInstancesLogResponse,
  XComResponseNative,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  runState,
  sandboxOf,
  sensorsParked,
  taskStates,
  trigger,
} from "./sandbox.js";
import { v2Get } from "./v2-answer.js";
import { launchChromium } from "./chromium.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
// The run page refreshes every second against a real restate-server: allow for a slow, shared machine.
const WAIT = { timeout: 30_000 };
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
// 1280×800 at 200 % zoom: the CSS pixels a person zooming in has.
const ZOOMED = { width: 640, height: 400 };
const GO = "/api/v2/dags/telegram_go_button/dagRuns";

/** The log lines (`event`s with a timestamp) of a task's try, as `/api/v2` answers them. */
async function logLines(
  app: AppUnderTest,
  runId: string,
  taskId: string,
  dagId = "telegram_go_button",
): Promise<string[]> {
  const log = await v2Get(
    app,
    `/api/v2/dags/${dagId}/dagRuns/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/1`,
    TaskInstancesLogResponse,
  );
  return log.content.flatMap((m) =>
    typeof m === "object" && "timestamp" in m && m.timestamp
      ? [`${String(m.timestamp)} ${String(m.event)}`]
      : [],
  );
}

/** Presses the newest «Поехали» button as Борис. */
async function pressAsBoris(app: AppUnderTest): Promise<number> {
  const sandbox = await sandboxOf(app);
  const message = await sandbox.messageWithButton();
  const res = await sandbox.press(message.message_id, {
    id: 1002,
    first_name: "Борис",
  });
  expect(res.status).toBe(200);
  return message.message_id;
}

/** The events the event log holds for a run, oldest first. */
async function eventsOf(app: AppUnderTest, dagId: string, runId: string) {
  const { event_logs } = await v2Get(
    app,
    `/api/v2/eventLogs?dag_id=${dagId}&run_id=${encodeURIComponent(runId)}&order_by=when`,
    EventLogCollectionResponse,
  );
  return event_logs.map((e) => e.event);
}

/** Fails when the page scrolls sideways (a phone would hide part of it); then saves a full-page screenshot. */
async function lookAt(page: Page, name: string): Promise<void> {
  const [scrollWidth, innerWidth] = await page.evaluate(() => [
    document.documentElement.scrollWidth,
    window.innerWidth,
  ]);
  expect(scrollWidth, `${name} scrolls sideways`).toBeLessThanOrEqual(
    innerWidth,
  );
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** The run page's state badge beside its title, once it reads `state`. */
const runBadge = (page: Page, state: string) =>
  page
    .getByRole("heading", { level: 1 })
    .locator(".state")
    .filter({ hasText: new RegExp(`^${state}$`) })
    .waitFor(WAIT);

/** Confirms the open confirm dialog (titled `title`) with the keyboard, as a person without a mouse does. */
async function confirmDialog(page: Page, title: RegExp): Promise<void> {
  const dialog = page.getByRole("dialog", { name: title });
  await dialog.waitFor(WAIT);
  await dialog.getByRole("button", { name: "Back" }).waitFor();
  await dialog.locator("#confirm-ok").focus();
  await page.keyboard.press("Enter");
  await dialog.waitFor({ state: "hidden", ...WAIT });
}

describe("the run page, actions and required actions", () => {
  let app: AppUnderTest;
  let browser: Browser;

  // Inside the repository, so the DAG files resolve their imports from its node_modules, as in a project.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-ui-runs-"));
  const dags = join(work, "dags");
  mkdirSync(dags, { recursive: true });
  copyFileSync(
    join(ROOT, "dags/telegram_go_button.ts"),
    join(dags, "telegram_go_button.ts"),
  );
  copyFileSync(
    join(ROOT, "e2e/fixtures/hitl-sdk-dags.ts.txt"),
    join(dags, "people.ts"),
  );
  copyFileSync(
    join(ROOT, "e2e/fixtures/telegram-hitl-dag.ts.txt"),
    join(dags, "telegram_hitl_cases.ts"),
  );

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ REPORTER_NAME: "e2e-ui-runs", POEKHALI_DAGS_FOLDER: dags }),
      launchChromium(),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it("answers the logs of a deferrable sensor's and operator's tries: what each waited for, until when, and how it ended", async () => {
    const runId = await trigger(app, { conf: { timeout: "10m" } });
    await sensorsParked(app, [runId]);
    const { chat_id } = (await sandboxOf(app)).info.telegram;
    const message = (await sandboxOf(app)).messageWithButton();
    const { message_id } = await message;
    const [parked] = await logLines(app, runId, "wait_for_press");
    const stamp = parked?.split(" ")[0] ?? "";
    const until = new Date(Date.parse(stamp) + 10 * 60_000).toISOString();
    expect(parked).toBe(
      `${stamp} deferred: waiting for a press on message ${message_id} in chat ${chat_id}; times out at ${until}`,
    );

    await pressAsBoris(app);
    await runState(app, runId, ["success"]);
    const sensor = await logLines(app, runId, "wait_for_press");
    expect(sensor).toHaveLength(2);
    expect(sensor[1]).toMatch(/ the wait ended: the task succeeded$/);
    const write = await logLines(app, runId, "write_row");
    expect(write[0]).toMatch(
      / deferred: waiting for the Airtable writer to write the row, without a timeout$/,
    );
    expect(write.at(-1)).toMatch(/ the wait ended: the task succeeded$/);
  });

  it("shows a waiting run: the sensor's wait and log in the task panel, the Restate link; cancelling it, confirmed, removes the button and is in the event log", async () => {
    const runId = await trigger(app, { conf: { timeout: "10m" } });
    await sensorsParked(app, [runId]);
    const sandbox = await sandboxOf(app);
    const { message_id } = await sandbox.messageWithButton();
    const { chat_id } = sandbox.info.telegram;
    const page = await browser.newPage({ viewport: DESKTOP, locale: "en-GB" });
    await page.goto(
      `${app.url}/dags/telegram_go_button/runs/${encodeURIComponent(runId)}`,
    );
    await runBadge(page, "running");

    // Keyboard only: the task's link opens its panel, and the focus moves to the panel's title.
    await page.getByRole("link", { name: "wait_for_press" }).focus();
    await page.keyboard.press("Enter");
    const panel = page.getByRole("region", { name: "Task details" });
    await panel.getByRole("heading", { name: /wait_for_press/ }).waitFor(WAIT);
    expect(await page.evaluate(() => document.activeElement?.id)).toBe(
      "panel-title",
    );
    const waiting = panel.locator(".waiting");
    await waiting.waitFor(WAIT);
    expect(await waiting.innerText()).toMatch(
      new RegExp(
        `^Waiting for a press on message ${message_id} in chat ${chat_id}; times out at \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\.$`,
      ),
    );
    // A running run's tasks cannot be cleared (the API refuses): the panel does not offer it.
    expect(
      await panel
        .getByRole("button", { name: "Clear wait_for_press and downstream…" })
        .isHidden(),
    ).toBe(true);
    const log = panel.getByLabel("Log of try 1");
    expect(await log.innerText()).toContain(
      `INFO deferred: waiting for a press on message ${message_id} in chat ${chat_id}; times out at`,
    );
    const restate = page.getByRole("link", {
      name: /Open this run's invocation in the Restate UI/,
    });
    expect(await restate.getAttribute("href")).toMatch(
      /\/ui\/invocations\/inv_\w+$/,
    );
    expect(new URL(page.url()).searchParams.get("task")).toBe("wait_for_press");
    await lookAt(page, "ui-runs-01-deferred-1280");
    await page.setViewportSize(PHONE);
    await lookAt(page, "ui-runs-02-deferred-390");
    await page.setViewportSize(ZOOMED);
    await lookAt(page, "ui-runs-02b-deferred-zoomed");
    await page.setViewportSize(DESKTOP);

    // Backing out of the dialog changes nothing; confirming cancels the run.
    await page.getByRole("button", { name: "Cancel run…" }).click();
    await page.getByRole("dialog", { name: "Cancel this run?" }).waitFor(WAIT);
    await page.screenshot({ path: `${SCREENSHOTS}ui-runs-03-confirm.png` });
    await page.keyboard.press("Escape");
    expect(await taskStates(app, runId)).toMatchObject({
      wait_for_press: { state: "deferred" },
    });
    await page.getByRole("button", { name: "Cancel run…" }).click();
    await confirmDialog(page, /Cancel this run\?/);
    await runBadge(page, "failed");
    await eventually("the button to go from the chat", async () => {
      const messages = await sandbox.messages();
      const sent = messages.find((m) => m.message_id === message_id);
      return sent && !sent.reply_markup;
    });
    expect(await eventsOf(app, "telegram_go_button", runId)).toEqual([
      "trigger_dag_run",
      "patch_dag_run",
    ]);
    await page.close();
  });

  it("marks a run success, edits its note, clears a task and downstream and re-runs it with the same conf, each confirmed and in the event log", async () => {
    const conf = { timeout: "10m", text: "Ещё раз?" };
    const runId = await trigger(app, { conf });
    await sensorsParked(app, [runId]);
    const runPath = `${GO}/${encodeURIComponent(runId)}`;
    const cancelled = await fetch(`${app.url}${runPath}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ state: "failed" }),
    });
    expect(cancelled.status).toBe(200);
    const page = await browser.newPage({ viewport: PHONE, locale: "en-GB" });
    await page.goto(
      `${app.url}/dags/telegram_go_button/runs/${encodeURIComponent(runId)}`,
    );
    await runBadge(page, "failed");

    await page.getByRole("button", { name: "Mark success…" }).click();
    await confirmDialog(page, /Mark this run success\?/);
    await runBadge(page, "success");
    for (const taskId of [
      "check_table",
      "send_button",
      "wait_for_press",
      "write_row",
    ])
      await page
        .locator(`tr[data-task="${taskId}"] .state`)
        .filter({ hasText: /^success$/ })
        .waitFor(WAIT);

    await page.getByRole("button", { name: "Edit note…" }).click();
    await page.getByLabel("Note", { exact: true }).fill("Проверено вручную");
    await confirmDialog(page, /Save note\?/);
    await page
      .locator("#run-note")
      .filter({ hasText: "Проверено вручную" })
      .waitFor(WAIT);

    await page.getByRole("link", { name: "send_button" }).click();
    await page
      .getByRole("button", { name: "Clear send_button and downstream…" })
      .click();
    await confirmDialog(page, /Clear 3 tasks\?/);
    await runBadge(page, "running");
    await page
      .locator('tr[data-task="wait_for_press"] .state')
      .filter({ hasText: /^deferred$/ })
      .waitFor(WAIT);
    await lookAt(page, "ui-runs-04-cleared-390");
    await pressAsBoris(app);
    await runBadge(page, "success");
    expect(
      await v2Get(
        app,
        `${runPath}/taskInstances/send_button/xcomEntries/return_value`,
        XComResponseNative,
      ),
    ).toBeTruthy();
    expect((await taskStates(app, runId)).send_button?.try_number).toBe(2);
    // The panel shows both tries of send_button, the newest open.
    await page.getByText("Try 1", { exact: false }).first().waitFor(WAIT);

    await page
      .getByRole("button", { name: "Re-run with the same conf…" })
      .click();
    await confirmDialog(page, /Re-run with the same conf\?/);
    await page.waitForURL(
      (url) => !url.pathname.endsWith(encodeURIComponent(runId)),
      WAIT,
    );
    const rerun = decodeURIComponent(
      new URL(page.url()).pathname.split("/").at(-1) ?? "",
    );
    const again = await v2Get(
      app,
      `${GO}/${encodeURIComponent(rerun)}`,
      DAGRunResponse,
    );
    expect(again.conf).toEqual(conf);
    expect(await eventsOf(app, "telegram_go_button", runId)).toEqual([
      "trigger_dag_run",
      "patch_dag_run",
      "patch_dag_run",
      "patch_dag_run",
      "post_clear_task_instances",
    ]);
    expect(await eventsOf(app, "telegram_go_button", rerun)).toEqual([
      "trigger_dag_run",
    ]);
    await page.close();
  });

  it("answers a person's request on the Required actions page, showing who may answer", async () => {
    const runId = await trigger(app, {}, "choose_regions");
    const page = await browser.newPage({ viewport: PHONE, locale: "en-GB" });
    await page.goto(`${app.url}/required-actions`);
    const card = page.getByRole("article", { name: "Where to deploy?" });
    await eventually("the request to be listed", async () => {
      if ((await card.count()) > 0) return true;
      await page.reload();
      return false;
    });
    expect(await card.innerText()).toContain(
      "May answer: anyone who may use this app",
    );
    await lookAt(page, "ui-runs-05-required-390");
    await page.setViewportSize(DESKTOP);
    await lookAt(page, "ui-runs-06-required-1280");
    await page.setViewportSize(ZOOMED);
    await lookAt(page, "ui-runs-06b-required-zoomed");
    // Keyboard only, as a person without a mouse answers: Space ticks, Tab moves on, Enter answers.
    await card.getByLabel("eu").focus();
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Space");
    await page.keyboard.press("Tab");
    await page.keyboard.press("ControlOrMeta+A");
    await page.keyboard.type("3");
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe(
      "Answer",
    );
    await page.keyboard.press("Enter");
    await card.getByText("Answered: eu, asia.").waitFor(WAIT);
    await runState(app, runId, ["success"], "choose_regions");
    const deploy = await v2Get(
      app,
      `/api/v2/dags/choose_regions/dagRuns/${encodeURIComponent(runId)}/taskInstances/deploy/xcomEntries/return_value`,
      XComResponseNative,
    );
    expect(deploy.value).toEqual({
      regions: ["eu", "asia"],
      replicas: 3,
      note: "",
    });
    const asked = await logLines(app, runId, "choose", "choose_regions");
    expect(asked.map((l) => l.replace(/^\S+ /, ""))).toEqual([
      "awaiting input: waiting for an answer to «Where to deploy?» from anyone who may answer, without a timeout",
      "the wait ended: the task succeeded",
    ]);
    expect(await eventsOf(app, "choose_regions", runId)).toEqual([
      "trigger_dag_run",
      "update_hitl_detail",
    ]);
    await page.close();
  });

  it("shows a request put to Telegram with its vote tally, live, on Required actions and in the run's task panel", async () => {
    const runId = await trigger(
      app,
      {
        conf: {
          subject: "Ship 2.0?",
          quorum: 2,
          allowed_usernames: ["anna", "boris"],
        },
      },
      "telegram_hitl_cases",
    );
    const sandbox = await sandboxOf(app);
    const message = await eventually(
      "the request's message in the chat",
      async () =>
        (await sandbox.messages()).find(
          (m) => m.text.includes("Ship 2.0?") && m.reply_markup,
        ),
    );
    const page = await browser.newPage({ viewport: PHONE, locale: "en-GB" });
    await page.goto(`${app.url}/required-actions`);
    const card = page.getByRole("article", { name: "Ship 2.0?" });
    const tally = card.locator(".tally");
    await eventually("the request and its tally to be listed", async () => {
      if ((await tally.count()) > 0) return true;
      await page.reload();
      return false;
    });
    expect(await tally.innerText()).toBe(
      `In Telegram (chat ${sandbox.info.telegram.chat_id}, message ${message.message_id}): Approve 0 · Reject 0. 2 people making the same choice decide. May vote there: @anna, @boris.`,
    );
    const approve = message.reply_markup?.inline_keyboard
      .flat()
      .find((b) => b.text.startsWith("Approve"));
    const res = await postJson(
      `${sandbox.info.telegram.api_root}/_emulator/press`,
      {
        chat_id: Number(sandbox.info.telegram.chat_id),
        message_id: message.message_id,
        callback_data: approve?.callback_data,
        from: {
          id: 52_001,
          username: "anna",
          first_name: "Anna",
          language_code: "en",
        },
      },
    );
    expect(res.status).toBe(200);
    // The page refreshes its list on its own: the vote shows without a reload.
    await tally.filter({ hasText: "Approve 1 · Reject 0." }).waitFor(WAIT);
    await lookAt(page, "ui-runs-07-tally-390");
    await page.goto(
      `${app.url}/dags/telegram_hitl_cases/runs/${encodeURIComponent(runId)}?task=ask`,
    );
    const panel = page.getByRole("region", { name: "Task details" });
    expect(await panel.locator(".waiting").innerText()).toContain(
      "Approve 1 · Reject 0. 2 people making the same choice decide.",
    );
    await lookAt(page, "ui-runs-08-hitl-panel-390");
    await page.close();
  });
});
