import { describe, expect, it } from "vitest";
import { stopped } from "./until-signal.js";

describe("stopped", () => {
  it("exits 0 when the role stopped cleanly", async () => {
    const lines: string[] = [];
    expect(
      await stopped(
        () => Promise.resolve(),
        (l) => lines.push(l),
      ),
    ).toBe(0);
    expect(lines).toEqual([]);
  });

  it("exits 1 and logs why when stopping the role threw", async () => {
    const lines: string[] = [];
    const code = await stopped(
      () => Promise.reject(new Error("socket hang up")),
      (l) => lines.push(l),
    );
    expect(code).toBe(1);
    expect(lines).toEqual(["while stopping: Error: socket hang up"]);
  });
});
