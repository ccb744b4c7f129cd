import { fork, type ChildProcess } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
} from "node:fs";
import { request } from "node:http";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SupervisorError } from "../errors.js";
import { portIsFree } from "../ports.js";
import { waitFor } from "../wait-for.js";
import {
  MAX_SOCKET_PATH,
  startAdminFront,
  type AdminFront,
} from "./admin-front.js";
import { IDENTITY_PRIVATE_KEY_ENV } from "./identity-key.js";
import { RestateAdmin } from "./restate-admin.js";
import {
  EMBEDDED_RESTATE_SETTINGS,
  restateSettingsServerEnv,
  type RestateServerSettings,
} from "./restate-server-settings.js";

const WATCHDOG = fileURLToPath(
  new URL("../../bin/watchdog.js", import.meta.url),
);

/** The node name of a server on its own: its store is bound to it, and the hostname may change. */
const NODE_NAME = "poekhali";

/** How long restate-server gets to stop after SIGTERM before SIGKILL, in milliseconds. */
const STOP_GRACE_MS = 10_000;

/** Where and how to run the embedded server. */
export interface RestateServerOptions {
  /** Data and logs go under `<home>/restate` and `<home>/logs`. */
  readonly home: string;
  /** One node of a cluster: its name, data directory and log file, and the cluster's settings (see restate-cluster.ts). */
  readonly node?: {
    readonly name: string;
    readonly dataDir: string;
    readonly logFile: string;
    readonly env: Readonly<Record<string, string>>;
  };
  readonly host?: string;
  readonly ingressPort: number;
  readonly adminPort: number;
  readonly nodePort: number;
  /**
   * Memory pools and invoker concurrency; each unset one is {@link EMBEDDED_RESTATE_SETTINGS}'s (Restate's own
   * defaults, sized for a server of its own, would let it and the worker outgrow a small machine).
   */
  readonly settings?: Partial<RestateServerSettings>;
  /** The request-identity private key (see `identityKey`): the server signs every request to the workers with it. */
  readonly identityKeyFile?: string;
  /** Where a warning about the server's setup goes (the app's log). */
  readonly log?: (line: string) => void;
}

/** restate-server could not start because one of its ports was taken: choosing other ports may succeed. */
export class RestatePortTakenError extends SupervisorError {}

/** Whether a failed start failed on a port: the admin front's own bind, or restate-server's, in its log since `from`. */
function boundTaken(error: unknown, logFile: string, from: number): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause)
    if ((cause as NodeJS.ErrnoException).code === "EADDRINUSE") return true;
  if (!existsSync(logFile)) return false;
  return /Address (already )?in use/i.test(
    readFileSync(logFile).subarray(from).toString("utf8"),
  );
}

/** The path of the `restate-server` binary that npm installed for this platform. */
export function restateServerBinary(): string {
  const require = createRequire(import.meta.url);
  const pkg = `@restatedev/restate-server-${process.platform}-${process.arch}`;
  try {
    return join(
      dirname(require.resolve(`${pkg}/package.json`)),
      "bin",
      "restate-server",
    );
  } catch (error) {
    throw new SupervisorError(
      `${pkg} is not installed: this platform may be unsupported by @restatedev/restate-server`,
      { cause: error },
    );
  }
}

/**
 * A `restate-server` child process with its own ports and data directory; `stop()` ends it. It runs under a
 * watchdog (`bin/watchdog.js`) that stops it when this process dies by any means, SIGKILL included.
 *
 * @example
 * const server = await RestateServer.start({ home: ".poekhali", ingressPort: 8080, adminPort: 9070, nodePort: 5122 });
 */
export class RestateServer extends RestateAdmin {
  readonly ingressUrl: string;
  /** The node's own address, where it serves its Prometheus metrics at `/metrics`. */
  readonly nodeUrl: string;
  /** The watchdog process, whose exit is the server's. */
  readonly #child: ChildProcess;
  readonly #exited: Promise<number | null>;
  #pid: number | undefined;
  /** What listens on the admin port when restate-server's own admin API is on a Unix socket (see admin-front.ts). */
  #front: AdminFront | undefined;

