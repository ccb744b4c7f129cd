import { describe, expect, it } from "vitest";
import { RecentIds } from "./recent-ids.js";

describe("RecentIds", () => {
  it("keeps an id for at least keepMs and forgets it within twice that", () => {
    let now = 0;
    const ids = new RecentIds(1_000, () => now);
    ids.add("a");
    now = 999;
    expect(ids.has("a")).toBe(true);
    now = 1_000;
    ids.add("b");
    expect(ids.has("a")).toBe(true);
    now = 1_999;
    expect(ids.has("a")).toBe(true);
    now = 2_000;
    // "a" is 2 s old: gone; "b" is 1 s old: kept.
    expect(ids.has("a")).toBe(false);
    expect(ids.has("b")).toBe(true);
    now = 10_000;
    expect(ids.size).toBe(0);
  });

  it("stays bounded by what was added within two periods", () => {
    let now = 0;
    const ids = new RecentIds(1_000, () => now);
    for (let i = 0; i < 10_000; i++) {
      now = i;
      ids.add(String(i));
    }
    expect(ids.size).toBeLessThanOrEqual(2_000);
    expect(ids.has("9999")).toBe(true);
    expect(ids.has("7000")).toBe(false);
  });
});
