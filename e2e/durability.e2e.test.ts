import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { alive, eventually, startApp, type AppUnderTest } from "./harness.js";
import { runState, sandboxOf, taskStates, trigger } from "./sandbox.js";

describe("a worker killed while the sensor waits", () => {
  let app: AppUnderTest;

  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("loses no press and writes exactly one row after a SIGKILL and restart", async () => {
    const sandbox = await sandboxOf(app);
    const runId = await trigger(app, { dag_run_id: "durable_1" });
    const message = await sandbox.messageWithButton();
    await eventually(
      "the sensor to park",
      async () =>
        (await taskStates(app, runId)).wait_for_press?.state === "deferred",
    );

    const before = app.pids().worker;
    process.kill(before, "SIGKILL");
    await eventually("the killed worker to be gone", () => !alive(before));
    // Pressed while no worker runs: the update waits at Telegram until the new poller takes it.
    const press = await sandbox.press(message.message_id, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    expect(press.status).toBe(200);

    const after = await eventually("a new worker", () => {
      const pid = app.pids().worker;
      return pid !== before && alive(pid) ? pid : undefined;
    });
    expect(after).not.toBe(before);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");

    const rows = await sandbox.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.fields.username).toBe("anna");
    const tasks = await taskStates(app, runId);
    expect(
      Object.fromEntries(Object.entries(tasks).map(([id, t]) => [id, t.state])),
    ).toEqual({
      check_table: "success",
      send_button: "success",
      wait_for_press: "success",
      write_row: "success",
    });
    expect(tasks.send_button!.try_number).toBe(1);
    // The message was sent once: replay after the crash did not send it again.
    expect(
      (await sandbox.messages()).filter((m) => m.text === message.text),
    ).toHaveLength(1);
  });
});
