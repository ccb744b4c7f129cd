import { describe, expect, it } from "vitest";
import { SendLimiter, type LimiterClock } from "./send-limiter.js";

/** A clock whose sleeps move time on at once, so a minute of spacing takes no real time. */
function fakeClock(start = 1_000_000): LimiterClock & { t: number } {
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: (ms: number) => {
      clock.t += ms;
      return Promise.resolve();
    },
  };
  return clock;
}

async function sendTimes(
  limiter: SendLimiter,
  clock: { t: number },
  chats: string[],
): Promise<number[]> {
  const times: number[] = [];
  for (const chat of chats) {
    await limiter.take(chat);
    times.push(clock.t);
  }
  return times;
}

describe("SendLimiter", () => {
  it("lets 30 messages a second through and holds the 31st until the first is a second old", async () => {
    const clock = fakeClock();
    const limiter = new SendLimiter(
      { perSecond: 30, perGroupPerMinute: 20 },
      clock,
    );
    const chats = Array.from({ length: 31 }, (_, i) => String(1000 + i));
    const times = await sendTimes(limiter, clock, chats);
    expect(times.slice(0, 30).every((t) => t === 1_000_000)).toBe(true);
    expect(times[30]).toBe(1_001_000);
  });

  it("holds the 21st message to one group for a minute, and not a message to another chat", async () => {
    const clock = fakeClock();
    const limiter = new SendLimiter(
      { perSecond: 1_000, perGroupPerMinute: 20 },
      clock,
    );
    const times = await sendTimes(limiter, clock, [
      ...Array<string>(20).fill("-100777"),
      "42",
      "-100888",
      "-100777",
    ]);
    expect(times.slice(0, 22)).toEqual(Array<number>(22).fill(1_000_000));
    expect(times[22]).toBe(1_060_000);
  });

  it("does not count private chats (positive ids) against the group limit", async () => {
    const clock = fakeClock();
    const limiter = new SendLimiter(
      { perSecond: 1_000, perGroupPerMinute: 2 },
      clock,
    );
    const times = await sendTimes(limiter, clock, ["42", "42", "42", "42"]);
    expect(new Set(times)).toEqual(new Set([1_000_000]));
  });

  it("lets waiters that queue up together through, two a second", async () => {
    const clock = fakeClock();
    const limiter = new SendLimiter(
      { perSecond: 2, perGroupPerMinute: 100 },
      clock,
    );
    await Promise.all(Array.from({ length: 5 }, () => limiter.take("-1")));
    // Five sends at two a second need the third second to start.
    expect(clock.t - 1_000_000).toBeGreaterThanOrEqual(2_000);
  });

  it("stops waiting when the caller aborts", async () => {
    const limiter = new SendLimiter({ perSecond: 1, perGroupPerMinute: 20 });
    await limiter.take("1");
    const abort = new AbortController();
    const waiting = limiter.take("1", abort.signal);
    abort.abort(new Error("the try timed out"));
    await expect(waiting).rejects.toThrow("the try timed out");
  });

  it("is shared by every hook of a bot on one API server", () => {
    expect(SendLimiter.shared("http://a", 1)).toBe(
      SendLimiter.shared("http://a", 1),
    );
    expect(SendLimiter.shared("http://a", 1)).not.toBe(
      SendLimiter.shared("http://b", 1),
    );
  });
});
