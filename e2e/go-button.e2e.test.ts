import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import { runState, sandboxOf, taskStates, trigger } from "./sandbox.js";

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

    const tasks = await taskStates(app, runId);
    expect(Object.keys(tasks)).toEqual([
      "check_table",
      "send_button",
      "wait_for_press",
      "write_row",
    ]);
    for (const t of Object.values(tasks)) {
      expect(t.state).toBe("success");
      expect(t.try_number).toBe(1);
      expect(Date.parse(t.end_date ?? "")).toBeGreaterThanOrEqual(
        Date.parse(t.start_date ?? ""),
      );
    }

    const rows = await sandbox.rows();
    expect(rows).toHaveLength(1);
    const fields = rows[0]!.fields;
    expect(fields).toEqual({
      id: expect.any(Number),
      chat_id: sandbox.info.telegram.chat_id,
      username: "anna",
      triggered_at: expect.stringMatching(
        /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
      ),
      event_type: "button_press",
      reporter_name: "e2e-reporter",
    });
    expect(typeof fields.chat_id).toBe("string");
    const triggeredAt = Date.parse(fields.triggered_at as string);
    expect(triggeredAt).toBeGreaterThanOrEqual(before - 5);
    expect(triggeredAt).toBeLessThanOrEqual(
      Date.parse(tasks.wait_for_press!.end_date!),
    );

    expect(
      (await sandbox.callbackAnswer(press.body.callback_query_id))?.text,
    ).toBeTruthy();
    const xcom = await app.json<{
      key: string;
      value: { username: string; user_id: number; triggered_at: string };
    }>(
      `/api/v1/dags/telegram_go_button/dagRuns/${runId}/taskInstances/wait_for_press/xcomEntries/return_value`,
    );
    expect(xcom.body).toMatchObject({
      key: "return_value",
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
  });

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
      "Борис",
    ]);
  });

  it("keeps each task try's log, without the tokens", async () => {
    const log = await fetch(
      `${app.url}/api/v1/dags/telegram_go_button/dagRuns/e2e_press_1/taskInstances/send_button/logs/1`,
    );
    expect(log.status).toBe(200);
    const text = await log.text();
    expect(text).toMatch(
      /^\d{4}-\d\d-\d\dT[\d:.]+Z INFO sent message \d+ to chat -100\d+$/m,
    );
    const json = await app.json<{ content: string }>(
      "/api/v1/dags/telegram_go_button/dagRuns/e2e_press_1/taskInstances/send_button/logs/1",
      {
        headers: { accept: "application/json" },
      },
    );
    expect(json.body.content).toBe(text);
    expect(text + json.body.content).not.toContain(sandbox.info.telegram.token);
    expect(
      (
        await app.json(
          "/api/v1/dags/telegram_go_button/dagRuns/e2e_press_1/taskInstances/send_button/logs/2",
        )
      ).status,
    ).toBe(404);
  });

  it("cancels a waiting run through the REST API: the sensor stops waiting and the run fails", async () => {
    const runId = await trigger(app, { dag_run_id: "e2e_cancel" });
    await eventually(
      "the sensor to park",
      async () =>
        (await taskStates(app, runId)).wait_for_press?.state === "deferred",
    );
    const patch = (body: unknown) =>
      fetch(`${app.url}/api/v1/dags/telegram_go_button/dagRuns/${runId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    expect((await patch({ state: "success" })).status).toBe(400);
    expect((await patch({ state: "failed" })).status).toBe(200);
    expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
    const tasks = await taskStates(app, runId);
    expect([tasks.wait_for_press?.state, tasks.write_row?.state]).toEqual([
      "failed",
      "upstream_failed",
    ]);
    expect((await patch({ state: "failed" })).status).toBe(409);
  });

  it("refuses a reused dag_run_id with 409", async () => {
    const res = await postJson<{ detail: string }>(
      `${app.url}/api/v1/dags/telegram_go_button/dagRuns`,
      { dag_run_id: "e2e_press_1" },
    );
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain("e2e_press_1");
  });

  it("answers 404 for an unknown DAG or run", async () => {
    expect(
      (await postJson(`${app.url}/api/v1/dags/nope/dagRuns`, {})).status,
    ).toBe(404);
    expect(
      (await app.json("/api/v1/dags/telegram_go_button/dagRuns/never_ran"))
        .status,
    ).toBe(404);
  });

  it("answers 400 naming what is wrong in a malformed body or conf", async () => {
    const notJson = await fetch(
      `${app.url}/api/v1/dags/telegram_go_button/dagRuns`,
      {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{nope",
      },
    );
    expect(notJson.status).toBe(400);
    const badConf = await postJson<{ detail: string }>(
      `${app.url}/api/v1/dags/telegram_go_button/dagRuns`,
      { conf: { timeout: "soon" } },
    );
    expect(badConf.status).toBe(400);
    expect(badConf.body.detail).toContain("timeout");
    const badId = await postJson<{ detail: string }>(
      `${app.url}/api/v1/dags/telegram_go_button/dagRuns`,
      { dag_run_id: "a b/c" },
    );
    expect(badId.status).toBe(400);
    expect(badId.body.detail).toContain("dag_run_id");
  });

  it("reports no import errors for the shipped DAGs", async () => {
    expect(
      (await app.json<{ total_entries: number }>("/api/v1/importErrors")).body
        .total_entries,
    ).toBe(0);
  });

  it("lists the DAG with its params", async () => {
    const { body } = await app.json<{
      dags: { dag_id: string; schedule_interval: null }[];
    }>("/api/v1/dags");
    expect(body.dags.map((d) => d.dag_id)).toEqual(["telegram_go_button"]);
    expect(body.dags[0]!.schedule_interval).toBeNull();
  });

  it("keeps the sandbox's tokens out of the app's output", () => {
    expect(app.output()).not.toContain(sandbox.info.telegram.token);
    expect(app.output()).not.toContain(sandbox.info.airtable.token);
  });
});
