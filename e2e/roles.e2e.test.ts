import { connect as http2Connect } from "node:http2";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
} from "node:fs";
import {
  createServer,
  connect,
  type AddressInfo,
  type Server,
  type Socket,
} from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startSandbox, type Sandbox } from "@poekhali/emulators";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { identityKey } from "../packages/poekhali/src/restate/identity-key.js";
import {
  startTemporaryRestate,
  type TemporaryRestate,
} from "../packages/poekhali/src/restate/temporary-restate.js";
import { hashDags } from "../packages/poekhali/src/versions/dag-versions.js";
import { cli } from "./cli-process.js";
import { eventually, startApp, type AppUnderTest } from "./harness.js";
import { startRole, type RoleProcess } from "./role-process.js";
import {
  emulatorsOf,
  runState,
  sandboxOf,
  sensorsParked,
  trigger,
} from "./sandbox.js";
import { sandboxEnv } from "../packages/poekhali/src/sandbox-env.js";
import {
  WorkerPortTakenError,
  WorkerProcess,
} from "../packages/poekhali/src/worker/worker-process.js";

const ROOT = new URL("..", import.meta.url).pathname;
const DAG_HASH = hashDags(join(ROOT, "dags"));

interface WorkerReady {
  role: "worker";
  url: string;
  deployments: string[];
}

/** What every role of one deployment shares: the Restate, the emulators' credentials, the internal key. */
function roleEnv(
  restate: TemporaryRestate,
  sandbox: Sandbox,
  home: string,
): Record<string, string> {
  return {
    POEKHALI_HOME: home,
    RESTATE_ADMIN_URL: restate.server.adminUrl,
    RESTATE_INGRESS_URL: restate.server.ingressUrl,
    RESTATE_IDENTITY_KEYS: restate.identityKey?.publicKey ?? "",
    POEKHALI_INTERNAL_KEY: "roles-e2e-internal-key-0123456789abcdef",
    ...sandboxEnv(sandbox.info),
    REPORTER_NAME: "e2e-reporter",
    POEKHALI_WORKER_PORT: "0",
    POEKHALI_PORT: "0",
    RESTATE_LOGGING: "WARN",
  };
}

/** The web role seen as the app the sandbox helpers drive (they use its URL and REST API only). */
function webApp(url: string): AppUnderTest {
  const unused = () => {
    throw new Error("not part of a web role");
  };
  return {
    url,
    home: "",
    output: () => "",
    pids: unused,
    stop: unused,
    async json<T>(path: string, init?: RequestInit) {
      const res = await fetch(`${url}${path}`, init);
      return { status: res.status, body: (await res.json()) as T };
    },
  };
}

/** One unsigned HTTP/2 request straight to a worker, as anything but Restate would make; resolves with its status. */
function unsignedStatus(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(url);
    session.once("error", reject);
    const req = session.request({
      ":method": "GET",
      ":path": path,
      accept: "application/vnd.restate.endpointmanifest.v1+json",
    });
    req.once("response", (headers) => {
      resolve(Number(headers[":status"]));
      session.close();
    });
    req.once("error", reject);
    req.end();
  });
}

