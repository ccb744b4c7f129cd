import { fork } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { startSandbox, type Sandbox } from "@poekhali/emulators";
import { INTERNAL_KEY_FILE, keptSecret } from "../api/auth/auth-secret.js";
import { SupervisorError } from "../errors.js";
import { alive, commandLine } from "../leftovers.js";
import { rememberedPorts } from "../ports.js";
import { IDENTITY_KEYS_ENV, identityKey } from "../restate/identity-key.js";
import { RestateCluster } from "../restate/restate-cluster.js";
import type { RestateServerSettings } from "../restate/restate-server-settings.js";
import { clusterStateDir, stopClusterLeftovers } from "./cluster-leftovers.js";
import { RoleProcess } from "./role-process.js";
import { tcpRoundRobin, type TcpRoundRobin } from "./tcp-round-robin.js";
import { sandboxEnv } from "../sandbox-env.js";
import { workerProcessEnv } from "../worker/worker-process-env.js";

const POEKHALI = fileURLToPath(
  new URL("../../bin/poekhali.js", import.meta.url),
);
const WATCHDOG = fileURLToPath(
  new URL("../../bin/watchdog.js", import.meta.url),
);

/** What {@link startCluster} starts. */
export interface ClusterOptions {
  /** POEKHALI_HOME: the nodes' data, the sandbox's state, the logs and `cluster.json` go here. */
  readonly home: string;
  readonly nodes: number;
  readonly workers: number;
  /** The DAGs the workers serve and the web tier shows (POEKHALI_DAGS_FOLDER). */
  readonly dagsFolder: string;
  readonly log: (line: string) => void;
  /** More environment for the workers and the web tier (REPORTER_NAME, EVENT_TYPE, …). */
  readonly env?: Readonly<Record<string, string>>;
  /** Each Restate node's memory pools and invoker concurrency the operator set (POEKHALI_RESTATE_*). */
  readonly restateSettings?: Partial<RestateServerSettings>;
}

/** The kinds of process a chaos run may kill: a Restate node, a worker, the web tier. */
export type ClusterRole = "node" | "worker" | "web";

/** One process as `cluster.json` lists it. */
export interface ClusterProcess {
  readonly role: "supervisor" | "restate-node" | "worker" | "web";
  readonly id: number;
  /** Null while it is down (killed and not yet restarted). */
  readonly pid: number | null;
  readonly watchdog_pid?: number | null;
  readonly [port: string]: unknown;
}

/** The content of `POEKHALI_HOME/cluster.json`. */
export interface ClusterInfo {
  readonly home: string;
  readonly web_url: string;
  /** The proxies before the nodes' ingress and admin APIs, which the roles use (RESTATE_INGRESS_URL/ADMIN_URL). */
  readonly restate: {
    readonly ingress_url: string;
    readonly admin_url: string;
  };
  /** The one deployment URL Restate calls; a TCP round-robin over the workers in the supervisor. */
  readonly deployment_proxy: { readonly port: number; readonly url: string };
  readonly deployment: string;
  readonly emulators: {
    readonly telegram_api_root: string;
    readonly airtable_endpoint_url: string;
    readonly chat_page: string;
    readonly table_page: string;
  };
  readonly processes: readonly ClusterProcess[];
}

/** A running `poekhali cluster`. */
export interface RunningCluster {
  readonly sandbox: Sandbox;
  readonly restate: RestateCluster;
  /** What `cluster.json` says now. */
  info(): ClusterInfo;
  /** SIGKILLs one process (node ids and worker/web indexes are 1-based), as a crash would; resolves once it is gone. */
  kill(role: ClusterRole, id: number): Promise<void>;
  /** Starts a killed process again on its ports and data; resolves once it serves. */
  restart(role: ClusterRole, id: number): Promise<void>;
  /** Stops everything: web, workers, nodes, proxies, emulators. */
  stop(): Promise<void>;
}

