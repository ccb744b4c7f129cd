import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import {
  EVENT_LOG_NAME,
  HITLOperator,
  airflowHitl,
  dag,
  dagWorkflow,
  durationParam,
  eventLogObject,
  handlerTarget,
  type EventLogEntry,
} from "@poekhali/core";
import type { TelegramEmulator } from "@poekhali/emulators";
import type { TelegramHook } from "@poekhali/telegram";
import {
  ReceptionClock,
  TELEGRAM_HITL,
  handOverUpdate,
  hitlKey,
  parseHitlCallbackData,
  pressSigningText,
  telegramChannel,
  telegramHitl,
  type PressEvent,
} from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import {
  chatMessages,
  operatorFixture,
} from "../packages/telegram/test/operator-fixture.js";
import { dagRunClient } from "./dag-run-client.js";
import { eventually, postJson } from "./harness.js";
import type { ChatMessage } from "./sandbox.js";

/** One HITL task put to the chat; how long it waits, its defaults and quorum come from conf. */
const asking = dag(
  {
    id: "t_hitl_object",
    schedule: null,
    params: z.object({
      subject: z.string(),
      timeout: durationParam({ min: "1s", max: "1d" }).default("1h"),
      defaults: z.array(z.string()).nullable().default(null),
      quorum: z.number().int().default(1),
    }),
  },
  ({ params }) => {
    new HITLOperator({
      taskId: "ask",
      subject: params.subject,
      options: ["Approve", "Reject"],
      defaults: params.defaults,
      responseTimeout: params.timeout,
      channels: [telegramChannel({ quorum: params.quorum })],
    });
  },
);

/** A request only the web's admin may answer (Airflow's assigned users name the API's users, not Telegram's). */
const assigned = dag({ id: "t_hitl_assigned", schedule: null }, () => {
  new HITLOperator({
    taskId: "ask",
    subject: "Admins only",
    options: ["Approve", "Reject"],
    assignedUsers: [{ id: "admin", name: "admin" }],
    channels: [telegramChannel()],
  });
});

const ANNA = {
  id: 1001,
  username: "anna",
  first_name: "Anna",
  language_code: "en",
};
const BORIS = { id: 1002, first_name: "Борис", language_code: "ru" };