/** A TCP proxy before several workers: each connection goes to the next backend that accepts it. */
async function tcpProxy(backends: string[]): Promise<{
  url: string;
  /** How many connections to this backend are open now. */
  open(backend: string): number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  const open = new Map<string, number>();
  let next = 0;
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.once("close", () => sockets.delete(client));
    const tryBackend = (left: number) => {
      const backend = backends[next++ % backends.length]!;
      const target = new URL(backend);
      const upstream = connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      upstream.once("close", () => sockets.delete(upstream));
      upstream.once("connect", () => {
        open.set(backend, (open.get(backend) ?? 0) + 1);
        upstream.once("close", () =>
          open.set(backend, (open.get(backend) ?? 1) - 1),
        );
        client.pipe(upstream).pipe(client);
        upstream.once("error", () => client.destroy());
        client.once("error", () => upstream.destroy());
      });
      // A dead worker refuses the connection: the next one gets it, as a load balancer's health check would do.
      upstream.once("error", () => {
        if (upstream.readyState === "opening" && left > 1) tryBackend(left - 1);
        else client.destroy();
      });
    };
    tryBackend(backends.length);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    open: (backend) => open.get(backend) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `count` messages show a button, and returns their ids, oldest first. */
async function buttons(
  emulators: ReturnType<typeof emulatorsOf>,
  count: number,
): Promise<number[]> {
  return eventually(
    `${count} messages with a button`,
    async () => {
      const ids = (await emulators.messages())
        .filter((m) => m.reply_markup?.inline_keyboard.length)
        .map((m) => m.message_id);
      return ids.length >= count ? ids : undefined;
    },
    60_000,
  );
}

describe("poekhali worker, register and web as separate processes", () => {
  let restate: TemporaryRestate;
  let sandbox: Sandbox;
  let home: string;
  let env: Record<string, string>;
  const roles: RoleProcess<unknown>[] = [];

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-roles-", { signed: true });
    sandbox = await startSandbox({ airtableRateLimit: false });
    home = mkdtempSync(join(tmpdir(), "poekhali-roles-home-"));
    env = roleEnv(restate, sandbox, home);
  });
  afterAll(async () => {
    for (const role of roles.splice(0).reverse()) await role.stop();
    await sandbox?.close();
    await restate?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("runs telegram_go_button from a trigger on the web to a row, the worker serving only what Restate signed", async () => {
    const worker = await startRole<WorkerReady>(["worker"], env);
    roles.push(worker);
    expect(worker.ready).toEqual({
      role: "worker",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as string,
      deployments: [`${worker.ready.url}/v/${DAG_HASH}`],
    });
    // Anything but the signing Restate is refused before any handler runs.
    expect(
      await unsignedStatus(worker.ready.url, `/v/${DAG_HASH}/discover`),
    ).toBe(401);

    const registered = await cli(
      ["register", "--worker-url", worker.ready.url],
      env,
    );
    expect(registered.err).toBe("");
    expect(registered.code).toBe(0);
    expect(JSON.parse(registered.out)).toEqual({
      role: "register",
      deployment: worker.ready.deployments[0],
    });

    const web = await startRole<{ role: string; url: string }>(["web"], env);
    roles.push(web);
    expect(web.ready).toEqual({
      role: "web",
      url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) as string,
    });
    const app = webApp(web.ready.url);
    const emulators = emulatorsOf(sandbox.info);

    const runId = await trigger(app, { dag_run_id: "roles_press_1" });
    const [messageId] = await buttons(emulators, 1);
    const press = await emulators.press(messageId!, {
      id: 1001,
      username: "anna",
      first_name: "Анна",
    });
    expect(press.status).toBe(200);
    expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await emulators.rows();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.fields).toMatchObject({
      chat_id: sandbox.info.telegram.chat_id,
      username: "anna",
      event_type: "button_press",
      reporter_name: "e2e-reporter",
    });
  });

  it("says that up's worker could not bind its port, so that up can choose another", async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) =>
      holder.listen(0, "127.0.0.1", () =>
        resolve((holder.address() as AddressInfo).port),
      ),
    );
    const lines: string[] = [];
    const worker = new WorkerProcess({
      home,
      env: { ...process.env, ...env, POEKHALI_WORKER_PORT: String(port) },
      log: (line) => lines.push(line),
      onReady: () => undefined,
    });
    try {
      await expect(worker.start()).rejects.toBeInstanceOf(WorkerPortTakenError);
      expect(lines.join("\n")).toContain(`EADDRINUSE`);
    } finally {
      await worker.stop();
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it("stops each role on SIGTERM with exit code 0", async () => {
    for (const role of roles.splice(0).reverse())
      expect(await role.stop("SIGTERM"), role.output()).toBe(0);
  });
});

