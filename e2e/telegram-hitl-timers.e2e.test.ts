import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  HITLOperator,
  dag,
  task,
  type HITLParam,
  type HITLResult,
} from "@poekhali/core";
import {
  TELEGRAM_HITL_NAME,
  hitlKey,
  parseHitlCallbackData,
  telegramChannel,
  type TelegramChannelOptions,
} from "@poekhali/telegram";
import { taskStatesOf } from "./dag-run-client.js";
import { eventually } from "./harness.js";
import {
  startHitlFormStack,
  type HitlFormStack,
  type ShownMessage,
} from "./hitl-form-stack.js";

const params = z.object({ escalate_to: z.string().default("") });

/** A DAG whose one request goes to the chat with these channel options (and, maybe, a response timeout). */
const asking = (
  id: string,
  channel: (p: { escalate_to: string }) => TelegramChannelOptions,
  more: {
    responseTimeout?: string;
    defaults?: string[];
    params?: Record<string, HITLParam>;
  } = {},
) =>
  dag({ id, schedule: null, params }, ({ params: p }) => {
    const ask = new HITLOperator({
      taskId: "ask",
      subject: `Deploy ${id}?`,
      options: ["Approve", "Reject"],
      channels: [
        telegramChannel(
          channel({ escalate_to: p.escalate_to as unknown as string }),
        ),
      ],
      ...(more.responseTimeout && { responseTimeout: more.responseTimeout }),
      ...(more.defaults && { defaults: more.defaults }),
      ...(more.params && { params: more.params }),
    });
    task({ taskId: "done" }, ({ answer }: { answer: HITLResult }) => answer, {
      answer: ask.output,
    });
  });

const dags = [
  // Two of two must approve; anna answers, vera does not: the reminder names vera, the escalation follows.
  asking("tg_remind", ({ escalate_to }) => ({
    quorum: 2,
    allowedUsernames: ["@anna", "vera_k"],
    remindAfter: "2s",
    escalateAfter: "3s",
    escalateChatId: escalate_to,
  })),
  // Decided before its timers fire: they say nothing.
  asking("tg_remind_decided", ({ escalate_to }) => ({
    remindAfter: "2s",
    escalateAfter: "2s",
    escalateChatId: escalate_to,
  })),
  // Anyone may answer; the channel speaks Russian.
  asking("tg_remind_restart", () => ({ remindAfter: "3s", language: "ru" })),
  asking("tg_timeout_defaults", () => ({}), {
    responseTimeout: "2s",
    defaults: ["Reject"],
  }),
  asking("tg_timeout_fail", () => ({}), { responseTimeout: "2s" }),
  asking("tg_form_timeout", () => ({}), {
    responseTimeout: "3s",
    defaults: ["Reject"],
    params: { reason: { value: "n/a", schema: { type: "string" } } },
  }),
];

