import { describe, expect, it } from "vitest";
import { MAX_DURATION_MS, toMillis } from "./duration.js";

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

  it("reads decimal fractions exactly", () => {
    expect([toMillis("1.5s"), toMillis("0.3s"), toMillis("0.25m")]).toEqual([
      1500, 300, 15_000,
    ]);
  });

  it("names the value it cannot read", () => {
    expect(() => toMillis("soon")).toThrow(/"soon"/);
    expect(() => toMillis(-1)).toThrow(/-1/);
  });

  it("refuses a duration that is not a whole number of milliseconds", () => {
    expect(() => toMillis("0.0001ms")).toThrow(
      /"0.0001ms" is not a whole number of milliseconds/,
    );
    expect(() => toMillis("1.0005s")).toThrow(/whole number/);
    expect(() => toMillis(0.5)).toThrow(/whole/);
  });

  it("refuses a duration longer than 366 days instead of making an invalid date", () => {
    expect(toMillis("366d")).toBe(MAX_DURATION_MS);
    expect(() => toMillis("99999999999d")).toThrow(
      /"99999999999d" is longer than the 366 days/,
    );
    expect(() => toMillis("367d")).toThrow(/366 days/);
    expect(() => toMillis(MAX_DURATION_MS + 1)).toThrow(/366 days/);
    expect(() => toMillis(Infinity)).toThrow(/Infinity/);
  });
});
