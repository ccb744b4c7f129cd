import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ClusterInfo } from "../packages/poekhali/src/cluster/start-cluster.js";
import { cli } from "./cli-process.js";
import { alive, eventually } from "./harness.js";
import { expectClusterShape, pidsOf } from "./cluster-info.js";

const ROOT = new URL("..", import.meta.url).pathname;
const RUNS = "/api/v2/dags/telegram_go_button/dagRuns";

/** The sandbox chat's id, from its page's URL in cluster.json. */
const chatOf = (info: ClusterInfo) =>
  /\/chats\/(-?\d+)$/.exec(info.emulators.chat_page)?.[1] ?? "";

/** The id of the message with a button showing `text`, if the chat has it. */
async function messageId(
  info: ClusterInfo,
  text: string,
): Promise<number | undefined> {
  const res = await fetch(
    `${info.emulators.telegram_api_root}/_emulator/chats/${chatOf(info)}/messages`,
  );
  const { result } = (await res.json()) as {
    result: { message_id: number; text: string; reply_markup?: unknown }[];
  };
  // The newest: a stop that cut off the send step's result before Restate journaled it makes the restarted run
  // post its message again, and the first copy is then a stray one (answered as stale, not taken).
  return result.findLast((m) => m.text === text && m.reply_markup)?.message_id;
}

/** `poekhali cluster` in a child process on `home` (run in `cwd`), once it has printed its web URL; `stop()` is Ctrl-C. */
async function clusterCli(home: string, cwd = ROOT) {
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
      cwd,
      env: {
        PATH: process.env.PATH ?? "",
        HOME: home,
        POEKHALI_HOME: home,
        POEKHALI_DAGS_FOLDER: join(ROOT, "dags"),
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  const url = await eventually(
    "the cluster to print its web URL",
    () => {
      if (child.exitCode !== null)
        throw new Error(`poekhali cluster exited (${child.exitCode}):\n${out}`);
      return /poekhali cluster is up: (http:\/\/\S+)/.exec(out)?.[1];
    },
    150_000,
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw error;
  });
  return {
    url,
    pid: child.pid,
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill("SIGINT");
      return exited;
    },
    /** SIGKILLs the supervisor alone, as a crash would. */
    async kill(): Promise<void> {
      if (child.exitCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
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

  it("starts 3 nodes, 2 workers and a web tier, lists them in cluster.json, serves, refuses a second start beside it, stops them all on Ctrl-C, comes back on the same home, and again right after a SIGKILL of its supervisor", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-cluster-cli-"));
    homes.push(home);
    const first = await clusterCli(home);
    let info: ClusterInfo;
    try {
      info = JSON.parse(
        readFileSync(join(home, "cluster.json"), "utf8"),
      ) as ClusterInfo;
      expectClusterShape(info, home);
      expect(info.web_url).toBe(first.url);
      expect(info.processes[0]?.pid).toBe(first.pid);
      expect(pidsOf(info).every(alive)).toBe(true);
      // The web tier lists the DAGs the workers serve, through the cluster.
      const dags = (await (await fetch(`${first.url}/api/v2/dags`)).json()) as {
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
      // A second start on the same home is refused: the nodes hold its data directories.
      const second = await cli(["cluster"], {
        HOME: home,
        POEKHALI_HOME: home,
      });
      expect(second.code).toBe(1);
      expect(second.err).toContain(
        `a cluster is already running on ${home} (pid ${first.pid})`,
      );
      // A run parked when the cluster stops.
      const trigger = await fetch(`${first.url}${RUNS}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          dag_run_id: "parked_1",
          conf: { text: "parked across a restart" },
        }),
      });
      expect(trigger.status).toBe(200);
      await eventually("the run's button", () =>
        messageId(info, "parked across a restart"),
      );
    } finally {
      expect(await first.stop()).toBe(0);
    }
    expect(pidsOf(info).filter(alive)).toEqual([]);

    // Again on the same home: the same ports (the deployment URL Restate keeps), and the parked run goes on. It
    // runs in a directory whose .env asks for webhook mode: the roles must not read it (they would not poll).
    const userDir = mkdtempSync(join(tmpdir(), "poekhali-cluster-cwd-"));
    homes.push(userDir);
    writeFileSync(join(userDir, ".env"), "TELEGRAM_UPDATES=webhook\n");
    const second = await clusterCli(home, userDir);
    let secondInfo: ClusterInfo;
    try {
      const again = JSON.parse(
        readFileSync(join(home, "cluster.json"), "utf8"),
      ) as ClusterInfo;
      const withoutPids = (i: ClusterInfo) =>
        i.processes.map((p) =>
          Object.fromEntries(
            Object.entries(p).filter(([key]) => !key.endsWith("pid")),
          ),
        );
      secondInfo = again;
      expect(withoutPids(again)).toEqual(withoutPids(info));
      const message = await eventually("the run's button", () =>
        messageId(again, "parked across a restart"),
      );
      const press = await fetch(
        `${again.emulators.telegram_api_root}/_emulator/press`,
        {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            chat_id: Number(chatOf(again)),
            message_id: message,
            from: { id: 1001, username: "anna", first_name: "Анна" },
          }),
        },
      );
      expect(press.status).toBe(200);
      await eventually(
        "the parked run to succeed",
        async () => {
          const res = await fetch(`${second.url}${RUNS}/parked_1`);
          return ((await res.json()) as { state?: string }).state === "success";
        },
        60_000,
      );
    } finally {
      // The supervisor dies outright: its nodes and roles are left in their shutdown grace.
      await second.kill();
    }
    // A start right away stops them and comes up on the same ports.
    const third = await clusterCli(home);
    try {
      const again = JSON.parse(
        readFileSync(join(home, "cluster.json"), "utf8"),
      ) as ClusterInfo;
      expect(again.deployment_proxy).toEqual(secondInfo.deployment_proxy);
      expect(
        pidsOf(secondInfo).filter((pid) => pid !== second.pid && alive(pid)),
      ).toEqual([]);
      const res = await fetch(`${third.url}${RUNS}/parked_1`);
      expect(((await res.json()) as { state?: string }).state).toBe("success");
    } finally {
      expect(await third.stop()).toBe(0);
    }
  }, 420_000);
});