describe("HITL requests in Telegram: reminders, escalation and the timeout on durable timers", () => {
  let s: HitlFormStack;

  beforeAll(async () => {
    s = await startHitlFormStack("poekhali-hitl-timers-", dags);
  });
  afterAll(async () => {
    await s?.stop();
  });

  const lastId = async () => (await s.messages()).at(-1)?.message_id ?? 0;
  /** Triggers a run and returns its request message and its `telegram_hitl` key. */
  async function ask(dagId: string, runId: string) {
    const before = await lastId();
    await s.runs.start(dagId, runId, {
      escalate_to: String(s.escalation.id),
    });
    const request = await s.waitForMessage(
      `${dagId}'s request`,
      (m) =>
        m.message_id > before &&
        m.text.includes(`Deploy ${dagId}?`) &&
        m.reply_markup !== undefined,
    );
    const data = request.reply_markup?.inline_keyboard[0]?.[0]?.callback_data;
    const nonce = parseHitlCallbackData(data)?.nonce ?? "";
    return {
      request,
      key: hitlKey(s.bot.id, String(s.chat.id), nonce),
    };
  }
  /** The `telegram_hitl` invocations of a handler on a key that Restate still has (scheduled, running, retrying). */
  const timers = (key: string, handler: "remind" | "escalate") =>
    s.restate.server.query<{ status: string; retry_count: number }>(
      `SELECT status, retry_count FROM sys_invocation WHERE target_service_name = '${TELEGRAM_HITL_NAME}' ` +
        `AND target_service_key = '${key}' AND target_handler_name = '${handler}'`,
    );
  const repliesTo = (request: ShownMessage) => async () =>
    (await s.messages()).filter(
      (m) => m.reply_to_message?.message_id === request.message_id,
    );

  it("reminds, in a reply, the allowed people who have not answered, then escalates with the chat and the wait", async () => {
    const { anna, vera } = s.people;
    const { request } = await ask("tg_remind", "remind_1");
    await s.answerOf(await s.press(request.message_id, "Approve", anna));
    const reminder = await s.waitForMessage(
      "the reminder",
      (m) =>
        m.reply_to_message?.message_id === request.message_id &&
        m.text.startsWith("⏰"),
    );
    expect(reminder.text).toBe(
      "⏰ Reminder: @vera_k — waiting for your answer.",
    );
    const escalation = await s.waitForMessage(
      "the escalation",
      (m) => m.text.includes("Deploy tg_remind?"),
      s.escalation.id,
    );
    expect(escalation.text).toMatch(
      /^⚠️ No decision on «Deploy tg_remind\?» in Релизы after [3-9] s\.\ntg_remind \/ remind_1 \/ ask$/,
    );
    // The subject links to the request in its supergroup.
    expect(escalation.entities).toContainEqual(
      expect.objectContaining({
        type: "text_link",
        url: `https://t.me/c/${String(s.chat.id).slice(4)}/${request.message_id}`,
      }),
    );
    await s.press(request.message_id, "Approve", vera);
    const done = await s.runs.finished("tg_remind", "remind_1");
    expect(taskStatesOf(done).done).toBe("success");
  });

  it("sends neither reminder nor escalation once the request is decided", async () => {
    const { boris } = s.people;
    const { request, key } = await ask("tg_remind_decided", "decided_1");
    // Both timers are set when the request is posted...
    await eventually("both timers to be scheduled", async () =>
      (await timers(key, "remind")).length === 1 &&
      (await timers(key, "escalate")).length === 1
        ? true
        : undefined,
    );
    await s.press(request.message_id, "Approve", boris);
    await s.runs.finished("tg_remind_decided", "decided_1");
    // ...and run to their end after the decision, having said nothing.
    await eventually(
      "both timers to have run",
      async () =>
        [
          ...(await timers(key, "remind")),
          ...(await timers(key, "escalate")),
        ].every((t) => t.status === "completed") || undefined,
      15_000,
    );
    expect(await repliesTo(request)()).toEqual([]);
    expect(
      (await s.messages(s.escalation.id)).filter((m) =>
        m.text.includes("tg_remind_decided"),
      ),
    ).toEqual([]);
  });

  it("gives up an escalation Telegram refuses for good, and the request still takes its answer", async () => {
    const before = await lastId();
    await s.runs.start("tg_remind_decided", "refused_1", {
      escalate_to: "-1009999999",
    });
    const request = await s.waitForMessage(
      "the request",
      (m) =>
        m.message_id > before &&
        m.text.includes("Deploy tg_remind_decided?") &&
        m.reply_markup !== undefined,
    );
    const data = request.reply_markup?.inline_keyboard[0]?.[0]?.callback_data;
    const key = hitlKey(
      s.bot.id,
      String(s.chat.id),
      parseHitlCallbackData(data)?.nonce ?? "",
    );
    await eventually("the escalation to be scheduled", async () =>
      (await timers(key, "escalate")).length === 1 ? true : undefined,
    );
    // The chat does not exist: the escalation is refused once, recorded, and not tried again and again.
    await eventually(
      "the refused escalation to end",
      async () =>
        (await timers(key, "escalate")).every(
          (t) => t.status === "completed",
        ) || undefined,
      15_000,
    );
    // The reminder of the same request went out meanwhile, and the request still takes its answer.
    await s.waitForMessage(
      "the reminder",
      (m) => m.reply_to_message?.message_id === request.message_id,
    );
    await s.press(request.message_id, "Approve", s.people.boris);
    const done = await s.runs.finished("tg_remind_decided", "refused_1");
    expect(taskStatesOf(done).done).toBe("success");
  });

  it("reminds after a worker restart between the request and the reminder", async () => {
    const { anna } = s.people;
    const { request, key } = await ask("tg_remind_restart", "restart_1");
    await eventually("the reminder to be scheduled", async () =>
      (await timers(key, "remind"))[0]?.status === "scheduled"
        ? true
        : undefined,
    );
    await s.stopWorker();
    // The timer fires while the worker is down: Restate keeps the call and retries it.
    await eventually(
      "Restate to try the reminder on the stopped worker",
      async () =>
        ((await timers(key, "remind"))[0]?.retry_count ?? 0) >= 1 || undefined,
      15_000,
    );
    await s.startWorker();
    const reminder = await s.waitForMessage(
      "the reminder after the restart",
      (m) =>
        m.reply_to_message?.message_id === request.message_id &&
        m.text.startsWith("⏰"),
    );
    // In the channel's language; anyone may answer and nobody has.
    expect(reminder.text).toBe(
      "⏰ Напоминание: на этот запрос ещё никто не ответил.",
    );
    await s.press(request.message_id, "Reject", anna);
    const done = await s.runs.finished("tg_remind_restart", "restart_1");
    expect(taskStatesOf(done).done).toBe("success");
  });

  it("applies the defaults at the timeout and the message says so", async () => {
    const { request } = await ask("tg_timeout_defaults", "timeout_1");
    const done = await s.runs.finished("tg_timeout_defaults", "timeout_1");
    expect(taskStatesOf(done)).toEqual({ ask: "success", done: "success" });
    expect(
      (await s.xcom("tg_timeout_defaults", "timeout_1", "done")).value,
    ).toMatchObject({
      chosenOptions: ["Reject"],
      respondedByUser: null,
      timedout: true,
    });
    await s.waitForMessage(
      "the request to show the defaults",
      (m) =>
        m.message_id === request.message_id &&
        m.text.includes("Timed out, the defaults apply: Reject") &&
        m.reply_markup === undefined,
    );
  });

  it("fails the task at the timeout without defaults and the message says so", async () => {
    const { request } = await ask("tg_timeout_fail", "timeout_2");
    const done = await s.runs.finished("tg_timeout_fail", "timeout_2");
    expect(taskStatesOf(done).ask).toBe("failed");
    expect(done.dag_run.state).toBe("failed");
    await s.waitForMessage(
      "the request to show the timeout",
      (m) =>
        m.message_id === request.message_id &&
        m.text.includes("Timed out without an answer") &&
        m.reply_markup === undefined,
    );
  });

  it("ends a form under way when the timeout decides, telling the decider", async () => {
    const { vera } = s.people;
    const { request } = await ask("tg_form_timeout", "form_timeout_1");
    await s.press(request.message_id, "Approve", vera);
    const prompt = await s.waitForMessage(
      "the form's prompt",
      (m) =>
        m.reply_to_message?.message_id === request.message_id &&
        m.force_reply !== undefined,
    );
    await s.waitForMessage(
      "the decider to hear the timeout decided",
      (m) =>
        m.reply_to_message?.message_id === prompt.message_id &&
        m.text ===
          "No need to answer the form any more:\n⏱ Timed out, the defaults apply: Reject",
    );
    await s.runs.finished("tg_form_timeout", "form_timeout_1");
    expect(
      (await s.xcom("tg_form_timeout", "form_timeout_1", "done")).value,
    ).toMatchObject({
      chosenOptions: ["Reject"],
      paramsInput: { reason: "n/a" },
      timedout: true,
    });
  });
});
