import "@poekhali/core";
import {
  createEndpointHandler,
  type EndpointOptions,
} from "@restatedev/restate-sdk";
import * as clients from "@restatedev/restate-sdk-clients";
import {
  AIRFLOW_HITL,
  HITL_ANSWER_PURPOSE,
  INTERNAL_KEY_ENV,
  signCall,
  type HITLAnswer,
  EVENT_LOG_KEY,
  EVENT_LOG_NAME,
  RestateIngress,
  StaticConnections,
  airflowHitl,
  dagWorkflow,
  eventLogObject,
  hitlObjectKey,
  type Dag,
  type EventLogEntry,
} from "@poekhali/core";
import { TelegramEmulator } from "@poekhali/emulators";
import {
  INGESTED_UPDATES,
  TelegramHook,
  UpdatePoller,
  pollLease,
  updateRelay,
  telegramHitl,
  telegramMessages,
  telegramRouter,
} from "@poekhali/telegram";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import {
  serveEndpoint,
  type ServedEndpoint,
} from "../packages/poekhali/src/worker/serve-endpoint.js";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { dagRunClient } from "./dag-run-client.js";
import { eventually, postJson } from "./harness.js";

/** A person in the test chat, as the emulator knows them. */
export interface Person {
  readonly id: number;
  readonly username?: string;
  readonly first_name: string;
  readonly language_code?: string;
}

/** A message as the emulator's control API shows it (what a Telegram app sees). */
export interface ShownMessage {
  message_id: number;
  from: { id: number; is_bot: boolean };
  text: string;
  entities?: { type: string; user?: { id: number } }[];
  reply_to_message?: { message_id: number };
  reply_markup?: {
    inline_keyboard: { text: string; callback_data?: string }[][];
  };
  force_reply?: { force_reply: true; selective: boolean };
}

/**
 * A worker as `poekhali worker` makes one, in this process: a real restate-server, the Telegram emulator with a bot,
 * a group and an escalation chat, and an endpoint serving the DAGs, `airflow_hitl`, the event log and the Telegram
 * objects (`telegram_hitl`, `telegram_messages`, the router, the poll lease), with the real update poller asking
 * for presses and messages. `restartWorker` stops the endpoint and the poller and starts them again on the same
 * address, as a restarted worker process would come back.
 */
