import { fork, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { SupervisorError } from "../errors.js";
import { newLeaseNonce } from "@poekhali/telegram";
import { LEASE_NONCE_ENV, workerProcessEnv } from "./worker-process-env.js";

/** Options of a {@link WorkerProcess}. */
export interface WorkerProcessOptions {
  /** The worker's whole environment (the app resolves ports and sandbox credentials into it). */
  readonly env: NodeJS.ProcessEnv;
  /** The app's home, named on the worker's command line so that a later start can tell it is ours. */
  readonly home: string;
  readonly log: (line: string) => void;
  /** Called each time a worker process is up and serving (after a restart too). */
  readonly onReady: (ready: {
    url: string;
    deployments: string[];
  }) => Promise<void> | void;
}

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));

/** The worker could not listen: its port was taken (by another program, between choosing it and binding it). */
export class WorkerPortTakenError extends SupervisorError {}

/** The worker as a child process, restarted when it dies unexpectedly (as after a SIGKILL). */
export class WorkerProcess {
  readonly #options: WorkerProcessOptions;
  #child: ChildProcess | undefined;
  #stopping = false;
  #restarts = 0;
  /**
   * The worker's poll-lease nonce, the same for every process this supervisor starts: it starts one only once the
   * last has exited, so a restarted worker renews its predecessor's lease at once instead of waiting it out.
   */
  readonly #leaseNonce = newLeaseNonce();

  constructor(options: WorkerProcessOptions) {
    this.#options = options;
  }

  /** The current worker process's id. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the worker and resolves once it serves. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = fork(MAIN, [`--home=${this.#options.home}`], {
        // The worker runs from TypeScript sources, as the CLI does.
        execArgv: [
          "--conditions=poekhali-source",
          "--import",
          import.meta.resolve("tsx"),
        ],
        // Its memory kept near its live set while runs park (see worker-process-env.ts).
        env: {
          ...workerProcessEnv(this.#options.env),
          [LEASE_NONCE_ENV]: this.#leaseNonce,
        },
        stdio: ["ignore", "pipe", "pipe", "ipc"],
      });
      this.#child = child;
      let ready = false;
      let portTaken = false;
      for (const stream of [child.stdout, child.stderr]) {
        if (stream)
          createInterface({ input: stream }).on("line", (line) => {
            if (!ready && /\bEADDRINUSE\b/.test(line)) portTaken = true;
            this.#options.log(line);
          });
      }
      child.on(
        "message",
        (message: { type?: string; url?: string; deployments?: string[] }) => {
          if (message.type !== "ready" || !message.url) return;
          ready = true;
          this.#restarts = 0;
          const deployments = message.deployments ?? [message.url];
          void Promise.resolve(
            this.#options.onReady({ url: message.url, deployments }),
          ).then(resolve, reject);
        },
      );
      // "close", not "exit": its output is read to the end by then, so a failed bind has been seen.
      child.once("close", (code, signal) => {
        if (this.#stopping) return;
        if (!ready) {
          const why = `the worker exited before it was ready (code ${code}, signal ${signal})`;
          reject(
            portTaken
              ? new WorkerPortTakenError(`${why}: its port is in use`)
              : new SupervisorError(why),
          );
          return;
        }
        this.#options.log(
          `[app] the worker stopped (code ${code}, signal ${signal}); restarting it`,
        );
        const delay = Math.min(10_000, 250 * 2 ** this.#restarts++);
        setTimeout(() => {
          if (!this.#stopping)
            this.start().catch((error: unknown) =>
              this.#options.log(
                `[app] restarting the worker failed: ${String(error)}`,
              ),
            );
        }, delay);
      });
    });
  }

  /** Stops the worker: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.#stopping = true;
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
