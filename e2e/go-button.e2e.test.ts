import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  DAGCollectionResponse,
  DAGDetailsResponse,
  DAGRunResponse,
  HTTPExceptionResponse,
  HTTPValidationError,
  ImportErrorCollectionResponse,
  TaskInstancesLogResponse,
  XComResponseNative,
  XComResponseString,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { runState, sandboxOf, taskStates, trigger } from "./sandbox.js";
import { expectPressWritten } from "./press-row.js";
import { v2Body, v2Get } from "./v2-answer.js";

const RUNS = "/api/v2/dags/telegram_go_button/dagRuns";

/** What a press on a button no run waits for is told. */
const NOT_READY = "Кнопка ещё не готова: нажмите ещё раз чуть позже";

describe("telegram_go_button in sandbox mode", () => {
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;

  beforeAll(async () => {
    app = await startApp({ REPORTER_NAME: "e2e-reporter" });
    sandbox = await sandboxOf(app);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("writes exactly one row for a press, answers it and removes the keyboard", async () => {
    const runId = await trigger(app, { dag_run_id: "e2e_press_1" });
    expect(runId).toBe("e2e_press_1");
    const message = await sandbox.messageWithButton();
    expect(message.reply_markup?.inline_keyboard[0]?.[0]?.text).toBe("Поехали");

    const before = Date.now();
    const press = await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    expect(press.status).toBe(200);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");

    const { fields } = await expectPressWritten(app, sandbox, {
      dagId: "telegram_go_button",
      runId,
      rowsBefore: 0,
      pressedAfter: before,
      callbackQueryId: press.body.callback_query_id,
    });
    const xcomPath = `${RUNS}/${runId}/taskInstances/wait_for_press/xcomEntries/return_value`;
    const xcom = await v2Get(app, xcomPath, XComResponseNative);
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
    // `stringify=true` asks for the value as JSON text (XComResponseString); the default is the value itself.
    const text = await v2Get(
      app,
      `${xcomPath}?stringify=true`,
      XComResponseString,
    );
    expect(JSON.parse(text.value ?? "null")).toEqual(xcom.value);
    const after = (await sandbox.messages()).find(
      (m) => m.message_id === message.message_id,
    );
    expect(after?.reply_markup).toBeUndefined();
  });

  it("takes the first of two quick presses and answers the second without a second row", async () => {
    const runId = await trigger(app);
    const message = await sandbox.messageWithButton();
    // On a busy group chat the second person presses before their client hears the button is gone: the
    // emulator holds the bot's keyboard removal, so the button is still there for the second press.
    const botId = sandbox.info.telegram.token.split(":")[0]!;
    const hold = await postJson(
      `${sandbox.info.telegram.api_root}/_emulator/bots/${botId}/faults`,
      {
        method: "editMessageReplyMarkup",
        delay_ms: 5_000,
      },
    );
    expect(hold.status).toBe(200);
    const first = await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    const second = await sandbox.press(message.message_id, {
      id: 1002,
      first_name: "Борис",
    });
    expect([first.status, second.status]).toEqual([200, 200]);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const answer = await eventually("the second press to be answered", () =>
      sandbox
        .callbackAnswer(second.body.callback_query_id)
        .then((a) => a ?? undefined),
    );
    expect(answer.text).toBe("Уже нажали");
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(2);
    expect(rows[1]!.fields.username).toBe("anna");
    // The held removal lands after the second press's answer: no button is left for the next test to find.
    await eventually(
      "the keyboard to be removed",
      async () =>
        (await sandbox.messages()).find(
          (m) => m.message_id === message.message_id,
        )?.reply_markup === undefined,
    );
  });

  it("answers a later press on the button while Telegram still holds the first press's keyboard removal", async () => {
    const runId = await trigger(app, { conf: { text: "held removal" } });
    const message = await sandbox.messageWithButton("held removal");
    // The keyboard removal is held, then refused, twice (the hook's method for a keyboard-only edit): first by the
    // router's bounded try, for longer than the later press's answer may take (an unbounded try would hold the key
    // past it; the emulator ends a held call once the try gives up and aborts it), then by the durable retry it
    // hands the removal to, for less (`removeKeyboard` is a shared handler: it holds no key).
    const botId = sandbox.info.telegram.token.split(":")[0]!;
    for (const delay_ms of [60_000, 20_000])
      await postJson(
        `${sandbox.info.telegram.api_root}/_emulator/bots/${botId}/faults`,
        {
          method: "editMessageReplyMarkup",
          delay_ms,
          error_code: 502,
          times: 1,
        },
      );
    await sandbox.press(message.message_id, {
      id: 1003,
      username: "vera",
      first_name: "Вера",
    });
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const second = await sandbox.press(message.message_id, {
      id: 1004,
      first_name: "Глеб",
    });
    const answer = await eventually(
      "the second press to be answered",
      () =>
        sandbox
          .callbackAnswer(second.body.callback_query_id)
          .then((a) => a ?? undefined),
      20_000,
    );
    expect(answer.text).toBe("Уже нажали");
    // The removal is still held: the answer did not wait for it.
    const keyboard = async () =>
      (await sandbox.messages()).find(
        (m) => m.message_id === message.message_id,
      )?.reply_markup;
    expect(await keyboard()).toBeDefined();
    // Then it lands, and no button is left for the next test to find.
    await eventually(
      "the keyboard to be removed",
      async () => (await keyboard()) === undefined,
      40_000,
    );
  }, 90_000);

  it("answers a press on a message no run watches, and writes nothing", async () => {
    // A message with a poekhali-looking button that no run sent, as a stale or forged one would be.
    const api = new Api(sandbox.info.telegram.token, {
      apiRoot: sandbox.info.telegram.api_root,
    });
    const stray = await api.sendMessage(
      sandbox.info.telegram.chat_id,
      "Не из запуска",
      {
        reply_markup: {
          inline_keyboard: [
            [{ text: "Поехали", callback_data: "poekhali:not-a-run" }],
          ],
        },
      },
    );
    const rowsBefore = (await sandbox.rows()).length;
    const press = await sandbox.press(stray.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    const answer = await eventually(
      "the stray press to be answered",
      () =>
        sandbox
          .callbackAnswer(press.body.callback_query_id)
          .then((a) => a ?? undefined),
      15_000,
    );
    // Never «Принято»: no run took it.
    expect(answer.text).toBe(NOT_READY);
    expect((await sandbox.rows()).length).toBe(rowsBefore);
  });

  it("falls back to the first name for a presser without a username", async () => {
    const runId = await trigger(app, { conf: { text: "Второй заход" } });
    const message = await sandbox.messageWithButton("Второй заход");
    await sandbox.press(message.message_id, { id: 1002, first_name: "Борис" });
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await sandbox.rows();
    expect(rows.map((r) => r.fields.username)).toEqual([
      "anna",
      "anna",
      "vera",
      "Борис",
    ]);
  });

  it("keeps each task try's log as structured messages, without the tokens", async () => {
    const logs = `${RUNS}/e2e_press_1/taskInstances/send_button/logs`;
    const log = await v2Get(app, `${logs}/1`, TaskInstancesLogResponse);
    expect(log.content).toContainEqual({
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT[\d:.]+Z$/),
      level: "info",
      event: expect.stringMatching(/^sent message \d+ to chat -100\d+$/),
    });
    // The try has ended: there is no more to read.
    expect(log.continuation_token ?? null).toBeNull();
    // Airflow's other form of the same log: one JSON message a line.
    const ndjson = await fetch(`${app.url}${logs}/1`, {
      headers: { accept: "application/x-ndjson" },
    });
    expect(ndjson.headers.get("content-type")).toContain(
      "application/x-ndjson",
    );
    const lines = await ndjson.text();
    expect(
      lines
        .trimEnd()
        .split("\n")
        .map((l) => JSON.parse(l) as unknown),
    ).toEqual(log.content);
    expect(JSON.stringify(log.content) + lines).not.toContain(
      sandbox.info.telegram.token,
    );
    v2Body(
      `GET ${logs}/2`,
      HTTPExceptionResponse,
      await app.json(`${logs}/2`),
      404,
    );
  });

  it("cancels a waiting run through the REST API: the sensor stops waiting and the run fails", async () => {
    const runId = await trigger(app, { dag_run_id: "e2e_cancel" });
    await eventually(
      "the sensor to park",
      async () =>
        (await taskStates(app, runId)).wait_for_press?.state === "deferred",
    );
    const patch = async (body: unknown) => {
      const res = await fetch(`${app.url}${RUNS}/${runId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as unknown };
    };
    // A waiting run cannot be marked a success: poekhali refuses with Airflow's 409, naming why.
    const success = v2Body(
      "PATCH state success",
      HTTPExceptionResponse,
      await patch({ state: "success" }),
      409,
    );
    expect(success.detail).toContain("running");
    expect(await runState(app, runId, ["running"])).toBe("running");
    const failed = v2Body(
      "PATCH state failed",
      DAGRunResponse,
      await patch({ state: "failed" }),
    );
    expect(failed.state).toBe("failed");
    expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
    const tasks = await taskStates(app, runId);
    expect([tasks.wait_for_press?.state, tasks.write_row?.state]).toEqual([
      "failed",
      "upstream_failed",
    ]);
    // Airflow sets a failed run failed again without complaint (v1 said 409); nothing changes.
    const again = v2Body(
      "PATCH state failed again",
      DAGRunResponse,
      await patch({ state: "failed" }),
    );
    expect(again).toMatchObject({ state: "failed", end_date: failed.end_date });
    expect(await taskStates(app, runId)).toEqual(tasks);
  });

  it("refuses a reused dag_run_id with 409", async () => {
    const res = v2Body(
      "a second trigger of e2e_press_1",
      HTTPExceptionResponse,
      await postJson(`${app.url}${RUNS}`, { dag_run_id: "e2e_press_1" }),
      409,
    );
    expect(res.detail).toMatchObject({
      reason: "Unique constraint violation",
      message: expect.stringContaining("e2e_press_1"),
    });
  });

  it("answers 404 for an unknown DAG or run", async () => {
    const unknownDag = v2Body(
      "a trigger of an unknown DAG",
      HTTPExceptionResponse,
      await postJson(`${app.url}/api/v2/dags/nope/dagRuns`, {}),
      404,
    );
    expect(unknownDag.detail).toContain("nope");
    const unknownRun = v2Body(
      "an unknown run",
      HTTPExceptionResponse,
      await app.json(`${RUNS}/never_ran`),
      404,
    );
    expect(unknownRun.detail).toContain("never_ran");
  });

  it("answers 422 for a body that is not JSON, and 400 naming what is wrong in a conf or a run id", async () => {
    const notJson = await fetch(`${app.url}${RUNS}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    const invalid = v2Body(
      "a body that is not JSON",
      HTTPValidationError,
      { status: notJson.status, body: await notJson.json() },
      422,
    );
    expect(invalid.detail[0]).toMatchObject({
      loc: ["body"],
      type: "json_invalid",
    });
    const badConf = v2Body(
      "a bad conf",
      HTTPExceptionResponse,
      await postJson(`${app.url}${RUNS}`, { conf: { timeout: "soon" } }),
      400,
    );
    expect(badConf.detail).toContain("timeout");
    const badId = v2Body(
      "a bad run id",
      HTTPExceptionResponse,
      await postJson(`${app.url}${RUNS}`, { dag_run_id: "a b/c" }),
      400,
    );
    expect(badId.detail).toContain("dag_run_id");
  });

  it("reports no import errors for the shipped DAGs", async () => {
    expect(
      await v2Get(app, "/api/v2/importErrors", ImportErrorCollectionResponse),
    ).toEqual({ import_errors: [], total_entries: 0 });
  });

  it("lists the DAG, triggered by hand only, with its params", async () => {
    const { dags, total_entries } = await v2Get(
      app,
      "/api/v2/dags",
      DAGCollectionResponse,
    );
    // The course DAG, the same DAG written with Airflow's TypeScript SDK API (its own e2e: go-button-sdk), and the
    // Telegram approval (its own e2e: telegram-approval).
    expect(dags.map((d) => d.dag_id)).toEqual([
      "telegram_approval",
      "telegram_go_button",
      "telegram_go_button_sdk",
    ]);
    expect(total_entries).toBe(3);
    // `schedule: null` is Airflow's NullTimetable.
    expect(dags[1]!.timetable_description).toBe(
      "Never, external triggers only",
    );
    const details = await v2Get(
      app,
      "/api/v2/dags/telegram_go_button/details",
      DAGDetailsResponse,
    );
    expect(Object.keys(details.params ?? {})).toEqual(
      expect.arrayContaining(["chat_id", "text", "timeout", "soft_fail"]),
    );
  });

  it("keeps the sandbox's tokens out of the app's output", () => {
    expect(app.output()).not.toContain(sandbox.info.telegram.token);
    expect(app.output()).not.toContain(sandbox.info.airtable.token);
  });
});
