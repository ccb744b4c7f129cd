import { describe, expect, it } from "vitest";
import { eventually, type AppUnderTest } from "./harness.js";
import {
  runState,
  sensorsParked,
  taskStates,
  trigger,
  withSandboxApp,
  type SandboxHelpers,
} from "./sandbox.js";

const ANNA = { id: 42_001, username: "anna_c", first_name: "Анна" };
const BORIS = { id: 42_002, username: "boris_c", first_name: "Борис" };

/** Airflow's clear of the course DAG: the cleared run posts a new button, and only that one counts. */
describe("a cleared run of telegram_go_button", () => {
  let app: AppUnderTest;
  let sandbox: SandboxHelpers;
  withSandboxApp((a, s) => ((app = a), (sandbox = s)));

  const clear = (body: Record<string, unknown>) =>
    fetch(`${app.url}/api/v2/dags/telegram_go_button/clearTaskInstances`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });

  it("posts a new button whose press writes a second row; the first run's button stays spent", async () => {
    const runId = await trigger(app, { dag_run_id: "cleared_1" });
    await sensorsParked(app, [runId]);
    const first = await sandbox.messageWithButton();
    const pressed = await sandbox.press(first.message_id, ANNA);
    expect(pressed.status).toBe(200);
    await runState(app, runId, ["success"]);
    await eventually(
      "Anna's row",
      async () =>
        (await sandbox.rows()).some((r) => r.fields.username === "anna_c") ||
        undefined,
    );

    // While it runs, a clear is refused; once it has ended, send_button and everything after it run again.
    const res = await clear({
      dag_run_id: runId,
      task_ids: ["send_button"],
      include_downstream: true,
      only_failed: false,
      dry_run: false,
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(
      (
        JSON.parse(text) as { task_instances: { task_id: string }[] }
      ).task_instances.map((t) => t.task_id),
    ).toEqual(["send_button", "wait_for_press", "write_row"]);
    await sensorsParked(app, [runId]);
    const second = await eventually("the cleared run's new message", async () =>
      (await sandbox.messages()).find(
        (m) => m.message_id > first.message_id && m.reply_markup,
      ),
    );
    expect(
      second.reply_markup?.inline_keyboard[0]?.[0]?.callback_data,
    ).not.toBe(first.reply_markup?.inline_keyboard[0]?.[0]?.callback_data);
    const states = await taskStates(app, runId);
    expect(states.check_table).toMatchObject({
      state: "success",
      try_number: 1,
    });
    expect(states.send_button).toMatchObject({
      state: "success",
      try_number: 2,
    });

    // The first message lost its keyboard when Anna's press was taken: there is nothing left on it to press.
    expect((await sandbox.press(first.message_id, BORIS)).status).toBe(400);
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );

    await sandbox.press(second.message_id, BORIS);
    await runState(app, runId, ["success"]);
    const rows = await eventually("two rows", async () => {
      const all = await sandbox.rows();
      return all.length === 2 ? all : undefined;
    });
    expect(rows.map((r) => r.fields.username).sort()).toEqual([
      "anna_c",
      "boris_c",
    ]);
    expect((await taskStates(app, runId)).write_row).toMatchObject({
      state: "success",
      try_number: 2,
    });
  });

  it("refuses to clear a run that is still waiting, and changes nothing", async () => {
    const runId = await trigger(app, { dag_run_id: "cleared_2" });
    await sensorsParked(app, [runId]);
    const res = await clear({
      dag_run_id: runId,
      only_failed: false,
      dry_run: false,
    });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { detail: string }).detail).toMatch(
      /run 'cleared_2' is running: poekhali clears task instances only once a run has ended/,
    );
    expect((await taskStates(app, runId)).wait_for_press?.state).toBe(
      "deferred",
    );
  });
});
