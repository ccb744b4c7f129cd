import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "./harness.js";
import {
  returnValue,
  runState,
  sandboxOf,
  sensorsParked,
  trigger,
} from "./sandbox.js";

const RUNS = 50;

describe("50 runs parked in one chat", () => {
  let app: AppUnderTest;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(async () => {
    await app?.stop();
  });

  it("gives each run only its own press when the presses come in random order", async () => {
    const sandbox = await sandboxOf(app);
    const ids = await Promise.all(
      Array.from({ length: RUNS }, (_, i) =>
        trigger(app, {
          dag_run_id: `many_${i}`,
          conf: { text: `Запуск ${i}` },
        }),
      ),
    );
    await sensorsParked(app, ids);
    const messages = await sandbox.messages();
    const messageOf = (i: number) =>
      messages.find((m) => m.text === `Запуск ${i}`)!;
    // A fixed shuffle, so that a failure can be replayed.
    const order = Array.from({ length: RUNS }, (_, i) => i).sort(
      (a, b) => ((a * 37 + 11) % RUNS) - ((b * 37 + 11) % RUNS),
    );
    for (const i of order) {
      const res = await sandbox.press(messageOf(i).message_id, {
        id: 20_000 + i,
        username: `user_${i}`,
        first_name: `User ${i}`,
      });
      expect(res.status).toBe(200);
    }
    for (const id of ids)
      expect(await runState(app, id, ["success", "failed"])).toBe("success");
    for (let i = 0; i < RUNS; i++) {
      expect(
        await returnValue(app, `many_${i}`, "wait_for_press"),
      ).toMatchObject({
        message_id: messageOf(i).message_id,
        username: `user_${i}`,
      });
    }
    const rows = await sandbox.rows();
    expect(rows).toHaveLength(RUNS);
    expect(new Set(rows.map((r) => r.fields.username)).size).toBe(RUNS);
  });
});
