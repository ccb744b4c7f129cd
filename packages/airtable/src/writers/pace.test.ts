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

  it("waits out a pause", () => {
    expect(nextSlot({ starts: [], pausedUntil: 31_000 }, limits)).toBe(31_000);
  });

  it("backs off exponentially between half and all of the capped delay", () => {
    expect(backoffMs(1, 0)).toBe(500);
    expect(backoffMs(3, 0.999)).toBeLessThanOrEqual(4000);
    expect(backoffMs(20, 0)).toBe(30_000);
  });
});
