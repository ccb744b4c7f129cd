import { describe, expect, it } from "vitest";
import { benchParked } from "../bench/parked.js";

// A smoke test of the benchmark itself (its long forms are run by hand): 1,000 runs parked, 900 buttons pressed
// in a burst (`--burst`), and the line about rows says they are exact — one per pressed run, none lost, none
// doubled — and that the 100 runs nobody pressed are still parked.
describe("bench:parked", () => {
  it("parks 1,000 runs, presses 900 buttons and prints that the rows are exact and the rest still parked", async () => {
    const lines: string[] = [];
    const result = await benchParked({
      runs: 1_000,
      burst: 900,
      concurrency: 64,
      idleSeconds: 2,
      print: (line) => lines.push(line),
    });
    expect(result.parked).toBe(1_000);
    const rowsLine = lines.find((l) => l.trimStart().startsWith("rows:"));
    expect(rowsLine).toMatch(
      /^ {2}rows: 900 for 900 pressed runs \(0 lost, 0 doubled; 100 of the 100 unpressed runs still parked\): exact;/,
    );
  }, 600_000);

  it("with --poller-process, polls from a process of its own, prints its rounds and the rows are exact", async () => {
    const lines: string[] = [];
    const result = await benchParked({
      runs: 300,
      concurrency: 64,
      idleSeconds: 1,
      pollerProcess: true,
      print: (line) => lines.push(line),
    });
    expect(result.exact).toBe(true);
    // The poller process is measured apart from the worker, which then does not poll.
    expect(lines.find((l) => l.includes("CPU until every press"))).toMatch(
      /, poller \d+ % of one core/,
    );
    expect(
      lines.find((l) => l.trimStart().startsWith("poller rounds")),
    ).toMatch(
      /updates confirmed in [\d.]+ s from the burst's start \(\d+ updates\/s\); round p50 \d+ ms.*\(poller in a process of its own\)$/,
    );
  }, 600_000);
});
