import { mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskInstancesLogResponse } from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { startApp, type AppUnderTest } from "./harness.js";
import { runState, sandboxOf, sensorsParked, trigger } from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

const SCREENSHOTS = fileURLToPath(new URL("./screenshots/", import.meta.url));
const GO = "/api/v2/dags/telegram_go_button/dagRuns";

/** The log lines (`event`s with a timestamp) of a task's try, as `/api/v2` answers them. */
async function logLines(
  app: AppUnderTest,
  runId: string,
  taskId: string,
  tryNumber = 1,
): Promise<string[]> {
  const log = await v2Get(
    app,
    `${GO}/${encodeURIComponent(runId)}/taskInstances/${taskId}/logs/${tryNumber}`,
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

describe("the run page, actions and required actions", () => {
  let app: AppUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    [app, browser] = await Promise.all([
      startApp({ REPORTER_NAME: "e2e-ui-runs" }),
      chromium.launch({
        executablePath: "/usr/bin/chromium",
        args: [
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
        ],
      }),
    ]);
  });
  afterAll(async () => {
    await browser?.close();
    await app?.stop();
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
    expect(sensor[1]).toMatch(/ the event came: the task succeeded$/);
    const write = await logLines(app, runId, "write_row");
    expect(write[0]).toMatch(
      / deferred: waiting for the Airtable writer to write the row, without a timeout$/,
    );
    expect(write.at(-1)).toMatch(/ the event came: the task succeeded$/);
  });
});
