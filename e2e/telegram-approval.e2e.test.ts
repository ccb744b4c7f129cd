import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import {
  dagsFolder,
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import {
  runState,
  sandboxOf,
  taskStates,
  trigger,
  type ChatMessage,
} from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

const DAG = "telegram_approval";
const SDK_DAG = "sdk_telegram_sign_off";

/** A person of the sandbox chat, as Telegram sends them with a press. */
interface Person {
  readonly id: number;
  readonly username?: string;
  readonly first_name: string;
  readonly language_code?: string;
}
const anna: Person = { id: 2001, username: "anna", first_name: "Анна" };
const boris: Person = { id: 2002, username: "boris", first_name: "Борис" };

describe("telegram_approval (and an SDK approval put to Telegram) in sandbox mode", () => {
  // The shipped DAG file as it is (with the file it takes its chat id param and row type from), and an SDK file.
  const folder = dagsFolder("tg-approval", {
    "telegram_approval.ts": "dags/telegram_approval.ts",
    "telegram_go_button.ts": "dags/telegram_go_button.ts",
    "sdk_sign_off.ts": "e2e/fixtures/telegram-sdk-approval-dag.ts.txt",
  });
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;

  beforeAll(async () => {
    app = await startApp({
      POEKHALI_DAGS_FOLDER: folder.dags,
      POEKHALI_HOME: folder.home,
    });
    sandbox = await sandboxOf(app);
  });
  afterAll(async () => {
    await app?.stop();
    folder.remove();
  });

  const runPath = (runId: string, dagId = DAG) =>
    `/api/v2/dags/${dagId}/dagRuns/${runId}`;

  /** The request message of a run, once posted with its buttons (its subject names the run). */
  const request = (subject: string): Promise<ChatMessage> =>
    eventually(`the request "${subject}" in the chat`, async () =>
      (await sandbox.messages()).find(
        (m) => m.text.includes(subject) && m.reply_markup !== undefined,
      ),
    );

  /** Presses the button of `option` (its label may carry a ✓ or a count) as `who`; returns the callback's id. */
  const press = (message: ChatMessage, option: string, who: Person) =>
    sandbox.pressOption(message, option, who);

  /** The run's request as Airflow's API shows it, once answered. */
  async function answered(runId: string, dagId = DAG) {
    const { hitl_details } = await v2Get(
      app,
      `${runPath(runId, dagId)}/hitlDetails`,
      v2.HITLDetailCollection,
    );
    const detail = hitl_details[0];
    if (!detail?.response_received)
      throw new Error(`${runId}'s request is not answered`);
    return detail;
  }

  /** The task instances' states by task id. */
  const states = async (runId: string, dagId = DAG) =>
    Object.fromEntries(
      Object.entries(await taskStates(app, runId, dagId)).map(([id, t]) => [
        id,
        t.state,
      ]),
    );

  it("declares the issue's conf keys, each described, and ask then record", async () => {
    const details = await v2Get(
      app,
      `/api/v2/dags/${DAG}/details`,
      v2.DAGDetailsResponse,
    );
    expect(Object.keys(details.params ?? {})).toEqual([
      "chat_id",
      "subject",
      "body",
      "options",
      "multiple",
      "quorum",
      "veto",
      "assigned_usernames",
      "remind_after",
      "escalate_after",
      "escalate_chat_id",
      "timeout",
      "defaults",
      "fail_on_reject",
      "ask_reason",
    ]);
    const { tasks } = await v2Get(
      app,
      `/api/v2/dags/${DAG}/tasks`,
      v2.TaskCollectionResponse,
    );
    expect(tasks.map((t) => [t.task_id, t.downstream_task_ids])).toEqual([
      ["ask", ["record"]],
      ["record", []],
    ]);
    // The DAG list links it, and its page's trigger form has a labelled field per param, with what it does.
    expect(await (await fetch(app.url)).text()).toContain(
      `href="/dags/${DAG}"`,
    );
    const page = await (await fetch(`${app.url}/dags/${DAG}`)).text();
    for (const name of Object.keys(details.params ?? {}))
      expect(page).toMatch(
        new RegExp(
          `data-param="${name}"[^>]*>(<label[^>]*>(<input[^>]*> )?|<legend>)${name}[ <]`,
        ),
      );
    // A nullable param is edited as its value (left empty, it keeps its null default), not as raw JSON.
    expect(page).toContain(
      '<label for="param-chat_id">chat_id</label><input id="param-chat_id" type="text"',
    );
    expect(page).toContain(
      "The chat to ask in; TELEGRAM_CHAT_ID&#39;s when null Optional: left empty, it is not sent.",
    );
    expect(page).toMatch(
      /id="param-remind_after-hint">[^<]*A duration such as <code>90s<\/code>/,
    );
    expect(page).toMatch(/<fieldset class="field" data-param="defaults"/);
  });

  it("writes one row for an Approve pressed in the chat: the presser, hitl:Approve, when it was decided", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      { dag_run_id: "approve_1", conf: { subject: "Ship approve_1?" } },
      DAG,
    );
    const message = await request("Ship approve_1?");
    expect(
      message.reply_markup?.inline_keyboard.flat().map((b) => b.text),
    ).toEqual(["Approve", "Reject"]);
    await press(message, "Approve", anna);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    expect(await states(runId)).toEqual({ ask: "success", record: "success" });
    const detail = await answered(runId);
    expect(detail).toMatchObject({
      chosen_options: ["Approve"],
      responded_by_user: { id: String(anna.id), name: "anna" },
    });
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)?.fields).toEqual({
      id: expect.any(Number),
      chat_id: sandbox.info.telegram.chat_id,
      username: "anna",
      triggered_at: detail.responded_at,
      event_type: "hitl:Approve",
      reporter_name: "e2e-reporter",
    });
  });

  it('writes the options ticked with multiple, joined by "," in the options\' order', async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      {
        dag_run_id: "multiple_1",
        conf: {
          subject: "Where does multiple_1 go?",
          options: ["eu", "us", "asia"],
          multiple: true,
        },
      },
      DAG,
    );
    const message = await request("Where does multiple_1 go?");
    // Each toggle answered before the next press, as a person sees the ✓ before pressing on.
    for (const option of ["us", "eu", "Submit"]) {
      const id = await press(message, option, anna);
      await eventually(`the answer to ${option}`, () =>
        sandbox.callbackAnswer(id),
      );
    }
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    expect((await answered(runId)).chosen_options?.slice().sort()).toEqual([
      "eu",
      "us",
    ]);
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)?.fields).toMatchObject({
      username: "anna",
      event_type: "hitl:eu,us",
    });
  });

  it("skips record on a Reject: the run succeeds and no row is written", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      { dag_run_id: "reject_1", conf: { subject: "Ship reject_1?" } },
      DAG,
    );
    await press(await request("Ship reject_1?"), "Reject", boris);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    expect(await states(runId)).toEqual({ ask: "success", record: "skipped" });
    expect((await answered(runId)).chosen_options).toEqual(["Reject"]);
    expect(await sandbox.rows()).toHaveLength(rowsBefore);
  });

  it("fails the run on a Reject with fail_on_reject, naming who rejected", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      {
        dag_run_id: "reject_2",
        conf: { subject: "Ship reject_2?", fail_on_reject: true },
      },
      DAG,
    );
    await press(await request("Ship reject_2?"), "Reject", boris);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "failed",
    );
    expect(await states(runId)).toEqual({
      ask: "failed",
      record: "upstream_failed",
    });
    // The failed try's note says why, as the run page shows it.
    const { body: run } = await app.json<{
      task_instances: { task_id: string; note?: string | null }[];
    }>(`/api/v1/dags/${DAG}/dagRuns/${runId}/taskInstances`);
    expect(run.task_instances.find((t) => t.task_id === "ask")?.note).toContain(
      "Rejected by boris (telegram)",
    );
    expect(await sandbox.rows()).toHaveLength(rowsBefore);
  });

  it("records the defaults when nobody answers in time, as decided by (timeout)", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      {
        dag_run_id: "timeout_1",
        conf: {
          subject: "Ship timeout_1?",
          timeout: "2s",
          defaults: ["Approve"],
        },
      },
      DAG,
    );
    await request("Ship timeout_1?");
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    const detail = await answered(runId);
    expect(detail).toMatchObject({
      chosen_options: ["Approve"],
      responded_by_user: null,
    });
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)?.fields).toMatchObject({
      username: "(timeout)",
      event_type: "hitl:Approve",
      triggered_at: detail.responded_at,
    });
    // The message says so, and its keyboard is gone.
    expect(
      await eventually("the request to show the timeout", async () =>
        (await sandbox.messages()).find(
          (m) => m.text.includes("Ship timeout_1?") && !m.reply_markup,
        ),
      ),
    ).toBeTruthy();
  });

  it("asks the decider for a reason with ask_reason, and keeps the reply as params_input.reason", async () => {
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      {
        dag_run_id: "reason_1",
        conf: { subject: "Ship reason_1?", ask_reason: true },
      },
      DAG,
    );
    const message = await request("Ship reason_1?");
    const englishAnna = { ...anna, language_code: "en" };
    await press(message, "Approve", englishAnna);
    /** The bot's newest ForceReply prompt after a message. */
    const promptAfter = (after: number) =>
      eventually(`a prompt after message ${after}`, async () =>
        (
          (await sandbox.messages()) as (ChatMessage & {
            force_reply?: unknown;
          })[]
        ).find((m) => m.message_id > after && m.force_reply !== undefined),
      );
    const say = (text: string, replyTo: number) =>
      postJson(`${sandbox.info.telegram.api_root}/_emulator/messages`, {
        chat_id: Number(sandbox.info.telegram.chat_id),
        from: englishAnna,
        text,
        reply_to_message_id: replyTo,
      });
    const prompt = await promptAfter(message.message_id);
    expect(prompt.text).toContain("reason");
    // Longer than the field takes: asked again.
    expect((await say("x".repeat(1001), prompt.message_id)).status).toBe(200);
    const again = await promptAfter(prompt.message_id);
    expect(again.text).toMatch(/^Not taken: /);
    expect((await say("tests are green", again.message_id)).status).toBe(200);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    const detail = await answered(runId);
    expect(detail).toMatchObject({
      chosen_options: ["Approve"],
      params_input: { reason: "tests are green" },
      responded_by_user: { id: String(anna.id), name: "anna" },
    });
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)?.fields).toMatchObject({
      username: "anna",
      event_type: "hitl:Approve",
      triggered_at: detail.responded_at,
    });
  });

  it("reminds the assigned people who have not answered and escalates to another chat, as conf says", async () => {
    const tg = sandbox.info.telegram.api_root;
    const leads = await postJson<{ result: { id: number } }>(
      `${tg}/_emulator/chats`,
      { type: "group", title: "Leads" },
    );
    const leadsId = leads.body.result.id;
    const rowsBefore = (await sandbox.rows()).length;
    const runId = await trigger(
      app,
      {
        dag_run_id: "remind_1",
        conf: {
          subject: "Ship remind_1?",
          assigned_usernames: ["anna", "@boris"],
          quorum: 2,
          remind_after: "1s",
          escalate_after: "2s",
          escalate_chat_id: String(leadsId),
          timeout: "1m",
        },
      },
      DAG,
    );
    const message = await request("Ship remind_1?");
    await press(message, "Approve", anna);
    type Shown = ChatMessage & { reply_to_message?: { message_id: number } };
    const reminder = await eventually("the reminder", async () =>
      ((await sandbox.messages()) as Shown[]).find(
        (m) => m.reply_to_message?.message_id === message.message_id,
      ),
    );
    expect(reminder.text).toContain("@boris");
    expect(reminder.text).not.toContain("@anna");
    const escalation = await eventually("the escalation", async () => {
      const res = await fetch(`${tg}/_emulator/chats/${leadsId}/messages`);
      return ((await res.json()) as { result: ChatMessage[] }).result.find(
        (m) => m.text.includes("Ship remind_1?"),
      );
    });
    expect(escalation.text).toContain("telegram_approval / remind_1 / ask");
    await press(message, "Approve", boris);
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(rowsBefore + 1);
    expect(rows.at(-1)?.fields).toMatchObject({
      username: "boris",
      event_type: "hitl:Approve",
    });
  });

  it("refuses a misspelt conf key by name, and starts nothing", async () => {
    const res = await postJson<{ detail: string }>(
      `${app.url}/api/v2/dags/${DAG}/dagRuns`,
      { dag_run_id: "typo_1", conf: { subject: "Typo?", quorom: 2 } },
    );
    expect(res.status).toBe(400);
    expect(res.body.detail).toContain('"quorom"');
    expect(res.body.detail).toContain('did you mean "quorum"?');
    const bad = await postJson<{ detail: string }>(
      `${app.url}/api/v2/dags/${DAG}/dagRuns`,
      {
        dag_run_id: "typo_2",
        conf: { quorum: 3, assigned_usernames: ["anna", "boris"] },
      },
    );
    expect(bad.status).toBe(400);
    expect(bad.body.detail).toContain(
      '"quorum" is 3, but only 2 assigned_usernames may answer',
    );
    for (const runId of ["typo_1", "typo_2"])
      expect((await app.json(runPath(runId))).status).toBe(404);
    expect(
      (await sandbox.messages()).some((m) => m.text.includes("Typo?")),
    ).toBe(false);
  });

  it("puts an SDK approval wrapped in inTelegram to the chat, and takes it at the quorum", async () => {
    const runId = await trigger(app, { dag_run_id: "sdk_1" }, SDK_DAG);
    const message = await request("Ship the SDK build?");
    await press(message, "Approve", anna);
    // One vote of two: the run still waits.
    await eventually("anna's vote to be counted", async () =>
      (await sandbox.messages()).some(
        (m) =>
          m.message_id === message.message_id &&
          m.reply_markup?.inline_keyboard
            .flat()
            .some((b) => b.text === "Approve · 1"),
      ),
    );
    expect((await states(runId, SDK_DAG)).sign_off).toBe("awaiting_input");
    await press(message, "Approve", boris);
    expect(await runState(app, runId, ["success", "failed"], SDK_DAG)).toBe(
      "success",
    );
    expect(await states(runId, SDK_DAG)).toEqual({
      sign_off: "success",
      publish: "success",
    });
    expect((await answered(runId, SDK_DAG)).responded_by_user).toEqual({
      id: String(boris.id),
      name: "boris",
    });
  });
});
