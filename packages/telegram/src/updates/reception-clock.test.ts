import { describe, expect, it } from "vitest";
import { ReceptionClock } from "./reception-clock.js";

describe("ReceptionClock", () => {
  it("never stamps one chat's updates alike, even within one millisecond", () => {
    const clock = new ReceptionClock(() =>
      Date.parse("2026-11-27T10:00:00.000Z"),
    );
    const stamps = Array.from({ length: 10 }, () => clock.stamp("-1001"));
    expect(new Set(stamps).size).toBe(10);
    expect(stamps[0]).toBe("2026-11-27T10:00:00.000Z");
    expect(stamps[9]).toBe("2026-11-27T10:00:00.009Z");
  });

  it("keeps chats apart: a burst in one chat does not move another's stamps", () => {
    const clock = new ReceptionClock(() => 1_000);
    clock.stamp("-1");
    clock.stamp("-1");
    expect(clock.stamp("-2")).toBe(new Date(1_000).toISOString());
  });

  it("follows the clock again once it has passed the burst", () => {
    let now = 1_000;
    const clock = new ReceptionClock(() => now);
    clock.stamp("-1");
    clock.stamp("-1");
    now = 5_000;
    expect(clock.stamp("-1")).toBe(new Date(5_000).toISOString());
  });
});
