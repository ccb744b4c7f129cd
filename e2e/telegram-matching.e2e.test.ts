import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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

const ANNA = { id: 1001, username: "anna", first_name: "Анна" };
const BORIS = { id: 1002, first_name: "Борис" };

/** What a press on a button no run waits for is told. */
const NOT_READY = "Кнопка ещё не готова: нажмите ещё раз чуть позже";

describe("matching presses to runs", () => {
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;
  let api: Api;
  let botId: string;
  const tg = () => sandbox.info.telegram.api_root;
  const answered = (id: string) =>
    eventually(
      `the answer to ${id}`,
      () => sandbox.callbackAnswer(id).then((a) => a ?? undefined),
      15_000,
    );
  const fault = (body: Record<string, unknown>) =>
    postJson(`${tg()}/_emulator/bots/${botId}/faults`, body);
  const parked = (runId: string) => sensorsParked(app, [runId], 30_000);

  beforeAll(async () => {
    app = await startApp();
    sandbox = await sandboxOf(app);
    api = new Api(sandbox.info.telegram.token, { apiRoot: tg() });
    botId = sandbox.info.telegram.token.split(":")[0]!;
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("tells a presser who is not allowed so, and keeps waiting for one who is", async () => {
    const runId = await trigger(app, {
      conf: { text: "Только для Анны", allowed_usernames: ["@Anna"] },
    });
    const message = await sandbox.messageWithButton("Только для Анны");
    await parked(runId);
    const refused = await sandbox.press(message.message_id, BORIS);
    expect((await answered(refused.body.callback_query_id)).text).toBe(
      "Эта кнопка не для вас",
    );
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );
    await sandbox.press(message.message_id, ANNA);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await sandbox.rows();
    expect(rows.at(-1)?.fields.username).toBe("anna");
  });

  it("never tells a forged nonce on the run's own message it was taken, and keeps waiting", async () => {
    const runId = await trigger(app, { conf: { text: "Подделка" } });
    const message = await sandbox.messageWithButton("Подделка");
    await parked(runId);
    const real = message.reply_markup!.inline_keyboard;
    const chat = sandbox.info.telegram.chat_id;
    await api.editMessageReplyMarkup(chat, message.message_id, {
      reply_markup: {
        inline_keyboard: [
          [{ text: "Поехали", callback_data: "poekhali:forged" }],
        ],
      },
    });
    const forged = await sandbox.press(message.message_id, ANNA);
    expect((await answered(forged.body.callback_query_id)).text).toBe(
      NOT_READY,
    );
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );
    await api.editMessageReplyMarkup(chat, message.message_id, {
      reply_markup: {
        inline_keyboard: real.map((row) =>
          row.map((b) => ({ text: b.text, callback_data: b.callback_data! })),
        ),
      },
    });
    await sandbox.press(message.message_id, ANNA);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
  });

  it("answers and ignores a press on a poekhali button in another chat", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const other = (
      await postJson<{ result: { id: number } }>(`${tg()}/_emulator/chats`, {
        type: "supergroup",
        title: "Другой чат",
      })
    ).body.result;
    const sent = await api.sendMessage(other.id, "Чужая кнопка", {
      reply_markup: {
        inline_keyboard: [
          [{ text: "Поехали", callback_data: "poekhali:elsewhere" }],
        ],
      },
    });
    const press = await postJson<{ callback_query_id: string }>(
      `${tg()}/_emulator/press`,
      { chat_id: other.id, message_id: sent.message_id, from: ANNA },
    );
    expect((await answered(press.body.callback_query_id)).text).toBe(NOT_READY);
    expect((await sandbox.rows()).length).toBe(rowsBefore);
  });

  it("fails on timeout and says so in the message; with soft_fail the run is skipped instead", async () => {
    const hard = await trigger(app, {
      conf: { text: "Жёсткий срок", timeout: "1s" },
    });
    const soft = await trigger(app, {
      conf: { text: "Мягкий срок", timeout: "1s", soft_fail: true },
    });
    expect(await runState(app, hard, ["success", "failed"])).toBe("failed");
    expect(await runState(app, soft, ["success", "failed"])).toBe("success");
    expect((await taskStates(app, hard)).wait_for_press?.state).toBe("failed");
    const softTasks = await taskStates(app, soft);
    expect([
      softTasks.wait_for_press?.state,
      softTasks.write_row?.state,
    ]).toEqual(["skipped", "skipped"]);
    const texts = (await sandbox.messages()).map((m) => [
      m.text,
      Boolean(m.reply_markup),
    ]);
    expect(texts.filter(([t]) => t === "Время ожидания истекло.")).toEqual([
      ["Время ожидания истекло.", false],
      ["Время ожидания истекло.", false],
    ]);
  });

  it("answers a press that comes after the wait expired as expired, and records nothing", async () => {
    const runId = await trigger(app, {
      conf: { text: "Опоздавший", timeout: "1s" },
    });
    const message = await sandbox.messageWithButton("Опоздавший");
    const button = message.reply_markup!.inline_keyboard;
    expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
    const rowsBefore = (await sandbox.rows()).length;
    // The expired message lost its button; a client that still shows it can press it.
    const keyboard = button.map((row) =>
      row.map((b) => ({ text: b.text, callback_data: b.callback_data! })),
    );
    await api.editMessageReplyMarkup(
      sandbox.info.telegram.chat_id,
      message.message_id,
      { reply_markup: { inline_keyboard: keyboard } },
    );
    const late = await sandbox.press(message.message_id, ANNA);
    expect((await answered(late.body.callback_query_id)).text).toBe(
      "Время ожидания истекло",
    );
    expect((await sandbox.rows()).length).toBe(rowsBefore);
    expect(await runState(app, runId, ["success", "failed"])).toBe("failed");
  });

  it("takes the press when answering it fails as too old, and retries an answer refused with 429", async () => {
    await fault({
      method: "answerCallbackQuery",
      error_code: 400,
      description:
        "Bad Request: query is too old and response timeout expired or query ID is invalid",
    });
    const late = await trigger(app, { conf: { text: "Поздний ответ" } });
    const lateMessage = await sandbox.messageWithButton("Поздний ответ");
    await parked(late);
    await sandbox.press(lateMessage.message_id, ANNA);
    expect(await runState(app, late, ["success", "failed"])).toBe("success");

    await fault({
      method: "answerCallbackQuery",
      error_code: 429,
      retry_after: 1,
    });
    const busy = await trigger(app, { conf: { text: "Занято" } });
    const busyMessage = await sandbox.messageWithButton("Занято");
    await parked(busy);
    const press = await sandbox.press(busyMessage.message_id, ANNA);
    expect((await answered(press.body.callback_query_id)).text).toBe(
      "Поехали!",
    );
    expect(await runState(app, busy, ["success", "failed"])).toBe("success");
    const calls = (await (
      await fetch(
        `${tg()}/_emulator/bots/${botId}/calls?method=answerCallbackQuery`,
      )
    ).json()) as {
      result: { params: { callback_query_id?: string }; error_code?: number }[];
    };
    const forThisPress = calls.result.filter(
      (c) => c.params.callback_query_id === press.body.callback_query_id,
    );
    expect(forThisPress.map((c) => c.error_code ?? 200)).toEqual([429, 200]);
  });
});
