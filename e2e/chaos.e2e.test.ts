import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ClusterInfo } from "../packages/poekhali/src/cluster/start-cluster.js";
import { expectClusterShape, pidsOf } from "./cluster-info.js";
import { alive } from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const LAST_LINE =
  /^runs (\d+), success (\d+), rows (\d+), lost (\d+), duplicated (\d+), kills (\d+)$/;

describe("npm run chaos, short", () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it("npm run chaos refuses a --home that is not empty, naming it, before it starts anything", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-chaos-used-"));
    homes.push(home);
    writeFileSync(join(home, "cluster.json"), "{}\n");
    const { code, stderr } = await new Promise<{
      code: number | null;
      stderr: string;
    }>((resolve) => {
      const child = execFile(
        process.execPath,
        ["--import", "tsx", "bench/chaos.ts", "--runs", "1", "--home", home],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? "",
            HOME: home,
            NODE_OPTIONS: process.env.NODE_OPTIONS ?? "",
          },
        },
        (_error, _stdout, stderr) =>
          resolve({ code: child.exitCode, stderr: String(stderr) }),
      );
    });
    expect(code).toBe(2);
    expect(stderr).toContain(`--home ${home} is not empty`);
  });

  it("npm run chaos: 30 runs through kills of a node, a worker and the web tier, none lost, none doubled", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-chaos-e2e-"));
    homes.push(home);
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "bench/chaos.ts",
        "--runs",
        "30",
        "--minutes",
        "0.5",
        "--nodes",
        "3",
        "--workers",
        "2",
        "--home",
        home,
      ],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: home,
          NODE_OPTIONS: process.env.NODE_OPTIONS ?? "",
        },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) =>
      child.once("exit", (c) => resolve(c)),
    );
    const lines = out.trim().split("\n");
    const last = LAST_LINE.exec(lines.at(-1) ?? "");
    expect(last, out).not.toBeNull();
    const [, runs, success, rows, lost, duplicated, kills] = last!.map(Number);
    expect({ runs, success, rows, lost, duplicated }, out).toEqual({
      runs: 30,
      success: 30,
      rows: 30,
      lost: 0,
      duplicated: 0,
    });
    expect(code, out).toBe(0);
    const tally = /\[chaos\] kills: (\d+) node, (\d+) worker, (\d+) web/.exec(
      out,
    );
    expect(tally, out).not.toBeNull();
    const [, node, worker, web] = tally!.map(Number);
    expect(Math.min(node!, worker!, web!), out).toBeGreaterThanOrEqual(1);
    expect(kills).toBe(node! + worker! + web!);
    // The last cluster.json, written after the last restart: every process listed, and none left running.
    const info = JSON.parse(
      readFileSync(join(home, "cluster.json"), "utf8"),
    ) as ClusterInfo;
    expectClusterShape(info, home);
    expect(
      pidsOf(info)
        .filter((pid) => pid !== info.processes[0]?.pid)
        .filter(alive),
    ).toEqual([]);
  }, 300_000);
});
