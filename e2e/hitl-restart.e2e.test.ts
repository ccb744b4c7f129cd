import { afterAll, describe, expect, it } from "vitest";
import * as v2 from "../packages/poekhali/src/api/v2/airflow-v2-contract.js";
import {
  dagsFolder,
  eventually,
  fixedPorts,
  killWholeStart,
  startApp,
  type AppUnderTest,
} from "./harness.js";
import { runState, sandboxOf, trigger, type ChatMessage } from "./sandbox.js";
import { v2Get } from "./v2-answer.js";

const DAG = "telegram_approval";
const anna = { id: 2101, username: "anna", first_name: "Анна" };
const boris = { id: 2102, username: "boris", first_name: "Борис" };

// `npm start` stopped as a whole (its process group killed, as the OOM killer or `kill -9 -<pgid>` would) while a
// Telegram request waits for its quorum, and started again on the same POEKHALI_HOME.
describe("poekhali up restarted while a Telegram approval waits for its quorum", () => {
  const folder = dagsFolder("hitl-restart", {
    "telegram_approval.ts": "dags/telegram_approval.ts",
    "telegram_go_button.ts": "dags/telegram_go_button.ts",
  });
  const apps: AppUnderTest[] = [];

  afterAll(async () => {
    for (const app of apps.splice(0)) await app.stop();
    folder.remove();
  });

  /** The run's event-log entries of presses, oldest first. */
  async function pressLog(app: AppUnderTest, runId: string) {
    const { event_logs } = await v2Get(
      app,
      `/api/v2/eventLogs?dag_id=${DAG}&run_id=${encodeURIComponent(runId)}&event_pattern=hitl.press.%25&order_by=id&limit=100`,
      v2.EventLogCollectionResponse,
    );
    return event_logs.map((e) => ({
      event: e.event,
      owner: e.owner,
      update_id: (JSON.parse(e.extra ?? "{}") as { update_id: number })
        .update_id,
    }));
  }
  const pressesLogged = (app: AppUnderTest, runId: string, count: number) =>
    eventually(
      `${count} presses in the event log`,
      async () => {
        const entries = await pressLog(app, runId);
        return entries.length >= count ? entries : undefined;
      },
      60_000,
    );

  it("resumes the waiting run: a press in flight at the kill is logged once, the press after the restart decides it, one row", async () => {
    const env = {
      POEKHALI_DAGS_FOLDER: folder.dags,
      POEKHALI_HOME: folder.home,
      ...(await fixedPorts()),
    };
    const first = await startApp(env);
    apps.push(first);
    const before = await sandboxOf(first);
    const runId = await trigger(
      first,
      {
        dag_run_id: "restart_1",
        conf: { subject: "Ship restart_1?", quorum: 2 },
      },
      DAG,
    );
    const request = (sandbox: typeof before): Promise<ChatMessage> =>
      eventually("the request in the chat", async () =>
        (await sandbox.messages()).find(
          (m) =>
            m.text.includes("Ship restart_1?") && m.reply_markup !== undefined,
        ),
      );
    await before.pressOption(await request(before), "Approve", anna);
    // Counted before the stop, and the run still waits for the second vote.
    expect(await pressesLogged(first, runId, 1)).toMatchObject([
      { event: "hitl.press.counted", owner: "anna" },
    ]);
    expect(await runState(first, runId, ["running"], DAG)).toBe("running");
    // Anna presses again and the whole start is killed at once: her press may be anywhere between Telegram and the
    // event log, and must be logged once whichever it is.
    await before.pressOption(await request(before), "Approve", anna);
    expect(await killWholeStart(first)).toBe(null);

    const second = await startApp(env);
    apps.push(second);
    const after = await sandboxOf(second);
    await after.pressOption(await request(after), "Approve", boris);
    expect(await runState(second, runId, ["success", "failed"], DAG)).toBe(
      "success",
    );
    const log = await pressesLogged(second, runId, 3);
    expect(log.map(({ event, owner }) => ({ event, owner }))).toEqual([
      { event: "hitl.press.counted", owner: "anna" },
      { event: "hitl.press.duplicate", owner: "anna" },
      { event: "hitl.press.counted", owner: "boris" },
    ]);
    expect(new Set(log.map((e) => e.update_id)).size).toBe(3);
    const { hitl_details } = await v2Get(
      second,
      `/api/v2/dags/${DAG}/dagRuns/${runId}/hitlDetails`,
      v2.HITLDetailCollection,
    );
    expect(hitl_details).toHaveLength(1);
    expect(hitl_details[0]).toMatchObject({
      chosen_options: ["Approve"],
      response_received: true,
    });
    const rows = await after.rows();
    expect(rows.map((r) => r.fields)).toEqual([
      expect.objectContaining({
        username: "boris",
        event_type: "hitl:Approve",
      }),
    ]);
    // The decision is shown, and nothing more was logged or written meanwhile.
    await eventually("the request to show the decision", async () =>
      (await after.messages()).some(
        (m) => m.text.includes("Ship restart_1?") && !m.reply_markup,
      ),
    );
    expect(await pressLog(second, runId)).toHaveLength(3);
    expect(await after.rows()).toHaveLength(1);
  }, 240_000);
});
