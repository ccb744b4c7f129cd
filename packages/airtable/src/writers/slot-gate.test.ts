import { describe, expect, it } from "vitest";
import { FRESH_PACE } from "./pace.js";
import { SlotGate } from "./slot-gate.js";

const limits = { requestsPerSecond: 5, marginMs: 25 };

describe("SlotGate", () => {
  it("hands out no more than 5 slots in any second to steps asking side by side", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const answered = await gate.take(1, 2_500);
        if (answered) {
          starts.push(Date.now());
          answered();
        }
      }),
    );
    expect(starts).toHaveLength(8);
    starts.sort((a, b) => a - b);
    for (let i = 5; i < starts.length; i++)
      expect(starts[i]! - starts[i - 5]!).toBeGreaterThanOrEqual(1_000);
  });

  it("refuses at once a slot further off than the round, as when the base is paused", async () => {
    const gate = new SlotGate(
      { starts: [], pausedUntil: Date.now() + 30_000 },
      limits,
    );
    const asked = Date.now();
    expect(await gate.take(1, 2_500)).toBeNull();
    expect(Date.now() - asked).toBeLessThan(500);
  });
});
