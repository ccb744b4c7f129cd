import { describe, expect, it } from "vitest";
import {
  DEFAULT_PACE_LIMITS,
  FRESH_PACE,
  backoffMs,
  nextSlot,
  recordStarts,
} from "./pace.js";

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

  it("keeps the latest answers by time, whatever order a round's batches are applied in", () => {
    // Ten batches of one round, applied in their own order; their answers came in another.
    const answers = [
      1434, 2493, 2539, 2509, 2229, 1445, 1160, 1219, 1435, 2256,
    ];
    const pace = answers.reduce(
      (p, t) => recordStarts(p, [t], limits),
      FRESH_PACE,
    );
    expect(pace.starts).toEqual([2229, 2256, 2493, 2509, 2539]);
    expect(nextSlot(pace, limits)).toBe(2229 + 1000 + 25);
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

describe("the default pace", () => {
  /**
   * A backlog of full batches written one request after another at the earliest slot, each answered `tripMs` after
   * it went: when each went and was answered.
   */
  function backlog(tripMs: number, requests: number) {
    let pace = FRESH_PACE;
    const sent: number[] = [];
    const answered: number[] = [];
    for (let i = 0; i < requests; i++) {
      const at = Math.max(
        nextSlot(pace, DEFAULT_PACE_LIMITS),
        sent.at(-1) ?? 0,
      );
      sent.push(at);
      answered.push(at + tripMs);
      pace = recordStarts(pace, [at + tripMs], DEFAULT_PACE_LIMITS);
    }
    return { sent, answered };
  }

  it("writes a backlog at 95 % of Airtable's 50 rows/s or more with a busy box's 30 ms round trip", () => {
    const { sent } = backlog(30, 101);
    // 100 requests of 10 rows after the first, over the time between the first and the last.
    const rowsPerSecond = (100 * 10 * 1000) / (sent.at(-1)! - sent[0]!);
    expect(rowsPerSecond).toBeGreaterThanOrEqual(47.5);
  });

  it("sends no request before the answer of the one five before is a second old, whatever the round trip", () => {
    for (const trip of [0, 30, 200, 1500]) {
      const { sent, answered } = backlog(trip, 30);
      // Airtable counted request i - 5 before its answer, and counts request i after it went: a second apart at least.
      for (let i = 5; i < sent.length; i++)
        expect(sent[i]! - answered[i - 5]!).toBeGreaterThanOrEqual(
          1000 + DEFAULT_PACE_LIMITS.marginMs,
        );
    }
  });
});