export async function startHitlFormStack(prefix: string, dags: Dag[]) {
  // This process is both the web tier and the worker: they share the key the web tier signs its answers with.
  process.env[INTERNAL_KEY_ENV] ??= "hitl-form-stack-internal-key";
  const restate: TemporaryRestate = await startTemporaryRestate(prefix);
  const telegram = await TelegramEmulator.start();
  const bot = telegram.createBot({ username: "hitl_form_bot" });
  const chat = telegram.createChat({ type: "supergroup", title: "Релизы" });
  const escalation = telegram.createChat({ type: "group", title: "Leads" });
  const people = {
    anna: telegram.createUser({
      id: 1001,
      username: "anna",
      firstName: "Анна",
      languageCode: "ru",
    }),
    boris: telegram.createUser({
      id: 1002,
      firstName: "Boris",
      languageCode: "en",
    }),
    vera: telegram.createUser({
      id: 1003,
      username: "vera_k",
      firstName: "Вера",
      languageCode: "en",
    }),
  };
  const connections = new StaticConnections([
    {
      connId: "telegram_default",
      connType: "telegram",
      host: String(chat.id),
      password: bot.token,
      extra: { api_root: telegram.apiRoot },
    },
  ]);
  const hook = TelegramHook.fromConnection(connections.get("telegram_default"));
  const hookFor = (botId: number) => {
    if (botId !== hook.botId) throw new Error(`no connection for bot ${botId}`);
    return hook;
  };
  const services: EndpointOptions["services"] = [
    ...dags.map((d) => dagWorkflow(d, { connections })),
    airflowHitl,
    eventLogObject,
    telegramHitl({ hookFor }),
    telegramMessages({ hookFor }),
    telegramRouter({ hookFor }),
    pollLease,
    updateRelay({ hookFor }),
  ];
  const port = await choosePort(0);
  const ingress = new RestateIngress(restate.server.ingressUrl);

  let endpoint: ServedEndpoint | undefined;
  let poller: UpdatePoller | undefined;
  async function startWorker(): Promise<string> {
    endpoint = await serveEndpoint(createEndpointHandler({ services }), {
      port,
    });
    poller = new UpdatePoller({
      hook,
      ingress,
      workerId: `hitl-form-${port}`,
      allowedUpdates: INGESTED_UPDATES,
      timeoutSeconds: 1,
      leaseMs: 3_000,
    });
    poller.start();
    return endpoint.url;
  }
  async function stopWorker(): Promise<void> {
    await poller?.stop();
    await endpoint?.stop();
    poller = undefined;
    endpoint = undefined;
  }
  await restate.server.register(await startWorker());

  const control = `${telegram.apiRoot}/_emulator`;
  const runs = dagRunClient(() => ingress);
  const client = () => clients.connect({ url: restate.server.ingressUrl });

  return {
    restate,
    telegram,
    bot,
    chat,
    escalation,
    people,
    runs,
    /** Stops the worker (endpoint and poller); `startWorker` brings it back on the same address. */
    stopWorker,
    startWorker,
    /** The messages a chat shows, oldest first. */
    async messages(chatId = chat.id): Promise<ShownMessage[]> {
      const res = await fetch(`${control}/chats/${chatId}/messages`);
      return ((await res.json()) as { result: ShownMessage[] }).result;
    },
    /** Waits for a message of a chat that `match` accepts, and returns it. */
    async waitForMessage(
      what: string,
      match: (m: ShownMessage) => boolean,
      chatId = chat.id,
      timeoutMs = 30_000,
    ): Promise<ShownMessage> {
      return eventually(
        what,
        async () => (await this.messages(chatId)).find(match),
        timeoutMs,
      );
    },
    /** Presses a request's button (by its text) as a person; resolves with the callback query id. */
    async press(
      messageId: number,
      text: string,
      from: Person,
    ): Promise<string> {
      const message = (await this.messages()).find(
        (m) => m.message_id === messageId,
      );
      const button = message?.reply_markup?.inline_keyboard
        .flat()
        .find((b) => b.text.startsWith(text));
      if (!button?.callback_data)
        throw new Error(`message ${messageId} shows no button «${text}»`);
      const res = await postJson<{ ok: boolean; callback_query_id: string }>(
        `${control}/press`,
        {
          chat_id: chat.id,
          message_id: messageId,
          callback_data: button.callback_data,
          from,
        },
      );
      if (!res.body.ok)
        throw new Error(`press refused: ${JSON.stringify(res.body)}`);
      return res.body.callback_query_id;
    },
    /** The bot's answer to a press (its toast), once given. */
    answerOf(queryId: string): Promise<string> {
      return eventually(`the answer to press ${queryId}`, async () => {
        const res = await fetch(`${control}/callback_answers/${queryId}`);
        const { result } = (await res.json()) as {
          result: { text?: string } | null;
        };
        return result ? (result.text ?? "") : undefined;
      });
    },
    /** A person's message in the group, a reply when `replyTo` is given. */
    async say(from: Person, text: string, replyTo?: number): Promise<number> {
      const res = await postJson<{
        ok: boolean;
        result: { message_id: number };
      }>(`${control}/messages`, {
        chat_id: chat.id,
        from,
        text,
        ...(replyTo === undefined ? {} : { reply_to_message_id: replyTo }),
      });
      if (!res.body.ok)
        throw new Error(`message refused: ${JSON.stringify(res.body)}`);
      return res.body.result.message_id;
    },
    /** The run's `airflow_hitl` object, as the REST API reaches it: its answers signed as the web tier signs them. */
    hitl: (dagId: string, runId: string) => {
      const object = client().objectClient(
        AIRFLOW_HITL,
        hitlObjectKey(dagId, runId),
      );
      return {
        entry: (input: { task_id: string }) => object.entry(input),
        answer: (given: HITLAnswer) =>
          object.answerSigned(
            signCall(HITL_ANSWER_PURPOSE, hitlObjectKey(dagId, runId), given),
          ),
      };
    },
    /** A task's output, as the run's XCom keeps it. */
    xcom: (dagId: string, runId: string, taskId: string) =>
      ingress.call<{ value: unknown }>(
        { service: dagId, handler: "xcom", key: runId },
        { task_id: taskId },
      ),
    /** The event log's entries of a run, oldest first. */
    async events(runId: string): Promise<EventLogEntry[]> {
      const rows = await restate.server.query<{ value_utf8: string | null }>(
        `SELECT value_utf8 FROM state WHERE service_name = '${EVENT_LOG_NAME}' AND service_key = '${EVENT_LOG_KEY}'`,
      );
      return rows
        .flatMap((r) =>
          r.value_utf8?.startsWith("{")
            ? [JSON.parse(r.value_utf8) as EventLogEntry]
            : [],
        )
        .filter((e) => e.run_id === runId)
        .sort((a, b) => a.event_log_id - b.event_log_id);
    },
    /** The bot's sendMessage calls so far. */
    sends: () => telegram.calls(bot.id, "sendMessage"),
    async stop() {
      await stopWorker();
      await telegram.close();
      await restate.stop();
    },
  };
}

/** A stack of {@link startHitlFormStack}. */
export type HitlFormStack = Awaited<ReturnType<typeof startHitlFormStack>>;
