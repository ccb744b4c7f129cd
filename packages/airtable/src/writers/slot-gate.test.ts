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

  it("counts a second from a request's answer, so a late answer pushes the next slot back", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => gate.take(1, 2_500)),
    );
    const sixth = gate.take(1, 2_500);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const answeredAt = Date.now();
    for (const answered of answers) answered?.();
    expect(await sixth).not.toBeNull();
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(1_000);
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

  it("waits a second on a retried round before its first request, whatever the pace kept says", async () => {
    const gate = new SlotGate(FRESH_PACE, limits, { retried: true });
    const asked = Date.now();
    const answered = await gate.take(1, 2_500);
    expect(answered).not.toBeNull();
    expect(Date.now() - asked).toBeGreaterThanOrEqual(1_000 + limits.marginMs);
    answered?.();
    // Then the base's pace as usual: the next four go at once.
    const next = Date.now();
    for (let i = 0; i < 4; i++) (await gate.take(1, 2_500))?.();
    expect(Date.now() - next).toBeLessThan(500);
  });

  it("hands out no slot once its attempt is over, even to a step already waiting", async () => {
    const attempt = new AbortController();
    const gate = new SlotGate(FRESH_PACE, limits, { signal: attempt.signal });
    const first = await Promise.all(
      Array.from({ length: 5 }, () => gate.take(1, 2_500)),
    );
    for (const answered of first) answered?.();
    const waiting = gate.take(1, 2_500);
    attempt.abort();
    expect(await waiting).toBeNull();
    expect(await gate.take(1, 2_500)).toBeNull();
  });

  it("hands out no slot after a step is paused (a 429 or a 5xx), even to steps already waiting for theirs", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    const first = await Promise.all(
      Array.from({ length: 5 }, () => gate.take(1, 2_500)),
    );
    expect(first.every((answered) => answered !== null)).toBe(true);
    // The sixth waits a second for its slot; meanwhile one of the first five is answered with a 429.
    const waiting = gate.take(1, 2_500);
    for (const answered of first) answered?.();
    gate.pause(Infinity);
    const asked = Date.now();
    expect(await waiting).toBeNull();
    expect(await gate.take(1, 2_500)).toBeNull();
    expect(Date.now() - asked).toBeLessThan(2_000);
  });

  it("pauses until a time: no slot before it within the round", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    gate.pause(Date.now() + 30_000);
    expect(await gate.take(1, 2_500)).toBeNull();
  });

  it("waits a second from the latest answer among all but the last requests, not the one so many back in send order", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    const five = await Promise.all(
      Array.from({ length: 5 }, () => gate.take(1, 2_500)),
    );
    // The first request sent is answered last (a slow round trip), 800 ms after the four after it.
    for (const answered of five.slice(1)) answered?.();
    await new Promise((resolve) => setTimeout(resolve, 800));
    five[0]?.();
    const firstAnswer = Date.now();
    // A look-up and a create: two requests, so three of the five may share their second, and neither the first
    // (answered last) nor the second may.
    const pair = await gate.take(2, 2_500);
    expect(pair).not.toBeNull();
    expect(Date.now() - firstAnswer).toBeGreaterThanOrEqual(
      1_000 + limits.marginMs - 5,
    );
  });

  it("counts a request a step made beyond its room, so the next step waits a second from it too", async () => {
    const gate = new SlotGate(FRESH_PACE, limits);
    const three = await Promise.all(
      Array.from({ length: 3 }, () => gate.take(1, 2_500)),
    );
    for (const answered of three) answered?.();
    const threeAt = Date.now();
    // The fourth step's write is refused over a value, and the hook reads the schema to name the type: 2 requests.
    const fourth = await gate.take(1, 2_500);
    expect(fourth).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 300));
    fourth?.(1);
    // Five requests within this second already: the next waits a second from the first of them.
    const fifth = await gate.take(1, 2_500);
    expect(fifth).not.toBeNull();
    expect(Date.now() - threeAt).toBeGreaterThanOrEqual(
      1_000 + limits.marginMs - 5,
    );
  });

  it("gives a base of 2 requests per second a look-up and a create in one second, then waits", async () => {
    const gate = new SlotGate(FRESH_PACE, {
      requestsPerSecond: 2,
      marginMs: 25,
    });
    const first = await gate.take(2, 2_500);
    expect(first).not.toBeNull();
    first?.();
    const answeredAt = Date.now();
    const second = await gate.take(2, 2_500);
    expect(second).not.toBeNull();
    expect(Date.now() - answeredAt).toBeGreaterThanOrEqual(1_020);
  });
});
