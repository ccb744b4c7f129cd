import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { choosePort } from "../packages/poekhali/src/ports.js";

const ROOT = new URL("..", import.meta.url).pathname;
const BIN = join(ROOT, "packages/poekhali/bin/poekhali.js");

/** Polls `check` until it returns a value other than undefined/false, or fails naming what it waited for. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last ? ` (last error: ${last instanceof Error ? last.message : JSON.stringify(last)})` : ""}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Runs `check` (which asserts) every `everyMs` until `ms` have passed: for a state that must hold all along a
 * window, such as a stand-by that must not poll, not just be reached once as {@link eventually} awaits.
 */
export async function throughout(
  ms: number,
  check: () => void | Promise<void>,
  everyMs = 100,
): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await check();
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A `poekhali up` child process in sandbox mode with its own home and free ports. */
export interface AppUnderTest {
  readonly url: string;
  readonly home: string;
  readonly output: () => string;
  pids(): { app: number; restate: number; worker: number; watchdog: number };
  json<T>(
    path: string,
    init?: RequestInit,
  ): Promise<{ status: number; body: T }>;
  /** Sends a signal (to the whole process group with `group`) and waits for the app to exit; returns its exit code. */
  stop(
    signal?: NodeJS.Signals,
    options?: { group?: boolean },
  ): Promise<number | null>;
}

/** Starts the app as a user would (`poekhali up`), on free ports, and waits until /healthz says ready. */
export async function startApp(
  env: Record<string, string> = {},
): Promise<AppUnderTest> {
  // A home of the test's own is kept after stop (to start again on it); otherwise a fresh one is made and removed.
  const ownHome = env.POEKHALI_HOME === undefined;
  const home =
    env.POEKHALI_HOME ?? mkdtempSync(join(tmpdir(), "poekhali-e2e-"));
  const child: ChildProcess = spawn(process.execPath, [BIN, "up"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? home,
      POEKHALI_HOME: home,
      POEKHALI_PORT: "0",
      POEKHALI_WORKER_PORT: "0",
      POEKHALI_RESTATE_INGRESS_PORT: "0",
      POEKHALI_RESTATE_ADMIN_PORT: "0",
      POEKHALI_RESTATE_NODE_PORT: "0",
      REPORTER_NAME: "e2e-reporter",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    // Its own process group, so that a test can press Ctrl-C as a terminal does: to the whole group.
    detached: true,
  });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once("exit", (code) => resolve(code)),
  );
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));

  const url = await eventually(
    "the app to print its URL",
    () => {
      if (exitCode !== undefined)
        throw new Error(`the app exited (${exitCode}):\n${out}`);
      return /poekhali is up: (http:\/\/\S+)/.exec(out)?.[1];
    },
    90_000,
  ).catch((error: unknown) => {
    child.kill("SIGKILL");
    throw new Error(`${String(error)}\n--- output ---\n${out}`);
  });
  await eventually(
    "/healthz to answer 200",
    async () => (await fetch(`${url}/healthz`)).status === 200,
  );

  return {
    url,
    home,
    output: () => out,
    pids: () =>
      JSON.parse(readFileSync(join(home, "pids.json"), "utf8")) as {
        app: number;
        restate: number;
        worker: number;
        watchdog: number;
      },
    async json<T>(path: string, init?: RequestInit) {
      const res = await fetch(`${url}${path}`, init);
      return { status: res.status, body: (await res.json()) as T };
    },
    async stop(
      signal: NodeJS.Signals = "SIGINT",
      options: { group?: boolean } = {},
    ) {
      if (exitCode === undefined) {
        if (options.group && child.pid) process.kill(-child.pid, signal);
        else child.kill(signal);
      }
      const code = await exited;
      if (ownHome) rmSync(home, { recursive: true, force: true });
      return code;
    },
  };
}

/** Whether a process with this id is alive. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** POSTs JSON and returns the status and parsed body. */
export async function postJson<T>(
  url: string,
  body: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

/**
 * A DAGs folder of the test's own inside the repository (so that its files' imports resolve from its node_modules),
 * holding copies of the given files (name in the folder → path from the repository's root), and beside it `home`, a
 * POEKHALI_HOME for the test to keep across restarts (made by the app); `remove` deletes both.
 */
export function dagsFolder(
  prefix: string,
  files: Record<string, string>,
): { readonly dags: string; readonly home: string; remove(): void } {
  const work = mkdtempSync(join(ROOT, "e2e", `.work-${prefix}-`));
  const dags = join(work, "dags");
  mkdirSync(dags);
  for (const [name, from] of Object.entries(files))
    copyFileSync(join(ROOT, from), join(dags, name));
  return {
    dags,
    home: join(work, "home"),
    remove: () => rmSync(work, { recursive: true, force: true }),
  };
}

/** Source files as an older commit had them, in a folder of the test's own; see {@link sourceAt}. */
export interface OlderSource {
  /** Imports a module of the older source by its path from the repository's root. */
  readonly load: <T>(path: string) => Promise<T>;
  /** Deletes the folder. */
  readonly remove: () => void;
}

/**
 * The files under `paths` (e.g. `packages/telegram/src`) as `commit` had them, copied into a folder of the test's own
 * inside the repository, so that their imports resolve from its node_modules (`@poekhali/core` is this tree's), as
 * an older worker's code does during an upgrade.
 */
export function sourceAt(
  commit: string,
  paths: readonly string[],
): OlderSource {
  const work = mkdtempSync(join(ROOT, "e2e", ".work-"));
  const remove = () => rmSync(work, { recursive: true, force: true });
  try {
    execFileSync("sh", [
      "-c",
      `git -C "${ROOT}" archive ${commit} ${paths.join(" ")} | tar -x -C "${work}"`,
    ]);
  } catch (error) {
    remove();
    throw error;
  }
  return {
    load: async <T>(path: string) => (await import(join(work, path))) as T,
    remove,
  };
}

/**
 * Kills a start's whole process group with SIGKILL, as the OOM killer or `kill -9 -<pgid>` would, and waits until
 * every process of it has exited (restate-server, in a group of its own, is stopped by its watchdog); the app's exit
 * code.
 */
export async function killWholeStart(
  app: AppUnderTest,
): Promise<number | null> {
  const pids = app.pids();
  const code = await app.stop("SIGKILL", { group: true });
  await eventually(
    "every process of the killed start to exit",
    () => !Object.values(pids).some(alive),
    20_000,
  );
  return code;
}

/**
 * Fixed ports, as a user's .env has them, so that a second start must get the very same ones; chosen below the
 * system's ephemeral range, where no outgoing connection takes them between the two starts.
 */
export async function fixedPorts(): Promise<Record<string, string>> {
  const names = [
    "POEKHALI_PORT",
    "POEKHALI_WORKER_PORT",
    "POEKHALI_RESTATE_INGRESS_PORT",
    "POEKHALI_RESTATE_ADMIN_PORT",
    "POEKHALI_RESTATE_NODE_PORT",
  ];
  const env: Record<string, string> = {};
  for (const name of names) env[name] = String(await choosePort(0));
  return env;
}