/**
 * Starts a Restate cluster of `nodes` nodes, the sandbox's emulators, `workers` workers behind one deployment URL,
 * registers that deployment and starts one web tier, each role as its own `poekhali` process; writes
 * `<home>/cluster.json`. A development and test tool: everything listens on loopback.
 *
 * @example
 * const cluster = await startCluster({ home, nodes: 3, workers: 2, dagsFolder: "dags", log: console.log });
 */
export async function startCluster(
  options: ClusterOptions,
): Promise<RunningCluster> {
  for (const [name, value, min] of [
    ["--nodes", options.nodes, 1],
    ["--workers", options.workers, 1],
  ] as const)
    if (!Number.isInteger(value) || value < min)
      throw new SupervisorError(
        `${name} must be a whole number, ${min} or more; got ${value}`,
      );
  const host = "127.0.0.1";
  const home = resolve(options.home);
  mkdirSync(home, { recursive: true });
  refuseSecondStart(home);
  // A supervisor killed outright leaves its nodes and roles in their shutdown grace, holding ports and data.
  const stopped = await stopClusterLeftovers(home);
  if (stopped) options.log(`[cluster] ${stopped}`);
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) =>
        options.log(`[cluster] while stopping: ${String(e)}`),
      );
  };
  try {
    // Ports chosen once per home and kept: a later start on the same home finds its nodes, its deployment URL
    // (which Restate keeps, with runs parked on it) and its sandbox pages where they were.
    const stateDir = clusterStateDir(home);
    mkdirSync(stateDir, { recursive: true });
    const wanted: Record<string, number> = {
      telegram: 0,
      airtable: 0,
      ingressProxy: 0,
      adminProxy: 0,
      deploymentProxy: 0,
      web: 0,
    };
    for (let i = 1; i <= options.nodes; i++)
      for (const kind of ["ingress", "admin", "node"])
        wanted[`n${i}${kind}`] = 0;
    for (let i = 1; i <= options.workers; i++) wanted[`worker${i}`] = 0;
    const ports = await rememberedPorts(stateDir, wanted, host);
    const port = (name: string) => ports[name] as number;
    const sandbox = await startSandbox({
      host,
      telegramPort: port("telegram"),
      airtablePort: port("airtable"),
      airtableRateLimit: false,
      stateDir: join(home, "sandbox"),
    });
    cleanups.push(() => sandbox.close());
    const key = identityKey(home);
    const restate = await RestateCluster.start({
      home,
      nodes: options.nodes,
      host,
      identityKeyFile: key.privateKeyPemPath,
      ...(options.restateSettings ? { settings: options.restateSettings } : {}),
      ports: Array.from({ length: options.nodes }, (_, i) => ({
        ingressPort: port(`n${i + 1}ingress`),
        adminPort: port(`n${i + 1}admin`),
        nodePort: port(`n${i + 1}node`),
      })),
    });
    cleanups.push(() => restate.stop());
    // The roles reach the cluster through proxies that skip a dead node, as a load balancer before them would.
    const ingress = await tcpRoundRobin({
      host,
      port: port("ingressProxy"),
      upstreams: restate.nodes.map((n) => n.ingressPort),
    });
    const admin = await tcpRoundRobin({
      host,
      port: port("adminProxy"),
      upstreams: restate.nodes.map((n) => n.adminPort),
    });
    cleanups.push(
      () => ingress.close(),
      () => admin.close(),
    );
    const ingressUrl = `http://${host}:${ingress.port}`;
    const adminUrl = `http://${host}:${admin.port}`;

    const t = sandbox.info.telegram;
    const a = sandbox.info.airtable;
    const roleEnv = (roleHome: string): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? home,
      ...options.env,
      POEKHALI_HOME: roleHome,
      POEKHALI_DAGS_FOLDER: resolve(options.dagsFolder),
      RESTATE_ADMIN_URL: adminUrl,
      RESTATE_INGRESS_URL: ingressUrl,
      [INTERNAL_KEY_ENV]: keptSecret(
        home,
        INTERNAL_KEY_FILE,
        process.env[INTERNAL_KEY_ENV],
      ),
      [IDENTITY_KEYS_ENV]: key.publicKey,
      ...sandboxEnv(sandbox.info),
      // The SDK logs every invocation at INFO; the logs would be mostly that.
      RESTATE_LOGGING: process.env.RESTATE_LOGGING ?? "WARN",
    });

    const workerPorts = Array.from({ length: options.workers }, (_, i) =>
      port(`worker${i + 1}`),
    );
    // A role that dies unasked stays down (this is a test tool): say so, with where its log is.
    const diedAlone = (
      role: RoleProcess,
      name: string,
      current: () => boolean,
    ) =>
      void role.exited.then((code) => {
        if (!stopping && current())
          options.log(
            `[cluster] ${name} exited on its own (code ${code}); see ${join(home, "logs")}`,
          );
      });
    const workers: (RoleProcess | undefined)[] = workerPorts.map(
      () => undefined,
    );
    const startWorker = async (id: number) => {
      const port = workerPorts[id - 1] as number;
      const worker = await RoleProcess.start({
        args: ["worker"],
        role: "worker",
        cwd: stateDir,
        env: workerProcessEnv({
          ...roleEnv(join(home, `worker-${id}`)),
          POEKHALI_WORKER_HOST: host,
          POEKHALI_WORKER_PORT: String(port),
        }),
        logFile: join(home, "logs", `worker-${id}.log`),
      });
      workers[id - 1] = worker;
      diedAlone(worker, `worker ${id}`, () => workers[id - 1] === worker);
    };
    cleanups.push(() =>
      Promise.all(workers.map(async (w) => w?.stop())).then(() => undefined),
    );
    await Promise.all(workerPorts.map((_, i) => startWorker(i + 1)));
    const deploymentProxy: TcpRoundRobin = await tcpRoundRobin({
      host,
      port: port("deploymentProxy"),
      upstreams: workerPorts,
    });
    cleanups.push(() => deploymentProxy.close());
    const deploymentUrl = `http://${host}:${deploymentProxy.port}`;
    const registered = await register(deploymentUrl, roleEnv(home), stateDir);
    options.log(`[cluster] registered ${registered}`);

    let web: RoleProcess | undefined;
    const webPort = port("web");
    const startWeb = async () => {
      const started = await RoleProcess.start({
        args: ["web"],
        role: "web",
        cwd: stateDir,
        env: {
          ...roleEnv(join(home, "web-1")),
          POEKHALI_HOST: host,
          POEKHALI_PORT: String(webPort),
        },
        logFile: join(home, "logs", "web-1.log"),
      });
      web = started;
      diedAlone(started, "web 1", () => web === started);
    };
    cleanups.push(async () => web?.stop());
    await startWeb();
    const webUrl = `http://${host}:${webPort}`;

    const info = (): ClusterInfo => ({
      home,
      web_url: webUrl,
      restate: { ingress_url: ingressUrl, admin_url: adminUrl },
      deployment_proxy: { port: deploymentProxy.port, url: deploymentUrl },
      deployment: registered,
      emulators: {
        telegram_api_root: t.api_root,
        airtable_endpoint_url: a.endpoint_url,
        chat_page: sandbox.chatPageUrl,
        table_page: sandbox.tablePageUrl,
      },
      processes: [
        {
          role: "supervisor",
          id: 1,
          pid: process.pid,
          ingress_proxy_port: ingress.port,
          admin_proxy_port: admin.port,
          deployment_proxy_port: deploymentProxy.port,
          telegram_emulator_port: Number(new URL(t.api_root).port),
          airtable_emulator_port: Number(new URL(a.endpoint_url).port),
        },
        ...restate.nodes.map((n) => ({
          role: "restate-node" as const,
          id: n.id,
          name: n.name,
          pid: n.server?.pid ?? null,
          watchdog_pid: n.server?.watchdogPid ?? null,
          ingress_port: n.ingressPort,
          admin_port: n.adminPort,
          node_port: n.nodePort,
        })),
        ...workers.map((w, i) => ({
          role: "worker" as const,
          id: i + 1,
          pid: w?.pid ?? null,
          watchdog_pid: w?.watchdogPid ?? null,
          port: workerPorts[i],
          url: `http://${host}:${workerPorts[i]}`,
        })),
        {
          role: "web",
          id: 1,
          pid: web?.pid ?? null,
          watchdog_pid: web?.watchdogPid ?? null,
          port: webPort,
          url: webUrl,
        },
      ],
    });
    const save = () => {
      const file = join(home, "cluster.json");
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, `${JSON.stringify(info(), null, 2)}\n`);
      renameSync(temporary, file);
    };
    save();

    const checkId = (role: ClusterRole, id: number, count: number) => {
      if (!Number.isInteger(id) || id < 1 || id > count)
        throw new SupervisorError(
          `no ${role} ${id}: the cluster has ${count} ${role}(s), numbered from 1`,
        );
    };
    return {
      sandbox,
      restate,
      info,
      async kill(role, id) {
        if (role === "node") await restate.kill(id);
        else if (role === "worker") {
          checkId(role, id, workers.length);
          const worker = workers[id - 1];
          workers[id - 1] = undefined;
          await worker?.kill();
        } else {
          checkId(role, id, 1);
          const killed = web;
          web = undefined;
          await killed?.kill();
        }
        save();
      },
      async restart(role, id) {
        if (role === "node") await restate.restart(id);
        else if (role === "worker") {
          checkId(role, id, workers.length);
          if (!workers[id - 1]) await startWorker(id);
        } else {
          checkId(role, id, 1);
          if (!web) await startWeb();
        }
        save();
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Throws when a cluster started on this home still runs: its nodes hold the data directories. */
function refuseSecondStart(home: string): void {
  let pid: unknown;
  try {
    const info = JSON.parse(
      readFileSync(join(home, "cluster.json"), "utf8"),
    ) as Partial<ClusterInfo>;
    pid = info.processes?.find((p) => p.role === "supervisor")?.pid;
  } catch {
    return;
  }
  // A pid may have been reused since: only a process whose command line names a cluster start is taken for one.
  if (
    typeof pid === "number" &&
    pid !== process.pid &&
    alive(pid) &&
    /poekhali\.js cluster|chaos/.test(commandLine(pid))
  )
    throw new SupervisorError(
      `a cluster is already running on ${home} (pid ${pid}); stop it first, or use another POEKHALI_HOME`,
    );
}

/**
 * Runs `poekhali register --worker-url URL` under a watchdog (so that it does not outlive a killed supervisor) in
 * `cwd` (not the supervisor's, whose `.env` it would read) and returns the deployment it registered.
 */
function register(
  workerUrl: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = fork(
      WATCHDOG,
      [
        "5000",
        process.execPath,
        POEKHALI,
        "register",
        "--worker-url",
        workerUrl,
      ],
      {
        stdio: ["ignore", "pipe", "pipe", "ipc"],
        execArgv: [],
        detached: true,
        cwd,
        env,
      },
    );
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGTERM"), 120_000);
    // "close", not "exit": the output is all read by then.
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const line = stdout
        .split("\n")
        .find((l) => l.startsWith('{"role":"register"'));
      if (code !== 0 || !line) {
        reject(
          new SupervisorError(
            `poekhali register --worker-url ${workerUrl} failed (${signal ?? `code ${code}`}): ${stderr.trim() || "no output"}`,
          ),
        );
        return;
      }
      resolve((JSON.parse(line) as { deployment: string }).deployment);
    });
  });
}
