import { expect } from "vitest";
import type { AppUnderTest } from "./harness.js";
import { taskStates, type sandboxOf } from "./sandbox.js";

/**
 * Checks what one accepted press of the course DAG leaves: every task succeeded at its first try, exactly one new row
 * with the five `tg_actions` columns (`triggered_at` between the press and the sensor's end), and an answered
 * callback. Returns the task instances and the row's fields for the caller's own checks.
 */
export async function expectPressWritten(
  app: AppUnderTest,
  sandbox: Awaited<ReturnType<typeof sandboxOf>>,
  press: {
    readonly dagId: string;
    readonly runId: string;
    readonly rowsBefore: number;
    /** `Date.now()` just before the press. */
    readonly pressedAfter: number;
    readonly callbackQueryId: string;
  },
) {
  const tasks = await taskStates(app, press.runId, press.dagId);
  expect(Object.keys(tasks)).toEqual([
    "check_table",
    "send_button",
    "wait_for_press",
    "write_row",
  ]);
  for (const t of Object.values(tasks)) {
    expect(t.state).toBe("success");
    expect(t.try_number).toBe(1);
    expect(Date.parse(t.end_date ?? "")).toBeGreaterThanOrEqual(
      Date.parse(t.start_date ?? ""),
    );
  }
  const rows = await sandbox.rows();
  expect(rows).toHaveLength(press.rowsBefore + 1);
  const fields = rows.at(-1)!.fields;
  expect(fields).toEqual({
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- vitest's matchers are typed any
    id: expect.any(Number),
    chat_id: sandbox.info.telegram.chat_id,
    username: "anna",
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- as above
    triggered_at: expect.stringMatching(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    ),
    event_type: "button_press",
    reporter_name: "e2e-reporter",
  });
  expect(typeof fields.chat_id).toBe("string");
  const triggeredAt = Date.parse(fields.triggered_at as string);
  expect(triggeredAt).toBeGreaterThanOrEqual(press.pressedAfter - 5);
  expect(triggeredAt).toBeLessThanOrEqual(
    Date.parse(tasks.wait_for_press!.end_date!),
  );
  expect(
    (await sandbox.callbackAnswer(press.callbackQueryId))?.text,
  ).toBeTruthy();
  return { tasks, fields };
}
