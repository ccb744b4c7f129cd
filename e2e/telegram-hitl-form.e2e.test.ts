import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HITLOperator, dag, task, type HITLResult } from "@poekhali/core";
import { chatKey, telegramChannel } from "@poekhali/telegram";
import { taskStatesOf } from "./dag-run-client.js";
import { eventually } from "./harness.js";
import {
  startHitlFormStack,
  type HitlFormStack,
  type ShownMessage,
} from "./hitl-form-stack.js";

/** A choice with two form fields, put to the Telegram chat; `done` passes the answer on. */
const shipForm = dag({ id: "tg_form", schedule: null }, () => {
  const ask = new HITLOperator({
    taskId: "ask",
    subject: "Ship the release?",
    options: ["Approve", "Reject"],
    params: {
      count: {
        value: 1,
        description: "How many servers?",
        schema: { type: "integer", minimum: 1, maximum: 10 },
      },
      reason: {
        value: "none given",
        description: "Why?",
        schema: { type: "string", minLength: 3 },
      },
    },
    channels: [telegramChannel()],
  });
  task({ taskId: "done" }, ({ answer }: { answer: HITLResult }) => answer, {
    answer: ask.output,
  });
});

/** The same form, which only the web's admin may answer (Airflow's assigned users). */
const adminsForm = dag({ id: "tg_form_admins", schedule: null }, () => {
  new HITLOperator({
    taskId: "ask",
    subject: "Admins: ship the release?",
    options: ["Approve", "Reject"],
    assignedUsers: [{ id: "admin", name: "admin" }],
    params: {
      reason: { value: "none given", schema: { type: "string" } },
    },
    channels: [telegramChannel()],
  });
});

