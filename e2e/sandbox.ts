import { z } from "zod";
import {
  DAGRunResponse,
  HTTPExceptionResponse,
  HTTPValidationError,
  TaskInstanceCollectionResponse,
  XComResponseNative,
  type TaskInstanceResponse,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import { afterAll, beforeAll } from "vitest";
import {
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import { v2Body, v2Get } from "./v2-answer.js";

/** The sandbox's emulators as poekhali's own GET /api/v1/sandbox describes them (not an Airflow route). */
export interface Sandbox {
  telegram: { api_root: string; token: string; chat_id: string };
  airtable: {
    endpoint_url: string;
    token: string;
    base_id: string;
    table: string;
  };
}

/** A message as the Telegram emulator's control API shows it. */
export interface ChatMessage {
  message_id: number;
  text: string;
  reply_markup?: {
    inline_keyboard: { text: string; callback_data?: string }[][];
  };
}

/** A row as Airtable's REST API returns it. */
export interface Row {
  id: string;
  fields: Record<string, unknown>;
}

/** Helpers over the sandbox of a running app. */
export async function sandboxOf(app: AppUnderTest) {
  const { body: sb } = await app.json<Sandbox>("/api/v1/sandbox");
  return emulatorsOf(sb);
}

/** The helpers {@link sandboxOf} gives. */
export type SandboxHelpers = Awaited<ReturnType<typeof sandboxOf>>;

/**
 * Starts `poekhali up` (with `env`) before the enclosing describe's tests, hands it and its sandbox to `ready`, and
 * stops it after them.
 *
 * @example
 * let app: AppUnderTest;
 * let sandbox: SandboxHelpers;
 * withSandboxApp((a, s) => ((app = a), (sandbox = s)));
 */
export function withSandboxApp(
  ready: (app: AppUnderTest, sandbox: SandboxHelpers) => void,
  env: Record<string, string> = {},
): void {
  let app: AppUnderTest | undefined;
  beforeAll(async () => {
    app = await startApp(env);
    ready(app, await sandboxOf(app));
  });
  afterAll(async () => {
    await app?.stop();
  });
}

/** Helpers over emulators the test started itself (`startSandbox(...).info`), as `sandboxOf` gives for an app's. */
export function emulatorsOf(sb: Sandbox) {
  const tg = sb.telegram.api_root;
  const bot = `${tg}/_emulator/bots/${sb.telegram.token.split(":")[0] ?? ""}`;
  return {
    info: sb,
    /** Injects a fault into the sandbox bot's next calls of a method (the emulator's control API). */
    async fault(body: {
      method: string;
      delay_ms?: number;
      error_code?: number;
      times?: number;
      description?: string;
      retry_after?: number;
    }): Promise<void> {
      const res = await postJson(`${bot}/faults`, body);
      if (res.status !== 200)
        throw new Error(`injecting a fault answered ${res.status}`);
    },
    /** Forgets the sandbox bot's pending faults. */
    async clearFaults(): Promise<void> {
      await fetch(`${bot}/faults`, { method: "DELETE" });
    },
    /** Waits until the sandbox bot has called a method with params that `match` accepts. */
    called(
      method: string,
      match: (params: Record<string, unknown>) => boolean,
    ): Promise<true> {
      return eventually(
        `the bot to call ${method}`,
        async () =>
          (await this.calls(method)).some((c) => match(c.params)) || undefined,
      );
    },
    /** The sandbox bot's calls of the Bot API, oldest first, optionally of one method. */
    async calls(
      method?: string,
    ): Promise<{ method: string; params: Record<string, unknown> }[]> {
      const res = await fetch(`${bot}/calls`);
      const { result } = (await res.json()) as {
        result: { method: string; params: Record<string, unknown> }[];
      };
      return method ? result.filter((c) => c.method === method) : result;
    },
    async messages(): Promise<ChatMessage[]> {
      const res = await fetch(
        `${tg}/_emulator/chats/${sb.telegram.chat_id}/messages`,
      );
      return ((await res.json()) as { result: ChatMessage[] }).result;
    },
    /** Waits for the newest message that shows a button (with this text, if given), and returns it. */
    async messageWithButton(text?: string): Promise<ChatMessage> {
      return eventually(
        `a message with a button${text ? ` saying "${text}"` : ""}`,
        async () =>
          (await this.messages())
            .filter(
              (m) => m.reply_markup && (text === undefined || m.text === text),
            )
            .at(-1),
      );
    },
    press(
      messageId: number,
      from: { id: number; username?: string; first_name: string },
    ) {
      return postJson<{
        ok: boolean;
        callback_query_id: string;
        update_id: number;
      }>(`${tg}/_emulator/press`, {
        chat_id: Number(sb.telegram.chat_id),
        message_id: messageId,
        from,
      });
    },
    /** Presses the button of `option` under a request (its label may carry a ✓ or a count); returns the callback's id. */
    async pressOption(
      message: ChatMessage,
      option: string,
      from: {
        id: number;
        username?: string;
        first_name: string;
        language_code?: string;
      },
    ): Promise<string> {
      const button = message.reply_markup?.inline_keyboard
        .flat()
        .find(
          (b) => b.text.replace(/^✓ /, "").replace(/ · \d+$/, "") === option,
        );
      if (!button?.callback_data)
        throw new Error(`no button "${option}" under ${message.message_id}`);
      const res = await postJson<{ ok: boolean; callback_query_id: string }>(
        `${tg}/_emulator/press`,
        {
          chat_id: Number(sb.telegram.chat_id),
          message_id: message.message_id,
          callback_data: button.callback_data,
          from,
        },
      );
      if (res.status !== 200)
        throw new Error(`pressing "${option}" answered ${res.status}`);
      return res.body.callback_query_id;
    },
    async callbackAnswer(id: string): Promise<{ text?: string } | null> {
      const res = await fetch(`${tg}/_emulator/callback_answers/${id}`);
      return ((await res.json()) as { result: { text?: string } | null })
        .result;
    },
    async rows(): Promise<Row[]> {
      const a = sb.airtable;
      const res = await fetch(`${a.endpoint_url}/v0/${a.base_id}/${a.table}`, {
        headers: { authorization: `Bearer ${a.token}` },
      });
      if (!res.ok)
        throw new Error(`listing rows: ${res.status} ${await res.text()}`);
      return ((await res.json()) as { records: Row[] }).records;
    },
  };
}

/** The DAG the helpers' runs belong to unless a call names another. */
const GO_BUTTON = "telegram_go_button";
/** Where Airflow 3's API keeps a DAG's runs. */
const runsPath = (dagId: string) =>
  `/api/v2/dags/${encodeURIComponent(dagId)}/dagRuns`;
const runPath = (runId: string, dagId = GO_BUTTON) =>
  `${runsPath(dagId)}/${encodeURIComponent(runId)}`;

/** Triggers a run of telegram_go_button, or of another DAG (`TriggerDAGRunPostBody`), and returns its id. */
export async function trigger(
  app: AppUnderTest,
  body: Record<string, unknown> = {},
  dagId = GO_BUTTON,
): Promise<string> {
  const answer = await postJson<unknown>(`${app.url}${runsPath(dagId)}`, body);
  const run = v2Body(`POST ${runsPath(dagId)}`, DAGRunResponse, answer);
  // Airflow answers a trigger with the run it queued.
  if (run.state !== "queued")
    throw new Error(`trigger answered a run that is ${run.state}, not queued`);
  return run.dag_run_id;
}

/** Waits until the run (of telegram_go_button unless `dagId` names another DAG) reaches one of the states; returns it. */
export function runState(
  app: AppUnderTest,
  runId: string,
  states: string[],
  dagId = GO_BUTTON,
): Promise<string> {
  return eventually(
    `run ${runId} to be ${states.join(" or ")}`,
    async () => {
      const run = await v2Get(app, runPath(runId, dagId), DAGRunResponse);
      return states.includes(run.state) ? run.state : undefined;
    },
    60_000,
  );
}

/** A task instance as `/api/v2` answers it. */
export type TaskInstance = z.infer<typeof TaskInstanceResponse>;

/** The run's task instances (of telegram_go_button unless `dagId` names another DAG) by task id; a task waiting for its upstream has no state yet (null), as in Airflow. */
export async function taskStates(
  app: AppUnderTest,
  runId: string,
  dagId = GO_BUTTON,
): Promise<Record<string, TaskInstance>> {
  const { task_instances } = await v2Get(
    app,
    `${runPath(runId, dagId)}/taskInstances`,
    TaskInstanceCollectionResponse,
  );
  return Object.fromEntries(task_instances.map((t) => [t.task_id, t]));
}

/** A task's output in the run: its XCom `return_value`, as Airflow's API answers it by default (the JSON value itself). */
export async function returnValue(
  app: AppUnderTest,
  runId: string,
  taskId: string,
): Promise<z.infer<typeof XComResponseNative>["value"]> {
  const xcom = await v2Get(
    app,
    `${runPath(runId)}/taskInstances/${encodeURIComponent(taskId)}/xcomEntries/return_value`,
    XComResponseNative,
  );
  if (xcom.run_id !== runId || xcom.task_id !== taskId)
    throw new Error(
      `the XCom of ${runId}/${taskId} names ${xcom.run_id}/${xcom.task_id}`,
    );
  return xcom.value;
}

/** Waits until the button-press sensor of every one of these runs has parked (`deferred`). */
export function sensorsParked(
  app: AppUnderTest,
  runIds: readonly string[],
  timeoutMs = 90_000,
): Promise<true> {
  return eventually(
    runIds.length === 1
      ? `run ${runIds[0]}'s sensor to park`
      : `the sensors of ${runIds.length} runs to park`,
    async () =>
      (await Promise.all(runIds.map((id) => taskStates(app, id)))).every(
        (t) => t.wait_for_press?.state === "deferred",
      ) || undefined,
    timeoutMs,
  );
}

/**
 * Cancels a run as Airflow's API does (`PATCH … {"state": "failed"}`) and returns the answer's status; a 200 must
 * carry the run, failed (the API answers once the run has ended), and an error Airflow's error body.
 */
export async function cancelRun(
  app: AppUnderTest,
  runId: string,
): Promise<number> {
  const res = await fetch(`${app.url}${runPath(runId)}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ state: "failed" }),
  });
  const answer = { status: res.status, body: (await res.json()) as unknown };
  const what = `PATCH ${runPath(runId)}`;
  if (res.status !== 200) {
    v2Body(
      what,
      z.union([HTTPExceptionResponse, HTTPValidationError]),
      answer,
      res.status,
    );
    return res.status;
  }
  const run = v2Body(what, DAGRunResponse, answer);
  if (run.state !== "failed")
    throw new Error(`${what} answered 200 with a run that is ${run.state}`);
  return res.status;
}