describe("two workers behind one deployment URL", () => {
  let restate: TemporaryRestate;
  let sandbox: Sandbox;
  let home: string;
  let proxy: Awaited<ReturnType<typeof tcpProxy>> | undefined;
  const roles: RoleProcess<unknown>[] = [];

  beforeAll(async () => {
    restate = await startTemporaryRestate("poekhali-roles-", { signed: true });
    sandbox = await startSandbox({ airtableRateLimit: false });
    home = mkdtempSync(join(tmpdir(), "poekhali-roles-home-"));
  });
  afterAll(async () => {
    for (const role of roles.splice(0).reverse()) await role.stop();
    await proxy?.close();
    await sandbox?.close();
    await restate?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it("finishes every run when one worker is SIGKILLed while the runs resume", async () => {
    const env = roleEnv(restate, sandbox, home);
    const first = await startRole<WorkerReady>(["worker"], env);
    roles.push(first);
    const second = await startRole<WorkerReady>(["worker"], env);
    roles.push(second);
    // Both serve the same code at the same path: the deployment URL may reach either.
    expect(second.ready.deployments[0]!.replace(second.ready.url, "")).toBe(
      first.ready.deployments[0]!.replace(first.ready.url, ""),
    );
    proxy = await tcpProxy([first.ready.url, second.ready.url]);
    const registered = await cli(["register"], {
      ...env,
      POEKHALI_WORKER_URL: proxy.url,
    });
    expect(registered.code).toBe(0);
    const web = await startRole<{ url: string }>(["web"], env);
    roles.push(web);
    const app = webApp(web.ready.url);
    const emulators = emulatorsOf(sandbox.info);

    const runIds: string[] = [];
    for (let i = 0; i < 4; i++)
      runIds.push(await trigger(app, { dag_run_id: `roles_two_${i}` }));
    await sensorsParked(app, runIds);
    const messageIds = await buttons(emulators, runIds.length);
    for (const [i, messageId] of messageIds.entries()) {
      const press = await emulators.press(messageId, {
        id: 2000 + i,
        username: `user${i}`,
        first_name: `User ${i}`,
      });
      expect(press.status).toBe(200);
      if (i === 1) {
        // Mid-way, the worker Restate is talking to dies: the first presses' runs are resuming on it (or done),
        // the others have yet to reach a worker.
        const busy = [first, second].find((w) => proxy!.open(w.ready.url) > 0);
        expect(busy).toBeDefined();
        expect(await busy!.stop("SIGKILL")).toBeNull();
      }
    }
    for (const runId of runIds)
      expect(await runState(app, runId, ["success", "failed"])).toBe("success");
    const rows = await eventually(
      "a row per run",
      async () => {
        const rows = await emulators.rows();
        return rows.length >= runIds.length ? rows : undefined;
      },
      60_000,
    );
    expect(rows.map((r) => r.fields.username).sort()).toEqual([
      "user0",
      "user1",
      "user2",
      "user3",
    ]);
  });
});

describe("request signing and an external Restate: refusals", () => {
  it("refuses to start a worker bound beyond loopback without RESTATE_IDENTITY_KEYS", async () => {
    const { code, out, err } = await cli(["worker"], {
      POEKHALI_WORKER_HOST: "0.0.0.0",
      POEKHALI_WORKER_PORT: "0",
      RESTATE_ADMIN_URL: "http://127.0.0.1:9",
      RESTATE_INGRESS_URL: "http://127.0.0.1:9",
      POEKHALI_INTERNAL_KEY: "roles-e2e-internal-key-0123456789abcdef",
      TELEGRAM_BOT_TOKEN: "123456:emulator-token-abcdefghijklmnopqrstuvwxyz",
      TELEGRAM_CHAT_ID: "-100",
      AIRTABLE_TOKEN: "pat",
      AIRTABLE_BASE_ID: "appABCDEFGHIJKLMN",
    });
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain(
      "configuration error: RESTATE_IDENTITY_KEYS: is required when POEKHALI_WORKER_HOST (0.0.0.0) is not a loopback address",
    );
  });

  it("refuses to register without the workers' URL, naming --worker-url and POEKHALI_WORKER_URL", async () => {
    const { code, out, err } = await cli(["register"], {
      RESTATE_ADMIN_URL: "http://127.0.0.1:9",
    });
    expect(code).toBe(2);
    expect(out).toBe("");
    expect(err).toContain(
      "poekhali register needs the workers' URL: --worker-url URL or POEKHALI_WORKER_URL",
    );
  });

  it("names the missing half of an external Restate, and a bad URL", async () => {
    const home = mkdtempSync(join(tmpdir(), "poekhali-roles-home-"));
    try {
      const noIngress = await cli(["up"], {
        POEKHALI_HOME: home,
        RESTATE_ADMIN_URL: "http://127.0.0.1:9070",
      });
      expect(noIngress.code).toBe(1);
      expect(noIngress.err).toContain(
        "configuration error: RESTATE_INGRESS_URL: is required with RESTATE_ADMIN_URL",
      );
      const noAdmin = await cli(["web"], {
        POEKHALI_HOME: home,
        RESTATE_INGRESS_URL: "http://127.0.0.1:8080",
      });
      expect(noAdmin.err).toContain(
        "configuration error: RESTATE_ADMIN_URL: is required with RESTATE_INGRESS_URL",
      );
      const bad = await cli(["up"], {
        POEKHALI_HOME: home,
        RESTATE_ADMIN_URL: "restate:9070",
        RESTATE_INGRESS_URL: "http://127.0.0.1:8080",
      });
      expect(bad.code).toBe(1);
      expect(bad.err).toContain(
        "configuration error: RESTATE_ADMIN_URL: must be an http(s) URL",
      );
      const none = await cli(["worker"], { POEKHALI_HOME: home });
      expect(none.err).toContain(
        "configuration error: RESTATE_ADMIN_URL: is required by poekhali worker, with RESTATE_INGRESS_URL",
      );
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe("poekhali up", () => {
  it("uses the Restate of RESTATE_ADMIN_URL and RESTATE_INGRESS_URL and starts none of its own", async () => {
    const restate = await startTemporaryRestate("poekhali-roles-");
    let app: AppUnderTest | undefined;
    try {
      app = await startApp({
        RESTATE_ADMIN_URL: restate.server.adminUrl,
        RESTATE_INGRESS_URL: restate.server.ingressUrl,
      });
      expect(app.output()).toContain(
        `using the Restate at ${restate.server.adminUrl} (admin)`,
      );
      const pids = app.pids();
      expect(pids.restate).toBeUndefined();
      expect(pids.watchdog).toBeUndefined();
      expect(existsSync(join(app.home, "restate"))).toBe(false);
      const { deployments } = (await (
        await fetch(`${restate.server.adminUrl}/deployments`)
      ).json()) as { deployments: { uri: string }[] };
      expect(deployments.map((d) => d.uri)).toEqual([
        expect.stringMatching(new RegExp(`/v/${DAG_HASH}$`)) as string,
      ]);

      const sandbox = await sandboxOf(app);
      const runId = await trigger(app, { dag_run_id: "roles_up_external" });
      const [messageId] = await buttons(sandbox, 1);
      await sandbox.press(messageId!, {
        id: 7,
        username: "anna",
        first_name: "Анна",
      });
      expect(await runState(app, runId, ["success", "failed"])).toBe("success");
      expect(await sandbox.rows()).toHaveLength(1);
    } finally {
      await app?.stop();
      await restate.stop();
    }
  });

  it("signs its embedded server's requests: its worker refuses an unsigned one", async () => {
    const app = await startApp();
    try {
      const key = identityKey(app.home);
      expect(statSync(key.privateKeyPemPath).mode & 0o777).toBe(0o600);
      expect(app.output()).not.toContain("BEGIN PRIVATE KEY");
      const { workerPort } = JSON.parse(
        readFileSync(join(app.home, "ports.json"), "utf8"),
      ) as { workerPort: number };
      expect(
        await unsignedStatus(
          `http://127.0.0.1:${workerPort}`,
          `/v/${DAG_HASH}/discover`,
        ),
      ).toBe(401);
      // …while restate-server, which signs, reaches it: the app registered and is ready.
      expect((await fetch(`${app.url}/healthz`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });
});