describe("the telegram_hitl object on a real restate-server, presses handed over as the ingester does", () => {
  let stack: TemporaryRestate;
  let emu: TelegramEmulator;
  let hook: TelegramHook;
  let group: string;
  let offset: number | undefined;

  beforeAll(async () => {
    const fixture = await operatorFixture("hitl");
    ({ emu, group, hook } = fixture);
    const { connections } = fixture.context;
    stack = await startTemporaryRestate("poekhali-tg-hitl-");
    await stack.deploy([
      dagWorkflow(asking, { connections }),
      dagWorkflow(assigned, { connections }),
      airflowHitl,
      eventLogObject,
      telegramHitl({ hookFor: () => hook }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await emu?.close();
  });

  const runs = dagRunClient(() => stack.ingress);

  const messages = async () =>
    (await chatMessages(emu, group)) as ChatMessage[];
  const request = (subject: string) =>
    eventually(`the request "${subject}"`, async () =>
      (await messages()).find((m) => m.text.startsWith(subject)),
    );
  const shown = (id: number, what: (m: ChatMessage) => boolean) =>
    eventually(`message ${id} to change`, async () => {
      const m = (await messages()).find((x) => x.message_id === id);
      return m && what(m) ? m : undefined;
    });
  const toast = (id: string) =>
    eventually("the press to be answered", async () => {
      const res = await fetch(
        `${emu.apiRoot}/_emulator/callback_answers/${id}`,
      );
      return ((await res.json()) as { result: { text?: string } | null }).result
        ?.text;
    });

  /** A person presses the option's button (the emulator queues the update for the bot). */
  async function press(message: ChatMessage, option: number, from: object) {
    const data =
      message.reply_markup!.inline_keyboard.flat()[option]!.callback_data!;
    const res = await postJson<{
      callback_query_id: string;
      update_id: number;
    }>(`${emu.apiRoot}/_emulator/press`, {
      chat_id: Number(group),
      message_id: message.message_id,
      callback_data: data,
      from,
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** Hands the bot's pending updates to Restate as the ingester does, stamped by `clock`. */
  async function deliver(clock = new ReceptionClock()): Promise<void> {
    const updates = await hook.getUpdates({
      ...(offset === undefined ? {} : { offset }),
      timeoutSeconds: 0,
      allowedUpdates: ["callback_query"],
    });
    for (const update of updates)
      await handOverUpdate(update, { hook, ingress: stack.ingress, clock });
    const last = updates.at(-1);
    if (last) offset = last.update_id + 1;
  }

  /** The event log's press entries of a run, oldest first. */
  async function pressLog(runId: string) {
    const rows = await stack.server.query<{ value_utf8: string }>(
      `SELECT value_utf8 FROM state WHERE service_name = '${EVENT_LOG_NAME}' AND key LIKE 'entry:%'`,
    );
    return rows
      .map((r) => JSON.parse(r.value_utf8) as EventLogEntry)
      .filter((e) => e.run_id === runId && e.event.startsWith("hitl.press."))
      .sort((a, b) => a.event_log_id - b.event_log_id);
  }
  const logged = (runId: string, count: number) =>
    eventually(`${count} presses logged`, async () => {
      const entries = await pressLog(runId);
      return entries.length === count ? entries : undefined;
    });

  it("tells a press received after the task's deadline that it is late, and counts it not", async () => {
    await runs.start("t_hitl_object", "late_1", { subject: "Late press" });
    const message = await request("Late press");
    const late = await press(message, 0, ANNA);
    // Stamped past the hour the task waits: received after its deadline, before the close reached the chat.
    await deliver(new ReceptionClock(() => Date.now() + 2 * 3600_000));
    expect(await toast(late.callback_query_id)).toBe(
      "The time to answer is over",
    );
    const counted = await press(message, 1, BORIS);
    await deliver();
    expect(await toast(counted.callback_query_id)).toBe("Принято: Reject");
    const taken = await runs.finished("t_hitl_object", "late_1");
    expect(taken.dag_run.state).toBe("success");
    expect(
      await stack.ingress.call<{ value: unknown }>(
        { service: "t_hitl_object", handler: "xcom", key: "late_1" },
        { task_id: "ask" },
      ),
    ).toMatchObject({
      value: {
        chosenOptions: ["Reject"],
        paramsInput: {},
        respondedByUser: { id: String(BORIS.id), name: "Борис" },
        timedout: false,
      },
    });
    const log = await logged("late_1", 2);
    expect(log.map((e) => [e.event, e.owner, e.task_id, e.try_number])).toEqual(
      [
        ["hitl.press.late", "anna", "ask", 1],
        ["hitl.press.counted", "Борис", "ask", 1],
      ],
    );
    expect(JSON.parse(log[1]!.extra!)).toEqual({
      option: "Reject",
      chosen: ["Reject"],
      chat_id: group,
      message_id: message.message_id,
      user_id: BORIS.id,
      update_id: counted.update_id,
    });
  });

  it("counts an update delivered twice once, and answers it once", async () => {
    await runs.start("t_hitl_object", "twice_1", {
      subject: "Twice",
      quorum: 2,
    });
    const message = await request("Twice");
    const pressed = await press(message, 0, ANNA);
    const data =
      message.reply_markup!.inline_keyboard.flat()[0]!.callback_data!;
    const unsigned: Omit<PressEvent, "signature"> = {
      update_id: pressed.update_id,
      callback_query_id: pressed.callback_query_id,
      bot_id: hook.botId,
      chat_id: group,
      message_id: message.message_id,
      data,
      from: ANNA,
      received_at: new Date().toISOString(),
    };
    const event = {
      ...unsigned,
      signature: hook.sign("press", pressSigningText(unsigned)),
    };
    const key = hitlKey(hook.botId, group, parseHitlCallbackData(data)!.nonce);
    // Without the ingester's idempotency key, as a second ingester (or a webhook retry past it) would send it.
    for (let i = 0; i < 2; i++)
      await stack.ingress.call(handlerTarget(TELEGRAM_HITL, "press", key), {
        ...event,
        from: { ...ANNA },
      });
    expect(await toast(pressed.callback_query_id)).toBe("Your vote: Approve");
    const log = await logged("twice_1", 2);
    expect(log.map((e) => e.event)).toEqual([
      "hitl.press.counted",
      "hitl.press.duplicate",
    ]);
    const answers = emu
      .calls(hook.botId, "answerCallbackQuery")
      .filter((c) => c.params.callback_query_id === pressed.callback_query_id);
    expect(answers).toHaveLength(1);
    await shown(message.message_id, (m) =>
      m.text.includes("Approve — 1 · Reject — 0"),
    );
  });

  it("turns the message into why the request ended: the defaults on timeout, a timeout without them, a cancel", async () => {
    await runs.start("t_hitl_object", "defaults_1", {
      subject: "Defaults",
      timeout: "2s",
      defaults: ["Reject"],
    });
    await runs.start("t_hitl_object", "timeout_1", {
      subject: "No defaults",
      timeout: "2s",
    });
    await runs.start("t_hitl_object", "cancel_1", { subject: "Cancelled" });
    const ended = async (subject: string) =>
      (await shown((await request(subject)).message_id, (m) => !m.reply_markup))
        .text;
    expect(await ended("Defaults")).toContain(
      "⏱ Timed out, the defaults apply: Reject",
    );
    expect(await ended("No defaults")).toContain(
      "⏱ Timed out without an answer",
    );
    await request("Cancelled");
    const [row] = await stack.server.query<{ id: string }>(
      "SELECT id FROM sys_invocation WHERE target_service_name = 't_hitl_object' AND target_service_key = 'cancel_1' AND status != 'completed'",
    );
    await stack.server.cancel(row?.id ?? "");
    expect(await ended("Cancelled")).toContain("✖ The run was cancelled");
  });

  it("fails the task with the setting's name when conf gives the channel a quorum it cannot count by", async () => {
    await runs.start("t_hitl_object", "bad_1", {
      subject: "Bad quorum",
      quorum: 0,
    });
    const ended = await runs.finished("t_hitl_object", "bad_1");
    expect(ended.dag_run.state).toBe("failed");
    const ask = ended.task_instances.find((t) => t.task_id === "ask");
    expect(ask?.state).toBe("failed");
    expect(ask?.note).toContain(
      "telegramChannel: quorum must be a whole number of at least 1, not 0",
    );
    expect(
      (await messages()).some((m) => m.text.startsWith("Bad quorum")),
    ).toBe(false);
  });

  it("tells the presser why when airflow_hitl refuses the Telegram answer, and keeps the request open", async () => {
    await runs.start("t_hitl_assigned", "assigned_1");
    const message = await request("Admins only");
    const pressed = await press(message, 0, ANNA);
    await deliver();
    expect(await toast(pressed.callback_query_id)).toBe(
      `The answer was not taken: User=anna (id=${ANNA.id}) is not a respondent for the task.`,
    );
    expect(
      (await runs.status("t_hitl_assigned", "assigned_1"))?.dag_run.state,
    ).toBe("running");
    expect(
      (await messages()).find((m) => m.message_id === message.message_id)
        ?.reply_markup,
    ).toBeDefined();
  });
});
