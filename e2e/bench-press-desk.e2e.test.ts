import { describe, expect, it } from "vitest";
import { benchPressDesk } from "../bench/press-desk.js";

// A smoke test of the experiment itself (its long forms are run by hand, figures in docs/benchmarks.md): both sides
// on 100 runs, the first 10 buttons pressed twice, one Bot API answer failing as a 502. Each side's checks must hold:
// no press answered twice (the desk retries a whole batch's answers), every answered press told «Поехали!», every
// run ended, every answered second press told «Уже нажали».
describe("bench:press-desk", () => {
  it("runs the router and the desk on 100 runs each and prints that both are exact", async () => {
    const lines: string[] = [];
    const results = await benchPressDesk({
      runs: 100,
      shards: 4,
      batch: 100,
      concurrency: 32,
      again: 10,
      repeat: 1,
      sides: ["router", "desk"],
      print: (line) => lines.push(line),
    });
    expect(results.map((r) => [r.side, r.exact])).toEqual([
      ["router", true],
      ["desk", true],
    ]);
    const checks = lines.filter((l) => l.trimStart().startsWith("checks:"));
    expect(checks).toHaveLength(2);
    for (const line of checks)
      expect(line).toMatch(/^ {2}checks: 0 presses answered twice;.*: exact$/);
    // The desk decided its presses in batches: fewer `decide` invocations than presses.
    const desk = lines.find(
      (l) =>
        l.includes("Restate invocations per press (kept ones)") &&
        l.includes("bench_press_desk/decide"),
    );
    const perPress = Number(
      /bench_press_desk\/decide (\d+\.\d+)/.exec(desk ?? "")?.[1],
    );
    expect(perPress).toBeGreaterThan(0);
    expect(perPress).toBeLessThan(1);
  }, 600_000);
});
