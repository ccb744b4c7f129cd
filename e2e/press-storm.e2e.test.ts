import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startApp, type AppUnderTest } from "./harness.js";
import {
  returnValue,
  runState,
  sandboxOf,
  sensorsParked,
  trigger,
} from "./sandbox.js";

const RUNS = 30;
const USERS = [
  { id: 31_001, username: "storm_anna", first_name: "Anna" },
  { id: 31_002, username: "storm_boris", first_name: "Boris" },
  { id: 31_003, username: "storm_vera", first_name: "Vera" },
];

type Press = { username: string; triggered_at: string; message_id: number };

/**
 * A busy group: 30 runs parked in one chat, every button pressed by three people, two of whom press many
 * buttons at once, so that one person's presses of several runs reach us together (one `getUpdates` batch, or
 * webhook deliveries in the same millisecond). Every run takes one press, and every taken press is its own row.
 */
describe.each(["poll", "webhook"] as const)(
  "a press storm in %s mode",
  (mode) => {
    let app: AppUnderTest;
    beforeAll(async () => {
      app = await startApp({ TELEGRAM_UPDATES: mode });
    });
    afterAll(async () => {
      await app?.stop();
    });

    it("writes exactly one row per run, each for the press the run took", async () => {
      const sandbox = await sandboxOf(app);
      const prefix = `Шторм ${mode}`;
      const ids = await Promise.all(
        Array.from({ length: RUNS }, (_, i) =>
          trigger(app, {
            dag_run_id: `storm_${mode}_${i}`,
            conf: { text: `${prefix} ${i}` },
          }),
        ),
      );
      await sensorsParked(app, ids);
      const messages = (await sandbox.messages()).filter((m) =>
        m.text.startsWith(prefix),
      );
      expect(messages).toHaveLength(RUNS);
      const byRun = (i: number) =>
        messages.find((m) => m.text === `${prefix} ${i}`)!.message_id;

      if (mode === "poll") {
        // Hold the next long poll for a moment: whatever is pressed meanwhile comes back as one batch.
        await sandbox.fault({
          method: "getUpdates",
          delay_ms: 1_500,
          times: 2,
        });
      }
      const [anna, boris, vera] = USERS as [
        (typeof USERS)[number],
        (typeof USERS)[number],
        (typeof USERS)[number],
      ];
      const all = Array.from({ length: RUNS }, (_, i) => i);
      // Anna presses every button at once, Boris the even ones at once; Vera goes one by one behind them.
      // A press on a button the bot already removed is refused by the client (400), as Telegram's apps do.
      const alone = async () => {
        const seen: number[] = [];
        for (const i of all)
          seen.push((await sandbox.press(byRun(i), vera)).status);
        return seen;
      };
      const statuses = (
        await Promise.all([
          ...all.map(async (i) => [
            (await sandbox.press(byRun(i), anna)).status,
          ]),
          ...all
            .filter((i) => i % 2 === 0)
            .map(async (i) => [(await sandbox.press(byRun(i), boris)).status]),
          alone(),
        ])
      ).flat();
      expect(statuses.filter((s) => s !== 200 && s !== 400)).toEqual([]);

      for (const id of ids)
        expect(await runState(app, id, ["success", "failed"])).toBe("success");
      const taken: Press[] = [];
      for (const id of ids) {
        taken.push((await returnValue(app, id, "wait_for_press")) as Press);
      }
      // Every run took a press on its own message.
      expect(taken.map((p) => p.message_id).sort()).toEqual(
        all.map(byRun).sort(),
      );
      const rows = (await sandbox.rows()).filter((r) =>
        USERS.some((u) => u.username === r.fields.username),
      );
      expect(rows).toHaveLength(RUNS);
      const key = (p: Record<string, unknown>) =>
        `${String(p.username)}@${String(p.triggered_at)}`;
      expect(new Set(rows.map((r) => key(r.fields)))).toEqual(
        new Set(taken.map(key)),
      );
      // Someone pressed several buttons together, or the storm proved nothing.
      const perUser = new Map<string, number>();
      for (const p of taken)
        perUser.set(p.username, (perUser.get(p.username) ?? 0) + 1);
      expect(Math.max(...perUser.values())).toBeGreaterThan(1);
    });
  },
);
