import { fork, type ChildProcess } from "node:child_process";
import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { SupervisorError } from "../errors.js";

const WATCHDOG = fileURLToPath(
  new URL("../../bin/watchdog.js", import.meta.url),
);
const POEKHALI = fileURLToPath(
  new URL("../../bin/poekhali.js", import.meta.url),
);

/** How long a role gets to stop after SIGTERM before SIGKILL, in milliseconds. */
const STOP_GRACE_MS = 10_000;

/** What a role prints on stdout, as one JSON line, once it serves (`{"role":"worker","url":…}`). */
export interface RoleReady {
  readonly role: string;
  readonly url?: string;
  readonly deployments?: readonly string[];
  readonly [key: string]: unknown;
}

/** How to start a {@link RoleProcess}. */
export interface RoleProcessOptions {
  /** The `poekhali` verb and its arguments, e.g. `["worker"]`. */
  readonly args: readonly string[];
  /** The role named in the ready line awaited (`worker`, `web`). */
  readonly role: string;
  /** The process's whole environment. */
  readonly env: NodeJS.ProcessEnv;
  /** Its working directory: not the supervisor's, whose `.env` the role would read (see loadDotEnv). */
  readonly cwd: string;
  /** Its stdout and stderr are appended here. */
  readonly logFile: string;
  readonly readyTimeoutMs?: number;
}

/**
 * One `poekhali <verb>` process (a worker, a web tier) under a watchdog, so that it does not outlive this process
 * however this one ends; `start` resolves with the ready line it prints, `kill` SIGKILLs it as a crash would.
 *
 * @example
 * const worker = await RoleProcess.start({ args: ["worker"], role: "worker", cwd: home, env, logFile: "logs/worker-1.log" });
 */
export class RoleProcess {
  readonly ready: RoleReady;
  readonly #watchdog: ChildProcess;
  readonly #pid: number;
  readonly #exited: Promise<number | null>;

  private constructor(
    ready: RoleReady,
    watchdog: ChildProcess,
    pid: number,
    exited: Promise<number | null>,
  ) {
    this.ready = ready;
    this.#watchdog = watchdog;
    this.#pid = pid;
    this.#exited = exited;
  }

  /** Starts the role and resolves once it has printed its ready line. */
  static async start(options: RoleProcessOptions): Promise<RoleProcess> {
    mkdirSync(dirname(options.logFile), { recursive: true });
    const log = (line: string) => appendFileSync(options.logFile, `${line}\n`);
    const watchdog = fork(
      WATCHDOG,
      [String(STOP_GRACE_MS), process.execPath, POEKHALI, ...options.args],
      {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        execArgv: [],
        // Its own process group: Ctrl-C reaches the supervisor, which stops the roles in order.
        detached: true,
        cwd: options.cwd,
        env: options.env,
      },
    );
    const exited = new Promise<number | null>((resolve) =>
      watchdog.once("exit", (code) => resolve(code)),
    );
    let pid: number | undefined;
    watchdog.on("message", (message: { type?: string; pid?: number }) => {
      if (message.type === "started") pid = message.pid;
    });
    if (watchdog.stderr)
      createInterface({ input: watchdog.stderr }).on("line", log);
    const timeoutMs = options.readyTimeoutMs ?? 60_000;
    try {
      const ready = await new Promise<RoleReady>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new SupervisorError(
                `poekhali ${options.args.join(" ")} printed no ready line within ${timeoutMs} ms; see ${options.logFile}`,
              ),
            ),
          timeoutMs,
        );
        void exited.then((code) => {
          clearTimeout(timer);
          reject(
            new SupervisorError(
              `poekhali ${options.args.join(" ")} exited with code ${code} before it was ready; see ${options.logFile}`,
            ),
          );
        });
        if (watchdog.stdout)
          createInterface({ input: watchdog.stdout }).on("line", (line) => {
            log(line);
            const parsed = readyLine(line);
            if (parsed?.role === options.role) {
              clearTimeout(timer);
              resolve(parsed);
            }
          });
      });
      if (pid === undefined)
        throw new SupervisorError(
          `poekhali ${options.args.join(" ")} is ready but its watchdog never said its process id`,
        );
      return new RoleProcess(ready, watchdog, pid, exited);
    } catch (error) {
      watchdog.kill("SIGTERM");
      await exited;
      throw error;
    }
  }

  /** The role's own process id (not its watchdog's). */
  get pid(): number {
    return this.#pid;
  }

  /** The watchdog's process id. */
  get watchdogPid(): number | undefined {
    return this.#watchdog.pid;
  }

  /** Resolves with the exit code when the role ends, for whatever reason. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  /** SIGKILLs the role itself, as a crash would (its watchdog then exits too); resolves once it is gone. */
  async kill(): Promise<void> {
    try {
      process.kill(this.#pid, "SIGKILL");
    } catch {
      // Already gone.
    }
    await this.#exited;
  }

  /** Stops the role: SIGTERM, then SIGKILL if it has not exited within 10 s (the watchdog sees to both). */
  async stop(): Promise<void> {
    if (this.#watchdog.exitCode !== null || this.#watchdog.signalCode !== null)
      return;
    this.#watchdog.kill("SIGTERM");
    const timer = setTimeout(() => {
      try {
        process.kill(this.#pid, "SIGKILL");
      } catch {
        // Already gone.
      }
      this.#watchdog.kill("SIGKILL");
    }, STOP_GRACE_MS + 5_000);
    await this.#exited;
    clearTimeout(timer);
  }
}

/** The JSON object a line holds, or undefined when it is not one with a `role`. */
function readyLine(line: string): RoleReady | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const value = JSON.parse(line) as unknown;
    return typeof value === "object" &&
      value !== null &&
      typeof (value as { role?: unknown }).role === "string"
      ? (value as RoleReady)
      : undefined;
  } catch {
    return undefined;
  }
}
