import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ClusterInfo } from "../packages/poekhali/src/cluster/start-cluster.js";
import { cli } from "./cli-process.js";
import { alive, eventually } from "./harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const LAST_LINE =
  /^runs (\d+), success (\d+), rows (\d+), lost (\d+), duplicated (\d+), kills (\d+)$/;

/** Every process id cluster.json names (the supervisor's, each role's and each watchdog's). */
const pidsOf = (info: ClusterInfo) =>
  info.processes.flatMap((p) =>
    [p.pid, p.watchdog_pid].filter(
      (pid): pid is number => typeof pid === "number",
    ),
  );

/** What cluster.json must say of a cluster of 3 nodes, 2 workers and a web tier, whatever its ports. */
function expectClusterShape(info: ClusterInfo, home: string) {
  expect(info.home).toBe(home);
  expect(info.processes.map((p) => `${p.role} ${p.id}`)).toEqual([
    "supervisor 1",
    "restate-node 1",
    "restate-node 2",
    "restate-node 3",
    "worker 1",
    "worker 2",
    "web 1",
  ]);
  const ports = info.processes.flatMap((p) =>
    Object.entries(p)
      .filter(([key]) => key.endsWith("port"))
      .map(([, value]) => value),
  );
  // 5 of the supervisor's (3 proxies, 2 emulators), 3 per node, 1 per worker, 1 of the web tier: all different.
  expect(ports).toHaveLength(5 + 9 + 2 + 1);
  expect(ports.every((p) => Number.isInteger(p) && (p as number) > 0)).toBe(
    true,
  );
  expect(new Set(ports).size).toBe(ports.length);
  expect(info.web_url).toBe(info.processes.at(-1)?.url);
  expect(info.deployment).toMatch(
    new RegExp(`^${info.deployment_proxy.url}/v/[0-9a-f]+$`),
  );
}

describe("poekhali cluster", () => {
  const homes: string[] = [];
  afterAll(() => {
    for (const home of homes) rmSync(home, { recursive: true, force: true });
  });

  it("refuses a node count that is not a whole number, by name", async () => {
    const { code, err } = await cli(["cluster", "--nodes", "0"]);
    expect(code).toBe(2);
    expect(err).toContain('--nodes must be a whole number, 1 or more; got "0"');
  });

  it("starts 3 nodes, 2 workers and a web tier, lists them in cluster.json, serves, and stops them all on Ctrl-C", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-cluster-cli-"));
    homes.push(home);
    const child = spawn(
      process.execPath,
      [
        join(ROOT, "packages/poekhali/bin/poekhali.js"),
        "cluster",
        "--nodes",
        "3",
        "--workers",
        "2",
      ],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? "", HOME: home, POEKHALI_HOME: home },
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
    try {
      const url = await eventually(
        "the cluster to print its web URL",
        () => {
          if (child.exitCode !== null)
            throw new Error(
              `poekhali cluster exited (${child.exitCode}):\n${out}`,
            );
          return /poekhali cluster is up: (http:\/\/\S+)/.exec(out)?.[1];
        },
        150_000,
      );
      const info = JSON.parse(
        readFileSync(join(home, "cluster.json"), "utf8"),
      ) as ClusterInfo;
      expectClusterShape(info, home);
      expect(info.web_url).toBe(url);
      expect(info.processes[0]?.pid).toBe(child.pid);
      expect(pidsOf(info).every(alive)).toBe(true);
      // The web tier lists the DAGs the workers serve, through the cluster.
      const dags = (await (await fetch(`${url}/api/v2/dags`)).json()) as {
        dags: { dag_id: string }[];
      };
      expect(dags.dags.map((d) => d.dag_id)).toContain("telegram_go_button");
      // Every node's admin API knows the one deployment: the proxy's URL, which Restate calls for every worker.
      for (const node of info.processes.filter(
        (p) => p.role === "restate-node",
      )) {
        const res = await fetch(
          `http://127.0.0.1:${node.admin_port as number}/deployments`,
        );
        const { deployments } = (await res.json()) as {
          deployments: { uri: string }[];
        };
        expect(deployments.map((d) => d.uri)).toEqual([info.deployment]);
      }

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(pidsOf(info).filter(alive)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 240_000);

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
