import { describe, expect, it } from "vitest";
import { FRESH_PACE, backoffMs, nextSlot, recordStarts } from "./pace.js";

const limits = { requestsPerSecond: 5, marginMs: 25 };

describe("pace", () => {
  it("lets five requests go at once, then holds the sixth until the first leaves the window", () => {
    let pace = FRESH_PACE;
    for (let i = 0; i < 5; i++) {
      expect(nextSlot(pace, limits)).toBe(0);
      pace = recordStarts(pace, [1000 + i], limits);
    }
    expect(nextSlot(pace, limits)).toBe(1000 + 1000 + 25);
  });

  it("holds a look-up and create pair until both fit in the window", () => {
    // Four requests at 0, 100, 200, 300 ms: one more fits at once, two only once the first has left the window.
    const pace = recordStarts(FRESH_PACE, [0, 100, 200, 300], limits);
    expect(nextSlot(pace, limits, 1)).toBe(0);
    expect(nextSlot(pace, limits, 2)).toBe(0 + 1000 + 25);
  });

  it("waits out a pause", () => {
    expect(nextSlot({ starts: [], pausedUntil: 31_000 }, limits)).toBe(31_000);
  });

  it("backs off exponentially between half and all of the capped delay", () => {
    expect(backoffMs(1, 0)).toBe(500);
    expect(backoffMs(3, 0.999)).toBeLessThanOrEqual(4000);
    expect(backoffMs(20, 0)).toBe(30_000);
  });
});
