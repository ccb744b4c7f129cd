import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hitlKey, parseHitlCallbackData } from "@poekhali/telegram";
import {
  EventLogCollectionResponse,
  HITLDetail,
  XComResponseNative,
} from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import {
  alive,
  dagsFolder,
  eventually,
  postJson,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import { RestateAdmin } from "../packages/poekhali/src/restate/restate-admin.js";
import { runState, sandboxOf, trigger, type ChatMessage } from "./sandbox.js";
import { v2Body, v2Get } from "./v2-answer.js";
import { signedIngressFetch } from "@poekhali/core";
import { INTERNAL_KEY_FILE } from "../packages/poekhali/src/api/auth/auth-secret.js";

const DAG = "telegram_hitl_cases";

type Person = {
  id: number;
  username?: string;
  first_name: string;
  language_code?: string;
};
/** A chat member as the emulator's press takes them; `language_code` picks the language of what they are told. */
const person = (
  id: number,
  username: string,
  first_name: string,
  language_code: string,
): Person => ({ id, username, first_name, language_code });
const ANNA = person(52_001, "anna", "Anna", "en");
const BORIS = person(52_002, "boris", "Борис", "ru");
const VERA = person(52_003, "vera", "Вера", "ru-RU");
const MALLORY = person(52_009, "mallory", "Мэллори", "ru");

describe("a HITL request put to a Telegram chat (telegram_hitl), answered by presses", () => {
  const folder = dagsFolder("tg-hitl", {
    "telegram_hitl_cases.ts": "e2e/fixtures/telegram-hitl-dag.ts.txt",
  });
  let app: AppUnderTest;
  let sandbox: Awaited<ReturnType<typeof sandboxOf>>;

  beforeAll(async () => {
    app = await startApp({ POEKHALI_DAGS_FOLDER: folder.dags });
    sandbox = await sandboxOf(app);
  }, 120_000);
  afterAll(async () => {
    await app?.stop();
    folder.remove();
  });

  const runPath = (runId: string) =>
    `/api/v2/dags/${DAG}/dagRuns/${encodeURIComponent(runId)}`;

  /** Triggers a run with this conf and waits for its request message (by subject) with its buttons. */
  async function ask(
    conf: Record<string, unknown>,
  ): Promise<{ runId: string; message: ChatMessage }> {
    const runId = await trigger(app, { conf }, DAG);
    const message = await eventually(
      `the request "${String(conf.subject)}" in the chat`,
      async () =>
        (await sandbox.messages()).find(
          (m) => m.text.startsWith(String(conf.subject)) && m.reply_markup,
        ),
    );
    return { runId, message };
  }

  /** The message as the chat shows it now. */
  const current = async (id: number) =>
    (await sandbox.messages()).find((m) => m.message_id === id)!;

  /** The callback_data of the button whose label names the option (or the submit button). */
  function buttonData(message: ChatMessage, label: string): string {
    const button = message.reply_markup?.inline_keyboard
      .flat()
      .find((b) => b.text.replace(/^✓ /, "").split(" · ")[0] === label);
    if (!button?.callback_data)
      throw new Error(`no button "${label}" on ${JSON.stringify(message)}`);
    return button.callback_data;
  }

  /** Presses a button of the message as a person, through the emulator, and returns the query's id. */
  async function press(
    message: ChatMessage,
    label: string,
    from: Person,
  ): Promise<string> {
    return (await pressUpdate(message, label, from)).callback_query_id;
  }

  /** Presses as {@link press} does, and returns the update's id too. */
  async function pressUpdate(
    message: ChatMessage,
    label: string,
    from: Person,
  ): Promise<{ callback_query_id: string; update_id: number }> {
    const res = await postJson<{
      ok: boolean;
      callback_query_id: string;
      update_id: number;
    }>(`${sandbox.info.telegram.api_root}/_emulator/press`, {
      chat_id: Number(sandbox.info.telegram.chat_id),
      message_id: message.message_id,
      callback_data: buttonData(message, label),
      from,
    });
    if (res.status !== 200)
      throw new Error(
        `press answered ${res.status}: ${JSON.stringify(res.body)}`,
      );
    return res.body;
  }

  /** What the press was told (its toast). */
  const toast = (id: string) =>
    eventually(
      "the press to be answered",
      async () => (await sandbox.callbackAnswer(id))?.text,
      20_000,
    );

  /** Presses and waits for the toast: presses of one person one after another, as a person does. */
  const pressAndHear = async (
    message: ChatMessage,
    label: string,
    from: Person,
  ) => toast(await press(message, label, from));

  /** Presses one after another, each as its person, and expects what each is told. */
  async function pressesTold(
    message: ChatMessage,
    steps: [label: string, from: Person, told: string][],
  ): Promise<void> {
    for (const [label, from, told] of steps)
      expect(
        await pressAndHear(message, label, from),
        `${from.username ?? from.first_name} pressing ${label}`,
      ).toBe(told);
  }

  /** Puts the old keyboard back through the Bot API: a client that had not heard it was removed presses it anyway. */
  async function restoreKeyboard(message: ChatMessage): Promise<void> {
    const { api_root, token, chat_id } = sandbox.info.telegram;
    const res = await postJson(
      `${api_root}/bot${token}/editMessageReplyMarkup`,
      {
        chat_id,
        message_id: message.message_id,
        reply_markup: message.reply_markup,
      },
    );
    expect(res.status).toBe(200);
  }

  /** The HITLResult the run's next task got. */
  async function resultOf(runId: string) {
    expect(await runState(app, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    const { value } = await v2Get(
      app,
      `${runPath(runId)}/taskInstances/after/xcomEntries/return_value`,
      XComResponseNative,
    );
    return value as {
      chosenOptions: string[];
      respondedByUser: { id: string; name: string } | null;
    };
  }

  /** The run's event-log entries of presses, oldest first. */
  async function pressLog(runId: string) {
    const { event_logs } = await v2Get(
      app,
      `/api/v2/eventLogs?dag_id=${DAG}&run_id=${encodeURIComponent(runId)}&event_pattern=hitl.press.%25&order_by=id&limit=100`,
      EventLogCollectionResponse,
    );
    return event_logs.map((e) => ({
      event: e.event,
      owner: e.owner,
      task_id: e.task_id,
      ...(JSON.parse(e.extra ?? "{}") as {
        option: string;
        chat_id: string;
        message_id: number;
        user_id: number;
        update_id: number;
      }),
    }));
  }

  /** Waits until the run's event log holds `count` presses, and returns them. */
  const pressesLogged = (runId: string, count: number) =>
    eventually(`${count} presses in the event log`, async () => {
      const entries = await pressLog(runId);
      return entries.length === count ? entries : undefined;
    });

  /** Waits until the message shows a decision (its keyboard gone), and returns it. */
  const decisionShown = (id: number) =>
    eventually("the message to show the decision", async () => {
      const m = await current(id);
      return m.reply_markup ? undefined : m;
    });

  it("takes the first allowed press as the answer, tells later presses the decision, and logs each", async () => {
    const { runId, message } = await ask({ subject: "First press wins" });
    expect(
      message.reply_markup?.inline_keyboard.flat().map((b) => b.text),
    ).toEqual(["Approve", "Reject"]);
    expect(await pressAndHear(message, "Approve", ANNA)).toBe("Taken: Approve");
    expect(await resultOf(runId)).toMatchObject({
      chosenOptions: ["Approve"],
      respondedByUser: { id: String(ANNA.id), name: "anna" },
    });
    const decided = await decisionShown(message.message_id);
    expect(decided.text).toContain("Decided: Approve by anna in Telegram");
    await restoreKeyboard(message);
    expect(await pressAndHear(message, "Reject", BORIS)).toBe(
      "✅ Решено: Approve — anna в Telegram",
    );
    expect(await pressesLogged(runId, 2)).toEqual([
      expect.objectContaining({
        event: "hitl.press.counted",
        owner: "anna",
        task_id: "ask",
        option: "Approve",
        user_id: ANNA.id,
      }),
      expect.objectContaining({
        event: "hitl.press.after_decision",
        owner: "boris",
        option: "Reject",
        user_id: BORIS.id,
      }),
    ]);
  });

  it("needs a quorum of distinct allowed people: a repeated vote counts once, a stranger is refused in their language, the tally is edited", async () => {
    const { runId, message } = await ask({
      subject: "Quorum of two",
      quorum: 2,
      allowed_usernames: ["anna", "@Boris", "vera"],
      language: "ru",
    });
    expect(message.text).toContain(
      "Голоса (нужно 2): Approve — 0 · Reject — 0",
    );
    await pressesTold(message, [
      ["Approve", ANNA, "Your vote: Approve"],
      ["Approve", ANNA, "You already chose: Approve"],
      ["Approve", MALLORY, "Этот запрос не для вас"],
    ]);
    const tallied = await eventually(
      "the tally to be edited in place",
      async () => {
        const m = await current(message.message_id);
        return m.text.includes("Approve — 1 · Reject — 0") ? m : undefined;
      },
    );
    expect(
      tallied.reply_markup?.inline_keyboard.flat().map((b) => b.text),
    ).toEqual(["Approve · 1", "Reject · 0"]);
    await pressesTold(tallied, [
      ["Reject", BORIS, "Ваш голос: Reject"],
      ["Approve", VERA, "Принято: Approve"],
    ]);
    expect(await resultOf(runId)).toMatchObject({
      chosenOptions: ["Approve"],
      respondedByUser: { id: String(VERA.id), name: "vera" },
    });
    const done = await decisionShown(message.message_id);
    expect(done.text).toContain("✅ Решено: Approve — vera в Telegram");
    const log = await pressesLogged(runId, 5);
    expect(log.map((e) => [e.event, e.owner, e.option])).toEqual([
      ["hitl.press.counted", "anna", "Approve"],
      ["hitl.press.duplicate", "anna", "Approve"],
      ["hitl.press.refused", "mallory", "Approve"],
      ["hitl.press.counted", "boris", "Reject"],
      ["hitl.press.counted", "vera", "Approve"],
    ]);
  });

  it("lets a veto option win at its first press whatever the quorum", async () => {
    const { runId, message } = await ask({
      subject: "Veto wins",
      quorum: 3,
      veto: ["Reject"],
    });
    await pressesTold(message, [
      ["Approve", ANNA, "Your vote: Approve"],
      ["Reject", BORIS, "Принято: Reject"],
    ]);
    expect(await resultOf(runId)).toMatchObject({
      chosenOptions: ["Reject"],
      respondedByUser: { id: String(BORIS.id), name: "boris" },
    });
  });

  it("lets a sole allowed voter toggle several options (shown with ✓) and confirm them with submit", async () => {
    const { runId, message } = await ask({
      subject: "Pick regions",
      options: ["eu", "us", "asia"],
      multiple: true,
      allowed_usernames: ["anna"],
    });
    expect(
      message.reply_markup?.inline_keyboard.flat().map((b) => b.text),
    ).toEqual(["eu", "us", "asia", "Submit"]);
    await pressesTold(message, [
      ["eu", ANNA, "Selected: eu. Press Submit"],
      ["us", ANNA, "Selected: eu, us. Press Submit"],
      ["eu", ANNA, "Selected: us. Press Submit"],
      ["asia", ANNA, "Selected: us, asia. Press Submit"],
    ]);
    const marked = await eventually("the ✓ marks to show", async () => {
      const m = await current(message.message_id);
      const labels = m.reply_markup?.inline_keyboard.flat().map((b) => b.text);
      return labels?.join() === "eu,✓ us,✓ asia,Submit" ? m : undefined;
    });
    expect(await pressAndHear(marked, "Submit", ANNA)).toBe("Taken: us, asia");
    expect(await resultOf(runId)).toMatchObject({
      chosenOptions: ["us", "asia"],
      respondedByUser: { id: String(ANNA.id), name: "anna" },
    });
  });

  it("says so in the message when the web answers first, and tells later presses the web's decision", async () => {
    const { runId, message } = await ask({ subject: "Web answers" });
    const path = `${runPath(runId)}/taskInstances/ask/-1/hitlDetails`;
    await eventually(
      "the request to be readable",
      async () => (await app.json(path)).status === 200,
    );
    v2Body(`GET ${path}`, HITLDetail, await app.json(path));
    const res = await fetch(`${app.url}${path}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ chosen_options: ["Reject"] }),
    });
    expect(res.status).toBe(200);
    const edited = await decisionShown(message.message_id);
    expect(edited.text).toMatch(/Decided: Reject by \S+ on the web/);
    await restoreKeyboard(message);
    expect(await pressAndHear(message, "Approve", ANNA)).toMatch(
      /^✅ Decided: Reject by \S+ on the web$/,
    );
    expect(await resultOf(runId)).toMatchObject({ chosenOptions: ["Reject"] });
    const log = await pressesLogged(runId, 1);
    expect(log).toEqual([
      expect.objectContaining({
        event: "hitl.press.after_decision",
        owner: "anna",
        option: "Approve",
      }),
    ]);
  });

  it("tells a deciding press what the web decided when the web answered while the press was on its way", async () => {
    const { runId, message } = await ask({ subject: "Web first", quorum: 2 });
    // Anna's answer hangs, holding the request's key: Boris's deciding press queues behind it while the web answers.
    await sandbox.fault({
      method: "answerCallbackQuery",
      delay_ms: 5_000,
      times: 1,
    });
    const anna = await press(message, "Approve", ANNA);
    const boris = await pressUpdate(message, "Approve", BORIS);
    await eventually("Boris's press to be handed to Restate", async () =>
      (await sandbox.calls("getUpdates")).some(
        (c) => Number(c.params.offset) > boris.update_id,
      ),
    );
    const res = await fetch(
      `${app.url}${runPath(runId)}/taskInstances/ask/-1/hitlDetails`,
      {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ chosen_options: ["Reject"] }),
      },
    );
    expect(res.status).toBe(200);
    expect(await toast(anna)).toBe("Your vote: Approve");
    expect(await toast(boris.callback_query_id)).toMatch(
      /^✅ Решено: Reject — \S+ в веб-интерфейсе$/,
    );
    expect(await resultOf(runId)).toMatchObject({ chosenOptions: ["Reject"] });
    expect((await decisionShown(message.message_id)).text).toMatch(
      /Decided: Reject by \S+ on the web/,
    );
    expect(
      (await pressesLogged(runId, 2)).map((e) => [e.event, e.owner]),
    ).toEqual([
      ["hitl.press.counted", "anna"],
      // Boris's press reached the quorum, but the web had decided first: logged as what it became.
      ["hitl.press.after_decision", "boris"],
    ]);
  });

  it("loses no vote and counts none twice when the worker is killed between a vote and the tally edit", async () => {
    const { runId, message } = await ask({
      subject: "Crash between",
      quorum: 2,
    });
    await sandbox.fault({
      method: "editMessageText",
      delay_ms: 60_000,
      times: 1,
    });
    const calls = (await sandbox.calls("editMessageText")).length;
    expect(await pressAndHear(message, "Approve", ANNA)).toBe(
      "Your vote: Approve",
    );
    await eventually(
      "the tally edit to hang",
      async () => (await sandbox.calls("editMessageText")).length > calls,
    );
    const before = app.pids().worker;
    process.kill(before, "SIGKILL");
    await eventually("the killed worker to be gone", () => !alive(before));
    await eventually(
      "a new worker",
      () => {
        const pid = app.pids().worker;
        return pid !== before && alive(pid);
      },
      60_000,
    );
    await sandbox.clearFaults();
    const tallied = await eventually(
      "the tally edit to land after the restart",
      async () => {
        const m = await current(message.message_id);
        return m.text.includes("Approve — 1 · Reject — 0") ? m : undefined;
      },
      60_000,
    );
    await pressesTold(tallied, [
      ["Approve", ANNA, "You already chose: Approve"],
      ["Approve", BORIS, "Принято: Approve"],
    ]);
    expect(await resultOf(runId)).toMatchObject({
      chosenOptions: ["Approve"],
      respondedByUser: { id: String(BORIS.id), name: "boris" },
    });
    const log = await pressesLogged(runId, 3);
    expect(log.map((e) => [e.event, e.owner])).toEqual([
      ["hitl.press.counted", "anna"],
      ["hitl.press.duplicate", "anna"],
      ["hitl.press.counted", "boris"],
    ]);
  });

  it("answers a press on the stray copy of a retried send as stale and removes that copy's buttons", async () => {
    // Telegram posts the request but the worker dies before it hears so: Restate runs the send again.
    await sandbox.fault({ method: "sendMessage", delay_ms: 60_000, times: 1 });
    const runId = await trigger(
      app,
      { conf: { subject: "Posted twice" } },
      DAG,
    );
    await sandbox.called("sendMessage", (p) =>
      String(p.text).includes("Posted twice"),
    );
    const worker = app.pids().worker;
    process.kill(worker, "SIGKILL");
    await eventually(
      "a new worker",
      () => {
        const pid = app.pids().worker;
        return pid !== worker && alive(pid);
      },
      60_000,
    );
    const [stray, real] = await eventually(
      "two copies of the request",
      async () => {
        const copies = (await sandbox.messages()).filter((m) =>
          m.text.startsWith("Posted twice"),
        );
        return copies.length === 2 ? copies : undefined;
      },
      60_000,
    );
    await pressesTold(stray!, [
      ["Approve", ANNA, "This button no longer works"],
    ]);
    await eventually(
      "the stray copy's buttons to go",
      async () => !(await current(stray!.message_id)).reply_markup,
    );
    await pressesTold(real!, [["Reject", ANNA, "Taken: Reject"]]);
    expect(await resultOf(runId)).toMatchObject({ chosenOptions: ["Reject"] });
    expect(
      (await pressesLogged(runId, 2)).map((e) => [e.event, e.message_id]),
    ).toEqual([
      ["hitl.press.refused", stray!.message_id],
      ["hitl.press.counted", real!.message_id],
    ]);
  });

  it("drops presses our ingester did not sign and keeps its other handlers off the ingress", async () => {
    const { runId, message } = await ask({ subject: "Forged" });
    const data = buttonData(message, "Approve");
    const { token, chat_id } = sandbox.info.telegram;
    const botId = Number(token.split(":")[0]);
    const key = hitlKey(botId, chat_id, parseHitlCallbackData(data)!.nonce);
    const { ingressPort } = JSON.parse(
      readFileSync(join(app.home, "ports.json"), "utf8"),
    ) as { ingressPort: number };
    // Unsigned, the ingress gate refuses a call before the object sees it; signed with the app's internal key (as if
    // it leaked), the call reaches the object, whose own check of the ingester's signature is tested here.
    const appKey = readFileSync(
      join(app.home, INTERNAL_KEY_FILE),
      "utf8",
    ).trim();
    const post = (f: typeof fetch, handler: string, body: unknown) =>
      f(
        `http://127.0.0.1:${ingressPort}/telegram_hitl/${encodeURIComponent(key)}/${handler}`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        },
      );
    const signed = signedIngressFetch(
      `http://127.0.0.1:${ingressPort}`,
      appKey,
    );
    const call = (handler: string, body: unknown) =>
      post(signed, handler, body);
    const forged = {
      update_id: 999_999,
      callback_query_id: "forged-1",
      bot_id: botId,
      chat_id,
      message_id: message.message_id,
      data,
      from: { id: 66_666, username: "mallory", first_name: "Mallory" },
      received_at: new Date().toISOString(),
      signature: "not-a-signature",
    };
    // Called, not sent: the answer comes once the object has handled it.
    expect((await post(fetch, "press", forged)).status).toBe(403);
    expect((await call("press", forged)).status).toBe(200);
    for (const handler of ["open", "decided", "refresh", "show", "latest"])
      expect((await call(handler, {})).status, handler).toBeGreaterThanOrEqual(
        400,
      );
    await pressesTold(message, [["Approve", ANNA, "Taken: Approve"]]);
    expect(await resultOf(runId)).toMatchObject({
      respondedByUser: { name: "anna" },
    });
    expect((await pressesLogged(runId, 1))[0]?.owner).toBe("anna");
  });

  it("answers a press that comes before its request is stored as not ready, and logs it refused (not_ready)", async () => {
    const { api_root, token, chat_id } = sandbox.info.telegram;
    // A request's button whose request was never stored (its posting not finished, or given up).
    const sent = await postJson<{ result: ChatMessage }>(
      `${api_root}/bot${token}/sendMessage`,
      {
        chat_id,
        text: "Not stored yet",
        reply_markup: {
          inline_keyboard: [
            [
              {
                text: "Approve",
                callback_data: "ph:notstoredyetnotstoredyet:0",
              },
            ],
          ],
        },
      },
    );
    expect(sent.status).toBe(200);
    const { callback_query_id, update_id } = await pressUpdate(
      sent.body.result,
      "Approve",
      ANNA,
    );
    expect(await toast(callback_query_id)).toBe(
      "The request is not ready yet: press again in a moment",
    );
    const entry = await eventually(
      "the not-ready press in the event log",
      async () => {
        const { event_logs } = await v2Get(
          app,
          "/api/v2/eventLogs?event=hitl.press.refused&order_by=id&limit=100",
          EventLogCollectionResponse,
        );
        return event_logs.find(
          (e) =>
            (JSON.parse(e.extra ?? "{}") as { update_id?: number })
              .update_id === update_id,
        );
      },
    );
    expect(entry).toMatchObject({ owner: "anna", dag_id: null, run_id: null });
    expect(JSON.parse(entry.extra ?? "{}")).toMatchObject({
      option: "0",
      reason: "not_ready",
      message_id: sent.body.result.message_id,
    });
  });

  it("coalesces each burst of votes into one tally edit, edits at least three seconds apart in a group", async () => {
    const { message } = await ask({
      subject: "Burst",
      options: ["A", "B"],
      quorum: 50,
    });
    const crowd = Array.from({ length: 12 }, (_, i) =>
      person(54_000 + i, `crowd${i}`, `Crowd ${i}`, "en"),
    );
    // Three waves of four presses at once, each pressed as soon as the tally shows the wave before.
    for (const wave of [0, 1, 2]) {
      const members = crowd.slice(wave * 4, wave * 4 + 4);
      const ids = await Promise.all(
        members.map((p, i) => press(message, i === 0 ? "B" : "A", p)),
      );
      await Promise.all(ids.map(toast));
      const tally = `A — ${(wave + 1) * 3} · B — ${wave + 1}`;
      await eventually(`the tally to show ${tally}`, async () =>
        (await current(message.message_id)).text.includes(tally),
      );
    }
    const res = await fetch(
      `${sandbox.info.telegram.api_root}/_emulator/bots/${sandbox.info.telegram.token.split(":")[0]}/calls`,
    );
    const { result } = (await res.json()) as {
      result: {
        method: string;
        params: Record<string, unknown>;
        time: number;
      }[];
    };
    const edits = result
      .filter(
        (c) =>
          c.method === "editMessageText" &&
          Number(c.params.message_id) === message.message_id,
      )
      .map((c) => c.time);
    // About one edit per wave (a wave spread past a second on a busy machine may take two), never one per vote.
    expect(edits.length).toBeGreaterThanOrEqual(3);
    expect(edits.length).toBeLessThan(crowd.length);
    // The sandbox chat is a group (its id starts with "-"): about 20 messages a minute, so one edit per 3 s at most.
    expect(String(sandbox.info.telegram.chat_id)).toMatch(/^-/);
    for (let i = 1; i < edits.length; i++)
      expect(edits[i]! - edits[i - 1]!).toBeGreaterThanOrEqual(2_950);
  });

  it("makes only the latest queued edit after Telegram throttles one (429): no stale tally replayed, the decision next", async () => {
    const { message } = await ask({
      subject: "Throttled",
      options: ["A", "B"],
      quorum: 3,
    });
    const { token, chat_id } = sandbox.info.telegram;
    const nonce = parseHitlCallbackData(buttonData(message, "A"))!.nonce;
    const view = `${hitlKey(Number(token.split(":")[0]), chat_id, nonce)}:view`;
    const { adminPort } = JSON.parse(
      readFileSync(join(app.home, "ports.json"), "utf8"),
    ) as { adminPort: number };
    const admin = new RestateAdmin(`http://127.0.0.1:${adminPort}`);
    /** How many edits of the message are under way or queued on its view key. */
    const showsQueued = async () =>
      Number(
        (
          await admin.query<{ n: number }>(
            `SELECT count(*) AS n FROM sys_invocation WHERE target_service_key = '${view}' AND target_handler_name = 'show' AND status <> 'completed'`,
          )
        )[0]?.n ?? 0,
      );
    const edits = async () =>
      (await sandbox.calls("editMessageText"))
        .filter((c) => Number(c.params.message_id) === message.message_id)
        .map((c) => String(c.params.text));
    // The first tally edit is throttled: the hook waits out retry_after while newer edits queue behind it.
    await sandbox.fault({
      method: "editMessageText",
      error_code: 429,
      retry_after: 15,
      times: 1,
    });
    await pressesTold(message, [["A", ANNA, "Your vote: A"]]);
    await eventually("the throttled edit", async () =>
      (await edits()).length > 0 ? true : undefined,
    );
    await pressesTold(message, [["A", BORIS, "Ваш голос: A"]]);
    await eventually("a second tally queued", async () =>
      (await showsQueued()) >= 2 ? true : undefined,
    );
    await pressesTold(message, [["B", VERA, "Ваш голос: B"]]);
    await eventually("a third tally queued", async () =>
      (await showsQueued()) >= 3 ? true : undefined,
    );
    expect(await pressAndHear(message, "A", MALLORY)).toBe("Принято: A");
    await decisionShown(message.message_id);
    const texts = [...new Set(await edits())];
    // The throttled tally (sent again once the wait was out), then the decision: the two queued tallies never made.
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("A — 1 · B — 0");
    expect(texts[1]).toMatch(/Decided: A/);
  }, 60_000);

  it("answers every press of a busy group pressing at once, counts each person once and takes one decision", async () => {
    const { runId, message } = await ask({
      subject: "Busy group",
      options: ["A", "B", "C"],
      quorum: 3,
    });
    const group = [1, 2, 3, 4, 5, 6].map((i) =>
      person(53_000 + i, `member${i}`, `Member ${i}`, "en"),
    );
    const choices = ["A", "A", "A", "B", "B", "C"];
    const ids = await Promise.all(
      group.map((p, i) => press(message, choices[i]!, p)),
    );
    const toasts = await Promise.all(ids.map(toast));
    expect(toasts.every((t) => t.length > 0)).toBe(true);
    const result = await resultOf(runId);
    expect(result.chosenOptions).toEqual(["A"]);
    expect(["member1", "member2", "member3"]).toContain(
      result.respondedByUser?.name,
    );
    const log = await pressesLogged(runId, 6);
    // Each person once: counted, or (pressed after the third A won) told the decision.
    expect(new Set(log.map((e) => e.owner)).size).toBe(6);
    expect(
      log.every(
        (e) =>
          e.event === "hitl.press.counted" ||
          e.event === "hitl.press.after_decision",
      ),
    ).toBe(true);
    expect(
      log.filter((e) => e.event === "hitl.press.counted" && e.option === "A"),
    ).toHaveLength(3);
  });
});