  private constructor(
    child: ChildProcess,
    host: string,
    options: RestateServerOptions,
  ) {
    super(`http://${host}:${options.adminPort}`);
    this.#child = child;
    this.ingressUrl = `http://${host}:${options.ingressPort}`;
    this.nodeUrl = `http://${host}:${options.nodePort}`;
    this.#exited = new Promise((resolve) =>
      child.once("exit", (code) => resolve(code)),
    );
  }

  /** Starts the server and resolves once its admin API and SQL introspection answer. */
  static async start(options: RestateServerOptions): Promise<RestateServer> {
    const host = options.host ?? "127.0.0.1";
    // Absolute, so that the command line names this home (see leftovers.ts).
    const dataDir = resolve(
      options.node?.dataDir ?? join(options.home, "restate"),
    );
    const logFile =
      options.node?.logFile ?? join(options.home, "logs", "restate.log");
    mkdirSync(dataDir, { recursive: true });
    mkdirSync(dirname(logFile), { recursive: true });
    // One node on its own: its admin API goes on a Unix socket, behind a front that checks the Host (a browser reaches
    // any loopback TCP port by DNS rebinding). A cluster's nodes reach each other's admin over TCP: they keep it.
    const socketPath = join(dataDir, NODE_NAME, "admin.sock");
    const onSocket = !options.node && socketPath.length <= MAX_SOCKET_PATH;
    if (!options.node && !onSocket)
      options.log?.(
        `[restate] WARNING: the home's path is too long for a Unix socket (${socketPath.length} > ${MAX_SOCKET_PATH} ` +
          "characters), so Restate's admin API listens on its TCP port unguarded: a web page that rebinds its DNS " +
          "name to 127.0.0.1 could reach it; use a shorter POEKHALI_HOME",
      );
    // Whoever answers on these ports would pass the health checks below in our server's stead.
    for (const [name, port] of [
      ["ingress", options.ingressPort],
      ["admin", options.adminPort],
      ["node", options.nodePort],
    ] as const) {
      if (!(await portIsFree(port, host)))
        throw new RestatePortTakenError(
          `restate-server's ${name} port ${host}:${port} is in use by another program`,
        );
    }
    // A second server on this home would take the socket over from the first (and then stop on the locked store).
    if (onSocket && (await socketAnswers(socketPath)))
      throw new SupervisorError(
        `a restate-server already runs on ${dataDir}: its admin socket ${socketPath} answers`,
      );
    // Where this start's lines begin in the log, which earlier starts wrote too.
    const logFrom = existsSync(logFile) ? statSync(logFile).size : 0;
    const log = openSync(logFile, "a");
    const child = fork(
      WATCHDOG,
      [
        String(STOP_GRACE_MS),
        restateServerBinary(),
        "--no-logo",
        "--base-dir",
        dataDir,
      ],
      {
        stdio: ["ignore", log, log, "ipc"],
        execArgv: [],
        // Its own process group and session: Ctrl-C goes to the app, which stops the server after the worker,
        // and a kill of the app's whole group leaves the watchdog to stop the server.
        detached: true,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? options.home,
          RESTATE_NODE_NAME: options.node?.name ?? NODE_NAME,
          RESTATE_LISTEN_MODE: "tcp",
          RESTATE_BIND_ADDRESS: `${host}:${options.nodePort}`,
          RESTATE_ADVERTISED_ADDRESS: `http://${host}:${options.nodePort}/`,
          RESTATE_INGRESS__BIND_ADDRESS: `${host}:${options.ingressPort}`,
          RESTATE_INGRESS__ADVERTISED_INGRESS_ENDPOINT: `http://${host}:${options.ingressPort}/`,
          RESTATE_ADMIN__BIND_ADDRESS: `${host}:${options.adminPort}`,
          RESTATE_ADMIN__ADVERTISED_ADMIN_ENDPOINT: `http://${host}:${options.adminPort}/`,
          ...restateSettingsServerEnv({
            ...EMBEDDED_RESTATE_SETTINGS,
            ...options.settings,
          }),
          RESTATE_DEFAULT_NUM_PARTITIONS: "4",
          RESTATE_DISABLE_TELEMETRY: "true",
          RESTATE_LOG_FORMAT: "compact",
          ...(onSocket ? { RESTATE_ADMIN__LISTEN_MODE: "unix" } : {}),
          ...(options.identityKeyFile
            ? { [IDENTITY_PRIVATE_KEY_ENV]: resolve(options.identityKeyFile) }
            : {}),
          ...options.node?.env,
        },
      },
    );
    closeSync(log);
    const server = new RestateServer(child, host, options);
    let failed: Error | undefined;
    child.once("error", (error) => (failed = error));
    child.on("message", (message: { type?: string; pid?: number }) => {
      if (message.type === "started") server.#pid = message.pid;
    });
    void server.#exited.then(
      (code) =>
        (failed ??= new SupervisorError(
          `restate-server exited with code ${code}; see ${logFile}`,
        )),
    );
    // Whatever fails from here stops the server and its front: nothing is left listening or running.
    try {
      if (onSocket)
        server.#front = await startAdminFront({
          host,
          port: options.adminPort,
          socketPath,
        });
      await waitFor("restate-server to answer", 60_000, async () => {
        if (failed) throw failed;
        return (
          (await fetch(`${server.adminUrl}/health`).catch(() => null))?.ok ===
          true
        );
      });
      // Healthy a moment before SQL works ("node lookup for partition 1 failed"): wait for that too.
      await waitFor("restate-server's SQL introspection", 60_000, async () => {
        if (failed) throw failed;
        // A partitioned table: `SELECT 1` answers before partition lookups work, which is what the API needs.
        return server.queryOnce("SELECT id FROM sys_invocation LIMIT 1").then(
          () => true,
          () => false,
        );
      });
      await waitFor("restate-server's process id", 10_000, () => {
        if (failed) throw failed;
        return server.#pid !== undefined;
      });
    } catch (error) {
      await server.stop();
      if (boundTaken(error, logFile, logFrom))
        throw new RestatePortTakenError(
          `restate-server could not bind its ports (another program took one as it started); see ${logFile}`,
          { cause: error },
        );
      throw error;
    }
    return server;
  }

  /** Resolves with the exit code when the server process ends, for whatever reason. */
  get exited(): Promise<number | null> {
    return this.#exited;
  }

  /** The server's process id. */
  get pid(): number | undefined {
    return this.#pid;
  }

  /** The id of the watchdog that stops the server should this process die. */
  get watchdogPid(): number | undefined {
    return this.#child.pid;
  }

  /** Stops the server: SIGTERM, then SIGKILL if it has not exited within 10 s (the watchdog sees to both). */
  async stop(): Promise<void> {
    try {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null)
        return;
      this.#child.kill("SIGTERM");
      // Should the watchdog itself hang, end both a little after its own deadline.
      const timer = setTimeout(() => {
        if (this.#pid !== undefined) killQuietly(this.#pid);
        this.#child.kill("SIGKILL");
      }, STOP_GRACE_MS + 5_000);
      await this.#exited;
      clearTimeout(timer);
    } finally {
      await this.#front?.close();
    }
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // Already gone.
  }
}

/** Whether something answers HTTP on the Unix socket `path` (a stale socket file of a dead server does not). */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      { socketPath: path, path: "/health", timeout: 2_000 },
      (res) => {
        res.resume();
        resolve(true);
      },
    );
    req.once("timeout", () => req.destroy());
    req.once("error", () => resolve(false));
    req.end();
  });
}
