import "@poekhali/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import type { RestateIngress } from "@poekhali/core";
import {
  DeferrableSensor,
  StaticConnections,
  dag,
  dagWorkflow,
  task,
  type Args,
  type BaseSensorOptions,
  type DeferContext,
} from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import {
  MESSAGES_NAME,
  SendMessageOperator,
  TelegramHook,
  TextMessageSensor,
  chatKey,
  messageSigningText,
  telegramMessages,
  type MessageEvent,
  type ReceivedMessage,
} from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { eventually, postJson } from "./harness.js";
import { testTriggers } from "./test-triggers.js";
import { dagRunClient } from "./dag-run-client.js";

// This test plays the update ingester (tested on its own in telegram-ingest-*): it posts users' messages through
// the emulator's control API and hands each to the `telegram_messages` object as a MessageEvent signed with the
// bot's token, waiting for each to be handled, so that the order of events is the test's, not a poller's.

/** A gate the test opens, to hold a run between sending its message and parking its text-message sensor. */
const gates = testTriggers("test_gates");

class Gate extends DeferrableSensor<{ key: string }, string> {
  readonly title = "wait for the test to open the gate";
  constructor(options: BaseSensorOptions & Args<{ key: string }>) {
    super(options, { key: options.key });
  }
  override defer(args: { key: string }, context: DeferContext): void {
    context.send(
      { service: "test_gates", handler: "watch", key: args.key },
      context.triggerId,
    );
  }
  override complete(event: string): string {
    return event;
  }
}

const params = z.object({
  gate: z.string().default("gate"),
  timeout: z.string().default("1h"),
  soft: z.boolean().default(false),
});

/** Asks for a time and waits for a reply that is one; an optional gate holds the run before the sensor parks. */
const askTime = dag(
  { id: "t_ask_time", schedule: null, params },
  ({ params }) => {
    const ask = new SendMessageOperator({
      taskId: "ask",
      text: "Во сколько выезжаем? <i>Ответьте на это сообщение</i>",
      parseMode: "HTML",
    });
    const gate = new Gate({ taskId: "hold", key: params.gate });
    const answer = new TextMessageSensor({
      taskId: "answer",
      message: ask.output,
      replyOnly: true,
      textMatches: "^\\d{1,2}:\\d{2}$",
      timeout: params.timeout,
      softFail: params.soft,
    });
    answer.after(gate);
    task(
      { taskId: "confirm", title: "say when" },
      ({ a }: { a: ReceivedMessage }) =>
        `выезд в ${a.text}, ответила ${a.username}`,
      {
        a: answer.output,
      },
    );
  },
);

/** The plain path: send, then wait for the reply. */
const askTimeNow = dag(
  { id: "t_ask_time_now", schedule: null, params },
  ({ params }) => {
    const ask = new SendMessageOperator({
      taskId: "ask",
      text: "Во сколько выезжаем?",
    });
    new TextMessageSensor({
      taskId: "answer",
      message: ask.output,
      replyOnly: true,
      textMatches: "^\\d{1,2}:\\d{2}$",
      timeout: params.timeout,
      softFail: params.soft,
    });
  },
);

