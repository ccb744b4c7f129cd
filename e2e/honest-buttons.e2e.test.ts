import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  TelegramHook,
  pressSigningText,
  type PressEvent,
} from "@poekhali/telegram";
import {
  TaskInstancesLogResponse,
  XComResponseNative,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import {
  alive,
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  cancelRun,
  runState,
  sandboxOf,
  sensorsParked,
  taskStates,
  trigger,
} from "./sandbox.js";
import { v2Get } from "./v2-answer.js";
import { signedIngressFetch } from "@poekhali/core";
import { INTERNAL_KEY_FILE } from "../packages/poekhali/src/api/auth/auth-secret.js";

const ROOT = new URL("..", import.meta.url).pathname;
const ANNA = { id: 41_001, username: "anna_h", first_name: "Анна" };

/** A press on a button must never be told «Поехали!» or «Принято» unless a run took it. */
describe("buttons that tell the truth", () => {
  // Inside the repository, so that the DAG files' imports resolve from its node_modules.
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;
  beforeAll(async () => {
    mkdirSync(join(work, "dags"));
    copyFileSync(
      join(ROOT, "dags", "telegram_go_button.ts"),
      join(work, "dags", "telegram_go_button.ts"),
    );
    writeFileSync(
      join(work, "dags", "honest_buttons.ts"),
      readFileSync(join(ROOT, "e2e/fixtures/honest-buttons-dag.ts.txt")),
    );
    app = await startApp({ POEKHALI_DAGS_FOLDER: join(work, "dags") });
    sandbox = await sandboxOf(app);
  });
  afterAll(async () => {
    await app?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const botId = () => sandbox.info.telegram.token.split(":")[0];
  const answered = (id: string) =>
    eventually(
      "the press to be answered",
      async () => (await sandbox.callbackAnswer(id)) ?? undefined,
      15_000,
    );
  const messageById = async (id: number) =>
    (await sandbox.messages()).find((m) => m.message_id === id)!;
  const parked = (runId: string) => sensorsParked(app, [runId], 30_000);

  it("removes the button of a cancelled run, and tells a later press the run was cancelled", async () => {
    const runId = await trigger(app, { conf: { text: "Отменим" } });
    const message = await sandbox.messageWithButton("Отменим");
    await parked(runId);
    const rowsBefore = (await sandbox.rows()).length;
    expect(await cancelRun(app, runId)).toBe(200);
    await eventually(
      "the cancelled run's button to go",
      async () => !(await messageById(message.message_id)).reply_markup,
    );
    // A client that had not yet heard the button is gone presses it anyway (the emulator's press on a message
    // without a button is refused as Telegram's apps would, so the test puts the old button back first).
    const api = sandbox.info.telegram.api_root;
    const restored = await postJson(
      `${api}/bot${sandbox.info.telegram.token}/editMessageReplyMarkup`,
      {
        chat_id: sandbox.info.telegram.chat_id,
        message_id: message.message_id,
        reply_markup: message.reply_markup,
      },
    );
    expect(restored.status).toBe(200);
    const press = await sandbox.press(message.message_id, ANNA);
    expect((await answered(press.body.callback_query_id)).text).toBe(
      "Запуск отменён",
    );
    expect(await runState(app, runId, ["failed"])).toBe("failed");
    expect((await sandbox.rows()).length).toBe(rowsBefore);
  });

  it("removes the button of a sensor that failed, so nobody is told their press was taken", async () => {
    expect(
      await trigger(app, { dag_run_id: "wrong_chat_1" }, "wrong_chat"),
    ).toBe("wrong_chat_1");
    await eventually(
      "the sensor to fail",
      async () =>
        (await taskStates(app, "wrong_chat_1", "wrong_chat")).wait_for_press
          ?.state === "failed",
    );
    // The button was posted, and is gone once the sensor failed.
    await eventually("the failed sensor's button to go", async () => {
      const message = (await sandbox.messages()).find(
        (m) => m.text === "Кнопка не той группы",
      );
      return message !== undefined && !message.reply_markup;
    });
  });

  it("ends a send that Telegram refuses at its first try, though the task may retry", async () => {
    expect(
      await trigger(app, { dag_run_id: "no_such_chat_1" }, "no_such_chat"),
    ).toBe("no_such_chat_1");
    const ti = await eventually("the send to fail", async () => {
      const send = (await taskStates(app, "no_such_chat_1", "no_such_chat"))
        .send_button;
      return send?.state === "failed" ? send : undefined;
    });
    expect(ti.try_number).toBe(1);
    // Why it failed is in the try's log, as Airflow keeps a task's error (a task instance's note is a person's).
    const log = await v2Get(
      app,
      "/api/v2/dags/no_such_chat/dagRuns/no_such_chat_1/taskInstances/send_button/logs/1",
      TaskInstancesLogResponse,
    );
    expect(log.content).toContainEqual(
      expect.objectContaining({
        level: "error",
        event: expect.stringContaining("chat not found"),
      }),
    );
  });

  it("answers a press on the stray copy of a retried send truthfully and removes its button", async () => {
    // Telegram posts the message but the worker dies before it hears so: Restate runs the step again.
    await sandbox.fault({ method: "sendMessage", delay_ms: 60_000 });
    const runId = await trigger(app, { conf: { text: "Дважды" } });
    await sandbox.called("sendMessage", (p) => p.text === "Дважды");
    const worker = app.pids().worker;
    process.kill(worker, "SIGKILL");
    await eventually("a new worker", () => {
      const pid = app.pids().worker;
      return pid !== worker && alive(pid);
    });
    await parked(runId);
    const copies = (await sandbox.messages()).filter(
      (m) => m.text === "Дважды",
    );
    expect(copies).toHaveLength(2);
    const [stray, real] = copies as [(typeof copies)[0], (typeof copies)[0]];
    const onStray = await sandbox.press(stray.message_id, ANNA);
    expect((await answered(onStray.body.callback_query_id)).text).toBe(
      "Эта кнопка больше не работает",
    );
    await eventually(
      "the stray copy's button to go",
      async () => !(await messageById(stray.message_id)).reply_markup,
    );
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );
    const onReal = await sandbox.press(real.message_id, ANNA);
    expect((await answered(onReal.body.callback_query_id)).text).toBe(
      "Поехали!",
    );
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = (await sandbox.rows()).filter(
      (r) => r.fields.username === ANNA.username,
    );
    expect(rows).toHaveLength(1);
  });

  it("removes a taken press's keyboard and writes one row when the worker dies while Telegram holds the removal", async () => {
    const BORIS = { id: 41_002, username: "boris_h", first_name: "Борис" };
    const runId = await trigger(app, { conf: { text: "Убрать кнопку" } });
    const message = await sandbox.messageWithButton("Убрать кнопку");
    await parked(runId);
    // The router's try to drop the keyboard, inside the press's invocation, is cut off by the kill.
    await sandbox.fault({
      method: "editMessageReplyMarkup",
      delay_ms: 60_000,
      times: 1,
    });
    const pressed = await sandbox.press(message.message_id, BORIS);
    expect((await answered(pressed.body.callback_query_id)).text).toBe(
      "Поехали!",
    );
    await sandbox.called(
      "editMessageReplyMarkup",
      (p) => p.message_id === message.message_id,
    );
    const worker = app.pids().worker;
    process.kill(worker, "SIGKILL");
    await eventually("a new worker", () => {
      const pid = app.pids().worker;
      return pid !== worker && alive(pid);
    });
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    await eventually(
      "the keyboard to go",
      async () => !(await messageById(message.message_id)).reply_markup,
    );
    const rows = (await sandbox.rows()).filter(
      (r) => r.fields.username === BORIS.username,
    );
    expect(rows).toHaveLength(1);
    // Answered once: the retried invocation replays its answer, it does not answer again.
    expect(
      (await sandbox.calls("answerCallbackQuery")).filter(
        (c) => c.params.callback_query_id === pressed.body.callback_query_id,
      ),
    ).toHaveLength(1);
  });

  it("drops a press that our ingester did not sign, keeps router-only handlers off the ingress, and shows no nonce", async () => {
    const runId = await trigger(app, { conf: { text: "Подделать?" } });
    const message = await sandbox.messageWithButton("Подделать?");
    await parked(runId);
    const sent = await v2Get(
      app,
      `/api/v2/dags/telegram_go_button/dagRuns/${runId}/taskInstances/send_button/xcomEntries/return_value`,
      XComResponseNative,
    );
    const data = message.reply_markup!.inline_keyboard[0]![0]!.callback_data!;
    const nonce = data.slice("poekhali:".length);
    expect(JSON.stringify(sent)).not.toContain(nonce);
    const value = z.record(z.string(), z.unknown()).parse(sent.value);
    expect(Object.keys(value).sort()).toEqual([
      "bot_id",
      "button",
      "chat_id",
      "message_id",
    ]);

    const { ingressPort } = JSON.parse(
      readFileSync(join(app.home, "ports.json"), "utf8"),
    ) as { ingressPort: number };
    const key = `${botId()}:${sandbox.info.telegram.chat_id}:${String(value.button)}`;
    const router = `http://127.0.0.1:${ingressPort}/telegram_router/${encodeURIComponent(key)}`;
    const forged = {
      update_id: 999_999,
      callback_query_id: "forged-1",
      bot_id: Number(botId()),
      chat_id: sandbox.info.telegram.chat_id,
      message_id: message.message_id,
      data,
      from: { id: 66_666, username: "mallory", first_name: "Mallory" },
      received_at: new Date().toISOString(),
      signature: "not-a-signature",
    };
    // Called, not sent: the answer comes once the router has handled it. Unsigned, the ingress gate refuses the
    // call before the router sees it; signed with the app's internal key (as if it leaked), the call reaches the
    // router, whose own check of the ingester's signature is the second layer tested here.
    const appKey = readFileSync(
      join(app.home, INTERNAL_KEY_FILE),
      "utf8",
    ).trim();
    const post = (f: typeof fetch, handler: string, body: unknown) =>
      f(`${router}/${handler}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      });
    const call = (handler: string, body: unknown) =>
      post(
        signedIngressFetch(`http://127.0.0.1:${ingressPort}`, appKey),
        handler,
        body,
      );
    expect((await post(fetch, "press", forged)).status).toBe(403);
    expect((await call("press", forged)).status).toBe(200);
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );
    for (const handler of ["watch", "close", "tidyClosed", "flush"]) {
      const refused = await call(handler, {
        message_id: message.message_id,
        trigger_id: "x",
        reason: "cancelled",
        action: "remove_keyboard",
      });
      expect(refused.status, handler).toBeGreaterThanOrEqual(400);
    }
    // A press signed by our ingester for another run's button (as one copied out of a router's state would be),
    // replayed to this run's router: dropped, so it can neither take this run nor touch the other's message.
    const other = await trigger(app, { conf: { text: "Чужая кнопка" } });
    const otherMessage = await sandbox.messageWithButton("Чужая кнопка");
    await parked(other);
    const hook = new TelegramHook({ token: sandbox.info.telegram.token });
    const fields: Omit<PressEvent, "signature"> = {
      update_id: forged.update_id + 1,
      callback_query_id: "replayed-1",
      bot_id: forged.bot_id,
      chat_id: forged.chat_id,
      message_id: otherMessage.message_id,
      data: otherMessage.reply_markup!.inline_keyboard[0]![0]!.callback_data!,
      from: forged.from,
      received_at: forged.received_at,
    };
    const replayed = {
      ...fields,
      signature: hook.sign("press", pressSigningText(fields)),
    };
    expect((await post(fetch, "press", replayed)).status).toBe(403);
    expect((await call("press", replayed)).status).toBe(200);
    expect(
      (await messageById(otherMessage.message_id)).reply_markup,
    ).toBeDefined();
    expect((await taskStates(app, other)).wait_for_press?.state).toBe(
      "deferred",
    );
    expect((await messageById(message.message_id)).reply_markup).toBeDefined();
    await sandbox.press(otherMessage.message_id, ANNA);
    await sandbox.press(message.message_id, ANNA);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await sandbox.rows();
    expect(rows.some((r) => r.fields.username === "mallory")).toBe(false);
  });

  it("closes the button of a run cancelled while Telegram was posting it: a press is told so, and the button goes", async () => {
    // Telegram is slow to answer the send: the run is cancelled while it waits, and the message lands afterwards.
    await sandbox.fault({ method: "sendMessage", delay_ms: 3_000 });
    const runId = await trigger(app, { conf: { text: "Отмена на лету" } });
    await sandbox.called("sendMessage", (p) => p.text === "Отмена на лету");
    expect(await cancelRun(app, runId)).toBe(200);
    expect(await runState(app, runId, ["failed"])).toBe("failed");
    const message = await sandbox.messageWithButton("Отмена на лету");
    const press = await sandbox.press(message.message_id, ANNA);
    expect((await answered(press.body.callback_query_id)).text).toBe(
      "Запуск отменён",
    );
    await eventually(
      "the cancelled run's button to go",
      async () => !(await messageById(message.message_id)).reply_markup,
    );
  });

  it("says in the chat that a press was not recorded when the run is cancelled while the press is being answered", async () => {
    const runId = await trigger(app, { conf: { text: "Отмена на лету" } });
    const message = await sandbox.messageWithButton("Отмена на лету");
    await parked(runId);
    const rowsBefore = (await sandbox.rows()).length;
    // Telegram is slow to take the answer: the press is taken, and the cancel lands while it is being answered.
    await sandbox.fault({
      method: "answerCallbackQuery",
      delay_ms: 3_000,
    });
    const press = await sandbox.press(message.message_id, ANNA);
    await sandbox.called(
      "answerCallbackQuery",
      (p) => p.callback_query_id === press.body.callback_query_id,
    );
    expect(await cancelRun(app, runId)).toBe(200);
    expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
    await eventually(
      "the message to say the press was not recorded",
      async () =>
        (await messageById(message.message_id)).text ===
        "Запуск отменён: нажатие не записано",
    );
    expect(
      (await messageById(message.message_id)).reply_markup,
    ).toBeUndefined();
    expect((await sandbox.rows()).length).toBe(rowsBefore);
  });
});
