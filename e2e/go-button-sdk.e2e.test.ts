import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  DAGDetailsResponse,
  DAGRunCollectionResponse,
  HTTPExceptionResponse,
  XComResponseNative,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { runState, sandboxOf, trigger } from "./sandbox.js";
import { expectPressWritten } from "./press-row.js";
import { v2Body, v2Get } from "./v2-answer.js";

/** The course DAG written with Airflow's TypeScript SDK API (dags/telegram_go_button_sdk.ts). */
const DAG = "telegram_go_button_sdk";
const RUNS = `/api/v2/dags/${DAG}/dagRuns`;

describe("telegram_go_button_sdk in sandbox mode", () => {
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;

  beforeAll(async () => {
    app = await startApp({ REPORTER_NAME: "e2e-reporter" });
    sandbox = await sandboxOf(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("declares the params of telegram_go_button", async () => {
    const params = async (dagId: string) =>
      Object.keys(
        (await v2Get(app, `/api/v2/dags/${dagId}/details`, DAGDetailsResponse))
          .params ?? {},
      ).sort();
    expect(await params(DAG)).toEqual(await params("telegram_go_button"));
  });

  it("writes exactly one row for a press with the providers' operators, answers it and removes the keyboard", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(app, { dag_run_id: "sdk_press_1" }, DAG);
    const message = await sandbox.messageWithButton();
    expect(message.reply_markup?.inline_keyboard[0]?.[0]?.text).toBe("Поехали");
    expect(message.text).toBe("Нажмите «Поехали», когда будете готовы");

    const before = Date.now();
    const press = await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    expect(press.status).toBe(200);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );

    const { tasks, fields } = await expectPressWritten(app, sandbox, {
      dagId: DAG,
      runId,
      rowsBefore,
      pressedAfter: before,
      callbackQueryId: press.body.callback_query_id,
    });
    // Each task ran as the provider's own operator or sensor, not as a handler.
    expect(Object.values(tasks).map((t) => t.operator)).toEqual([
      "AirtableSchemaCheckOperator",
      "SendButtonOperator",
      "ButtonPressSensor",
      "AirtableUpsertRecordOperator",
    ]);
    const xcom = await v2Get(
      app,
      `${RUNS}/${runId}/taskInstances/wait_for_press/xcomEntries/return_value`,
      XComResponseNative,
    );
    expect(xcom).toMatchObject({
      key: "return_value",
      task_id: "wait_for_press",
      run_id: runId,
      map_index: -1,
      value: {
        username: "anna",
        user_id: 1001,
        triggered_at: fields.triggered_at,
      },
    });
    const after = (await sandbox.messages()).find(
      (m) => m.message_id === message.message_id,
    );
    expect(after?.reply_markup).toBeUndefined();
  });

  it("takes the first of two people pressing at once: one row, the second told «Уже нажали»", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      { conf: { text: "Двое сразу", event_type: "double_press" } },
      DAG,
    );
    const message = await sandbox.messageWithButton("Двое сразу");
    // The second person presses before their client hears the button is gone: the emulator holds the bot's
    // keyboard removal, so the button is still there for the second press.
    await sandbox.fault({ method: "editMessageReplyMarkup", delay_ms: 5_000 });
    const [first, second] = await Promise.all([
      sandbox.press(message.message_id, {
        id: 1001,
        username: "anna",
        first_name: "Анна",
      }),
      sandbox.press(message.message_id, { id: 1002, first_name: "Борис" }),
    ]);
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    await sandbox.clearFaults();
    const answers = await eventually(
      "both presses to be answered",
      async () => {
        const both = await Promise.all(
          [first, second].map((p) =>
            sandbox.callbackAnswer(p.body.callback_query_id),
          ),
        );
        return both.every((a) => a !== null) ? both : undefined;
      },
    );
    // Which of the two reached the router first is the race's; exactly one is taken, the other told so.
    expect(answers.map((a) => a?.text).sort()).toEqual(
      ["Поехали!", "Уже нажали"].sort(),
    );
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    const winner = answers[0]?.text === "Поехали!" ? "anna" : "Борис";
    expect(rows.at(-1)!.fields).toMatchObject({
      username: winner,
      event_type: "double_press",
    });
  });

  it("refuses a misspelt conf key and a bad timeout at trigger time, naming them, and runs nothing", async () => {
    const runs = async () =>
      (await v2Get(app, RUNS, DAGRunCollectionResponse)).total_entries;
    const runsBefore = await runs();
    const misspelt = v2Body(
      "a misspelt conf key",
      HTTPExceptionResponse,
      await postJson(`${app.url}${RUNS}`, { conf: { tiemout: "90s" } }),
      400,
    );
    expect(misspelt.detail).toContain("tiemout");
    expect(misspelt.detail).toContain('did you mean "timeout"');
    const badTimeout = v2Body(
      "a bad timeout",
      HTTPExceptionResponse,
      await postJson(`${app.url}${RUNS}`, { conf: { timeout: "soon" } }),
      400,
    );
    expect(badTimeout.detail).toContain("timeout");
    expect(await runs()).toBe(runsBefore);
  });
});