describe("Telegram operators and the text-message sensor on a real restate-server", () => {
  let stack: TemporaryRestate;
  let ingress: RestateIngress;
  let emu: TelegramEmulator;
  let bot: { id: number; token: string };
  let hook: TelegramHook;
  let group: string;

  beforeAll(async () => {
    emu = await TelegramEmulator.start();
    bot = emu.createBot({ username: "ops_bot" });
    group = String(emu.createChat({ type: "supergroup", title: "ops" }).id);
    emu.createUser({ id: 1001, username: "anna", firstName: "Анна" });
    emu.createUser({ id: 1002, firstName: "Борис" });
    stack = await startTemporaryRestate("poekhali-operators-");
    const connections = new StaticConnections([
      {
        connId: "telegram_default",
        connType: "telegram",
        host: group,
        password: bot.token,
        extra: { api_root: emu.apiRoot },
      },
    ]);
    const runtime = { connections };
    hook = new TelegramHook({ token: bot.token, apiRoot: emu.apiRoot });
    const services = [
      telegramMessages({ hookFor: () => hook }),
      gates,
      dagWorkflow(askTime, runtime),
      dagWorkflow(askTimeNow, runtime),
    ];
    await stack.deploy(services);
    ingress = stack.ingress;
  });
  afterAll(async () => {
    await stack?.stop();
    await emu?.close();
  });

  const { start, status, finished } = dagRunClient(() => ingress);
  const stateOf = async (dagId: string, runId: string, taskId: string) =>
    (await status(dagId, runId))?.task_instances.find(
      (t) => t.task_id === taskId,
    )?.state;
  const xcom = async <T>(dagId: string, runId: string, taskId: string) =>
    (
      await ingress.call<{ value: T } | null>(
        { service: dagId, handler: "xcom", key: runId },
        { task_id: taskId },
      )
    )?.value;
  const key = () => chatKey(bot.id, group);
  const watchers = () =>
    ingress.call<{ trigger_id: string }[]>({
      service: MESSAGES_NAME,
      handler: "watchers",
      key: key(),
    });

  /** The run's question in the chat, once the send operator has posted it. */
  const question = (dagId: string, runId: string) =>
    eventually(`the question of ${runId}`, () =>
      xcom<{ message_id: number; text: string }>(dagId, runId, "ask"),
    );

  /** A user's reply, posted through the emulator's control API and handed over as the ingester would. */
  async function reply(
    to: number,
    fromId: number,
    text: string,
    sign: (event: MessageEvent) => string = (event) =>
      hook.sign("message", messageSigningText(event)),
  ): Promise<MessageEvent> {
    const { status: code, body } = await postJson<{
      ok: boolean;
      result: {
        message_id: number;
        chat: { id: number };
        from: { id: number; username?: string; first_name: string };
        text: string;
      };
      updates: { bot_id: number; update_id: number }[];
    }>(`${emu.apiRoot}/_emulator/messages`, {
      chat_id: Number(group),
      from: { id: fromId },
      text,
      reply_to_message_id: to,
    });
    expect(code).toBe(200);
    const update = body.updates.find((u) => u.bot_id === bot.id);
    const from = body.result.from;
    const event: MessageEvent = {
      update_id: update?.update_id ?? 0,
      bot_id: bot.id,
      chat_id: String(body.result.chat.id),
      message_id: body.result.message_id,
      from: {
        id: from.id,
        first_name: from.first_name,
        ...(from.username ? { username: from.username } : {}),
      },
      text: body.result.text,
      reply_to_message_id: to,
      received_at: new Date().toISOString(),
    };
    await ingress.call(
      { service: MESSAGES_NAME, handler: "message", key: key() },
      { ...event, from: { ...event.from }, signature: sign(event) },
    );
    return event;
  }

  it("wakes the sensor with the first reply matching its regex, after a reply that does not match", async () => {
    await start("t_ask_time_now", "r1");
    const asked = await question("t_ask_time_now", "r1");
    await eventually(
      "the sensor to register",
      async () => (await watchers()).length === 1,
    );
    await reply(asked.message_id, 1002, "не знаю");
    expect(await stateOf("t_ask_time_now", "r1", "answer")).toBe("deferred");
    expect(await watchers()).toHaveLength(1);
    const matching = await reply(asked.message_id, 1001, "9:30");
    const s = await finished("t_ask_time_now", "r1");
    expect(s.dag_run.state).toBe("success");
    expect(
      await xcom<ReceivedMessage>("t_ask_time_now", "r1", "answer"),
    ).toEqual({
      chat_id: group,
      message_id: matching.message_id,
      user_id: 1001,
      username: "anna",
      first_name: "Анна",
      text: "9:30",
      reply_to_message_id: asked.message_id,
      received_at: matching.received_at,
      update_id: matching.update_id,
    });
    expect(await watchers()).toEqual([]);
  });

  it("delivers a matching reply that came before the sensor parked, and passes it downstream", async () => {
    await start("t_ask_time", "early", { gate: "early" });
    const asked = await question("t_ask_time", "early");
    expect(asked.text).toBe("Во сколько выезжаем? Ответьте на это сообщение");
    expect(await stateOf("t_ask_time", "early", "answer")).toBe("scheduled");
    await reply(asked.message_id, 1001, "7:15");
    await eventually("the gate to be watched", () =>
      ingress
        .call({ service: "test_gates", handler: "fire", key: "early" }, "open")
        .then(() => true),
    );
    const s = await finished("t_ask_time", "early");
    expect(s.dag_run.state).toBe("success");
    expect(await xcom<string>("t_ask_time", "early", "confirm")).toBe(
      "выезд в 7:15, ответила anna",
    );
  });

  it("drops the sensor's registration when it times out, so later messages are not taken by it", async () => {
    await start("t_ask_time_now", "late", { timeout: "1s", soft: true });
    const asked = await question("t_ask_time_now", "late");
    const s = await finished("t_ask_time_now", "late");
    expect(s.task_instances.find((t) => t.task_id === "answer")?.state).toBe(
      "skipped",
    );
    await eventually(
      "the registration to be dropped",
      async () => (await watchers()).length === 0,
    );
    await reply(asked.message_id, 1001, "8:00");
    expect(await watchers()).toEqual([]);
  });

  it("drops a message that our ingester did not sign: a local process cannot answer for someone through the ingress", async () => {
    await start("t_ask_time_now", "forged");
    const asked = await question("t_ask_time_now", "forged");
    await eventually(
      "the sensor to register",
      async () => (await watchers()).length === 1,
    );
    // A made-up reply, and a real one's fields with the signature of other text.
    await reply(asked.message_id, 1001, "6:66", () => "not-a-signature");
    await reply(asked.message_id, 1001, "5:55", (event) =>
      hook.sign("message", messageSigningText({ ...event, text: "5:56" })),
    );
    expect(await stateOf("t_ask_time_now", "forged", "answer")).toBe(
      "deferred",
    );
    expect(await watchers()).toHaveLength(1);
    await reply(asked.message_id, 1001, "10:05");
    const s = await finished("t_ask_time_now", "forged");
    expect(s.dag_run.state).toBe("success");
    expect(
      (await xcom<ReceivedMessage>("t_ask_time_now", "forged", "answer"))?.text,
    ).toBe("10:05");
  });
});
