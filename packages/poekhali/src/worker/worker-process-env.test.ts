import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { workerProcessEnv } from "./worker-process-env.js";

/** The young generation's size (MiB) of a Node process started with this environment, as V8 reports it. */
function newSpaceMb(env: NodeJS.ProcessEnv): number {
  const out = execFileSync(
    process.execPath,
    [
      "-e",
      // Garbage enough for the young generation to grow to its cap.
      "const v8 = require('node:v8'); const a = []; for (let i = 0; i < 2e5; i++) a.push({ i, s: 'x' + i });" +
        "console.log(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size)",
    ],
    { env: { PATH: process.env.PATH ?? "", ...env }, encoding: "utf8" },
  );
  return Number(out.trim()) / 2 ** 20;
}

describe("a worker process's environment", () => {
  it("gives the process 2 MiB semi-spaces and 2 malloc arenas", () => {
    const env = workerProcessEnv({ POEKHALI_HOME: "/srv/h" });
    expect(env).toMatchObject({
      POEKHALI_HOME: "/srv/h",
      NODE_OPTIONS: "--max-semi-space-size=2",
      MALLOC_ARENA_MAX: "2",
    });
    // Two semi-spaces of 2 MiB, where Node 20's default is two of 16.
    expect(newSpaceMb(env)).toBe(4);
    expect(newSpaceMb({})).toBeGreaterThan(4);
  });

  it("lets the operator's own NODE_OPTIONS and MALLOC_ARENA_MAX win", () => {
    const env = workerProcessEnv({
      NODE_OPTIONS: "--max-semi-space-size=8 --enable-source-maps",
      MALLOC_ARENA_MAX: "4",
    });
    expect(env.NODE_OPTIONS).toBe(
      "--max-semi-space-size=2 --max-semi-space-size=8 --enable-source-maps",
    );
    expect(env.MALLOC_ARENA_MAX).toBe("4");
    expect(newSpaceMb(env)).toBe(16);
  });
});