describe("HITL form fields answered in Telegram as replies (ForceReply)", () => {
  let s: HitlFormStack;

  beforeAll(async () => {
    s = await startHitlFormStack("poekhali-hitl-form-", [shipForm, adminsForm]);
  });
  afterAll(async () => {
    await s?.stop();
  });

  /** The request message of a run: the bot's message with the subject and buttons. */
  const requestOf = async (before: number) =>
    s.waitForMessage(
      "the request message",
      (m) =>
        m.message_id > before &&
        m.text.includes("Ship the release?") &&
        m.reply_markup !== undefined,
    );
  const lastId = async () => (await s.messages()).at(-1)?.message_id ?? 0;
  const promptAfter = (what: string, after: number) =>
    s.waitForMessage(
      what,
      (m) =>
        m.message_id > after && m.from.is_bot && m.force_reply !== undefined,
    );

  it("asks the decider each field, says why a bad value is not taken, asks again, and answers with params_input", async () => {
    const { anna, boris } = s.people;
    const start = await lastId();
    await s.runs.start("tg_form", "form_1");
    const request = await requestOf(start);
    const toast = await s.answerOf(
      await s.press(request.message_id, "Approve", anna),
    );
    // In the decider's language (anna's app is in Russian).
    expect(toast).toContain("ответьте в чате");

    const first = await promptAfter(
      "the first field's prompt",
      request.message_id,
    );
    expect(first.reply_to_message?.message_id).toBe(request.message_id);
    expect(first.force_reply).toEqual({
      force_reply: true,
      selective: true,
      input_field_placeholder: "Ответ: count",
    });
    expect(first.text).toContain("@anna, count (1/2): How many servers?");
    expect(first.text).toContain("Ответьте на это сообщение.");

    // A press that would decide again meanwhile leaves the decision and its form as they are.
    expect(
      await s.answerOf(await s.press(request.message_id, "Reject", boris)),
    ).toBe("Already decided: Approve; anna is filling in the form");
    // Someone else's reply to the prompt, and the decider's message that replies to nothing, are not taken.
    await s.say(boris, "7", first.message_id);
    await s.say(anna, "3");
    await s.say(anna, "0", first.message_id);
    const again = await promptAfter("the field asked again", first.message_id);
    expect(again.text).toMatch(
      /^Не принято: must be ≥ 1\.\n@anna, count \(1\/2\)/,
    );

    await s.say(anna, "3", again.message_id);
    const second = await promptAfter(
      "the second field's prompt",
      again.message_id,
    );
    expect(second.text).toContain("@anna, reason (2/2): Why?");
    expect(second.text).toContain('Сейчас: "none given"');
    const last = await s.say(anna, "tests are green", second.message_id);

    const done = await s.runs.finished("tg_form", "form_1");
    expect(taskStatesOf(done)).toEqual({ ask: "success", done: "success" });
    const { value } = await s.xcom("tg_form", "form_1", "done");
    expect(value).toMatchObject({
      chosenOptions: ["Approve"],
      paramsInput: { count: 3, reason: "tests are green" },
      respondedByUser: { id: "1001", name: "anna" },
      timedout: false,
    });
    // The decider hears the answer was taken, and the request turns into the decision.
    await s.waitForMessage(
      "the bot to confirm the answer",
      (m) =>
        m.reply_to_message?.message_id === last && m.text.includes("Approve"),
    );
    await s.waitForMessage(
      "the request to show the decision",
      (m) =>
        m.message_id === request.message_id &&
        m.text.includes("Approve") &&
        m.reply_markup === undefined,
    );

    // Boris's press during the form changed no vote: it is logged as after the decision, not counted.
    expect(
      (await s.events("form_1"))
        .filter((e) => e.event.startsWith("hitl.press."))
        .map((e) => [e.event, e.owner]),
    ).toEqual([
      ["hitl.press.counted", "anna"],
      ["hitl.press.after_decision", "Boris"],
    ]);

    // Every reply taken is one event-log entry; boris's and the stray message are none.
    const replies = await eventually("three reply entries", async () => {
      const found = (await s.events("form_1")).filter((e) =>
        e.event.startsWith("hitl.reply."),
      );
      return found.length >= 3 ? found : undefined;
    });
    expect(
      replies.map((e) => [
        e.event,
        e.owner,
        (JSON.parse(e.extra ?? "{}") as { field?: string }).field,
      ]),
    ).toEqual([
      ["hitl.reply.invalid", "anna", "count"],
      ["hitl.reply.accepted", "anna", "count"],
      ["hitl.reply.accepted", "anna", "reason"],
    ]);
    expect(replies[0]).toMatchObject({
      dag_id: "tg_form",
      run_id: "form_1",
      task_id: "ask",
      try_number: 1,
    });
    expect(JSON.parse(replies[0]?.extra ?? "{}")).toMatchObject({
      option: "Approve",
      chat_id: String(s.chat.id),
      message_id: request.message_id,
      user_id: 1001,
    });
  });

  it("stops the form when the web answers first: the decider is told, later replies are not taken", async () => {
    const { anna } = s.people;
    const start = await lastId();
    await s.runs.start("tg_form", "form_2");
    const request = await requestOf(start);
    await s.press(request.message_id, "Reject", anna);
    const prompt = await promptAfter("the form's prompt", request.message_id);

    const web = await s.hitl("tg_form", "form_2").answer({
      task_id: "ask",
      chosen_options: ["Approve"],
      params_input: { count: 2 },
      user: { id: "admin", name: "admin" },
      channel: "api",
    });
    expect(web.ok).toBe(true);
    await s.waitForMessage(
      "the decider to hear the form is moot",
      (m: ShownMessage) =>
        m.reply_to_message?.message_id === prompt.message_id &&
        m.text ===
          "Отвечать на вопросы формы больше не нужно:\n✅ Решено: Approve — admin в веб-интерфейсе",
    );
    const late = await s.say(anna, "5", prompt.message_id);
    // The late reply reaches the chat's messages object, which no watch takes it from any more.
    await eventually("the late reply to be kept unclaimed", async () => {
      const rows = await s.restate.server.query<{ value_utf8: string | null }>(
        `SELECT value_utf8 FROM state WHERE service_name = 'telegram_messages' AND service_key = '${chatKey(s.bot.id, String(s.chat.id))}' AND key = 'unclaimed'`,
      );
      return rows[0]?.value_utf8?.includes(`"message_id":${late}`) || undefined;
    });

    const done = await s.runs.finished("tg_form", "form_2");
    expect(taskStatesOf(done).done).toBe("success");
    expect((await s.xcom("tg_form", "form_2", "done")).value).toMatchObject({
      chosenOptions: ["Approve"],
      paramsInput: { count: 2, reason: "none given" },
      respondedByUser: { id: "admin", name: "admin" },
    });
    expect(
      (await s.events("form_2")).filter((e) =>
        e.event.startsWith("hitl.reply."),
      ),
    ).toEqual([]);
    await s.waitForMessage(
      "the request to show the web's decision",
      (m) =>
        m.message_id === request.message_id &&
        m.text.includes("admin") &&
        m.reply_markup === undefined,
    );
  });

  it("asks no fields of someone whose answer could not be taken, and tells them why", async () => {
    const { anna } = s.people;
    const before = await lastId();
    await s.runs.start("tg_form_admins", "admins_1");
    const request = await s.waitForMessage(
      "the request message",
      (m) =>
        m.message_id > before &&
        m.text.includes("Admins: ship the release?") &&
        m.reply_markup !== undefined,
    );
    expect(
      await s.answerOf(await s.press(request.message_id, "Approve", anna)),
    ).toBe(
      "Ответ не принят: User=anna (id=1001) is not a respondent for the task.",
    );
    // The toast comes after any prompt would have been sent: there is none.
    expect(
      (await s.messages()).filter(
        (m) => m.reply_to_message?.message_id === request.message_id,
      ),
    ).toEqual([]);
    // The press reached the quorum, but its answer was refused (403): logged as refused, not counted.
    const presses = await eventually("the press in the event log", async () => {
      const found = (await s.events("admins_1")).filter((e) =>
        e.event.startsWith("hitl.press."),
      );
      return found.length > 0 ? found : undefined;
    });
    expect(presses.map((e) => [e.event, e.owner])).toEqual([
      ["hitl.press.refused", "anna"],
    ]);
  });

  it("ends the form, leaving the request open, when Telegram refuses a field's prompt for good", async () => {
    const { anna, boris, vera } = s.people;
    const start = await lastId();
    await s.runs.start("tg_form", "form_refused");
    const request = await requestOf(start);
    const kicked = {
      method: "sendMessage",
      error_code: 403,
      description: "Forbidden: bot was kicked from the supergroup chat",
    };
    // The first prompt is refused: the deciding press is told why, and the form does not hold the request.
    s.telegram.injectFault(s.bot.id, kicked);
    expect(
      await s.answerOf(await s.press(request.message_id, "Approve", anna)),
    ).toMatch(/^Не удалось спросить «count»: .*Forbidden.*Запрос открыт/);
    expect(
      await s.answerOf(await s.press(request.message_id, "Approve", boris)),
    ).toBe("Chosen: Approve. Boris, answer the form's questions in the chat");
    const first = await promptAfter("boris's first prompt", request.message_id);
    expect(first.text).toContain("count (1/2)");
    // The second prompt is refused after a good reply: the decider hears why, and the next winner is asked afresh.
    s.telegram.injectFault(s.bot.id, kicked);
    const reply = await s.say(boris, "3", first.message_id);
    const told = await s.waitForMessage(
      "the decider told the form stopped",
      (m) => m.reply_to_message?.message_id === reply,
    );
    expect(told.text).toMatch(/^Could not ask for «reason»: .*Forbidden/);
    expect(
      await s.answerOf(await s.press(request.message_id, "Approve", vera)),
    ).toBe("Chosen: Approve. vera_k, answer the form's questions in the chat");
    const entry = await s.hitl("tg_form", "form_refused").entry({
      task_id: "ask",
    });
    expect(entry?.response ?? null).toBeNull();
  });
});
