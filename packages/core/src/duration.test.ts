import { describe, expect, it } from "vitest";
import { toMillis } from "./duration.js";

describe("toMillis", () => {
  it("reads the units people write in conf", () => {
    expect([
      toMillis("250ms"),
      toMillis("90s"),
      toMillis("15m"),
      toMillis("6h"),
      toMillis("1d"),
      toMillis(1500),
    ]).toEqual([250, 90_000, 900_000, 21_600_000, 86_400_000, 1500]);
  });

  it("names the value it cannot read", () => {
    expect(() => toMillis("soon")).toThrow(/"soon"/);
    expect(() => toMillis(-1)).toThrow(/-1/);
  });
});
