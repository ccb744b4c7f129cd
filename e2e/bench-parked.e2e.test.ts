import { describe, expect, it } from "vitest";
import { benchParked } from "../bench/parked.js";

// A smoke test of the benchmark itself (its long forms are run by hand): 1,000 runs parked, every button pressed
// in a burst, and the line about rows says they are exact — one per run, none lost, none doubled.
describe("bench:parked", () => {
  it("parks 1,000 runs, presses every button and prints that the rows are exact", async () => {
    const lines: string[] = [];
    const result = await benchParked({
      runs: 1_000,
      concurrency: 64,
      idleSeconds: 2,
      print: (line) => lines.push(line),
    });
    expect(result.parked).toBe(1_000);
    const rowsLine = lines.find((l) => l.trimStart().startsWith("rows:"));
    expect(rowsLine).toMatch(
      /^ {2}rows: 1000 for 1000 runs \(0 lost, 0 doubled\): exact;/,
    );
  }, 600_000);
});
