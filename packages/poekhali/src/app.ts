import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { INTERNAL_KEY_ENV, RestateIngress } from "@poekhali/core";
import { startSandbox } from "@poekhali/emulators";
import { ApiState } from "./api/api-state.js";
import {
  authSecret,
  INTERNAL_KEY_FILE,
  keptSecret,
} from "./api/auth/auth-secret.js";
import { SimpleAuth } from "./api/auth/simple-auth.js";
import { EventLog } from "./api/event-log.js";
import { Variables } from "./api/variables.js";
import { DagRuns } from "./api/dag-runs.js";
import { gate } from "./api/gate.js";
import { restApi, type SandboxInfo } from "./api/rest-api.js";
import { WEBHOOK_PATH, telegramWebhook } from "./api/telegram-webhook.js";
import type { AirtableConfig, AppConfig, TelegramConfig } from "./config.js";
import { loadDags } from "./dag-loader.js";
import { stopLeftovers, writePids } from "./leftovers.js";
import { choosePort, rememberedPorts } from "./ports.js";
import { RestateServer } from "./restate/restate-server.js";
import { webPages } from "./web/pages.js";
import { WorkerProcess } from "./worker/worker-process.js";
import { registerCurrent } from "./versions/register-current.js";
import { snapshotDags } from "./versions/dag-versions.js";
import { versionsInFlight } from "./versions/versions-in-flight.js";

/** A running `poekhali up`. */
export interface RunningApp {
  readonly url: string;
  readonly restateAdminUrl: string;
  readonly sandbox: SandboxInfo | undefined;
  /** Resolves with an error if restate-server stops on its own; the app cannot go on without it. */
  readonly failed: Promise<Error>;
  /** Stops the web server, the worker, restate-server and the emulators, in that order. */
  stop(): Promise<void>;
}

/** Starts everything `npm start` runs: emulators (sandbox), restate-server, the worker, the web app. */
export async function up(
  config: AppConfig,
  log: (line: string) => void,
): Promise<RunningApp> {
  const host = "127.0.0.1";
  mkdirSync(config.home, { recursive: true });
  // A start after a SIGKILL finds what the killed one left (a restate-server still stopping, a stuck worker).
  const stoppedLeftovers = await stopLeftovers(config.home);
  if (stoppedLeftovers) log(`[app] ${stoppedLeftovers}`);
  // The web tier signs its calls to the worker's public handlers; the worker inherits the key with the environment.
  process.env[INTERNAL_KEY_ENV] = keptSecret(
    config.home,
    INTERNAL_KEY_FILE,
    process.env[INTERNAL_KEY_ENV],
  );
  const cleanups: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async () => {
    stopping = true;
    for (const cleanup of cleanups.splice(0).reverse())
      await cleanup().catch((e: unknown) =>
        log(`[app] while stopping: ${String(e)}`),
      );
    rmSync(join(config.home, "pids.json"), { force: true });
  };
  try {
    const { workerPort, telegramEmulatorPort, airtableEmulatorPort, ...ports } =
      await rememberedPorts(
        config.home,
        {
          ingressPort: config.restate.ingressPort,
          adminPort: config.restate.adminPort,
          nodePort: config.restate.nodePort,
          workerPort: config.workerPort,
          // The sandbox pages keep their addresses across restarts, so an open chat page goes on working.
          telegramEmulatorPort: 0,
          airtableEmulatorPort: 0,
        },
        host,
        (name, from, to) =>
          // A sandbox page at a new address is no news worth a warning.
          !name.endsWith("EmulatorPort") &&
          log(
            `[app] WARNING: ${name} ${from} is taken, using ${to}. ` +
              (name === "workerPort"
                ? "Runs parked on the old port's deployments cannot resume; free the port and restart."
                : ""),
          ),
      );
    let telegram: TelegramConfig;
    let airtable: AirtableConfig;
    let sandboxInfo: SandboxInfo | undefined;
    let sandboxPages: { sandboxChat: string; sandboxTable: string } | undefined;
    if (config.telegram && config.airtable) {
      telegram = config.telegram;
      airtable = config.airtable;
    } else {
      // The sandbox stands in for the services; Airtable's rate limit is the writer's job, tested on its own.
      // The chat and the table belong to this home like Restate's journal: after a restart they show what they
      // showed, and their update and message ids go on from there instead of repeating ids Restate remembers.
      const sandbox = await startSandbox({
        host,
        telegramPort: telegramEmulatorPort,
        airtablePort: airtableEmulatorPort,
        airtableRateLimit: false,
        stateDir: join(config.home, "sandbox"),
      });
      cleanups.push(() => sandbox.close());
      sandboxInfo = sandbox.info;
      sandboxPages = {
        sandboxChat: sandbox.chatPageUrl,
        sandboxTable: sandbox.tablePageUrl,
      };
      const t = sandbox.info.telegram;
      const a = sandbox.info.airtable;
      telegram = { token: t.token, chatId: t.chat_id, apiRoot: t.api_root };
      airtable = {
        token: a.token,
        baseId: a.base_id,
        table: a.table,
        endpointUrl: a.endpoint_url,
      };
      log(`[app] sandbox: chat page ${sandbox.chatPageUrl}`);
      log(`[app] sandbox: table page ${sandbox.tablePageUrl}`);
    }

    // The DAG code as it is now, kept by its hash, so that runs started on it can finish on it after edits.
    const current = snapshotDags(config.dagsFolder);
    const loaded = await loadDags(current.folder);
    const { dags } = loaded;
    // Name the user's files, not their snapshot copies.
    const errors = loaded.errors.map((e) => ({
      ...e,
      path: e.path.replace(current.folder, config.dagsFolder),
    }));
    for (const e of errors)
      log(`[app] could not load DAG file ${e.path}: ${e.error}`);
    for (const warning of loaded.warnings) log(`[app] warning: ${warning}`);
    log(
      `[app] DAGs: ${[...dags.keys()].join(", ") || "none"} (from ${config.dagsFolder}, code version ${current.hash})`,
    );

    const restate = await RestateServer.start({
      home: config.home,
      host,
      ...ports,
    });
    cleanups.push(() => restate.stop());
    writePids(config.home, {
      app: process.pid,
      watchdog: restate.watchdogPid,
      restate: restate.pid,
    });
    const failed = restate.exited.then(
      (code) =>
        new Error(
          `restate-server stopped on its own (exit code ${code}); see ${join(config.home, "logs", "restate.log")}`,
        ),
    );
    void failed.then((error) => !stopping && log(`[app] ${error.message}`));
    log(
      `[app] restate-server: ingress ${restate.ingressUrl}, admin ${restate.adminUrl} (UI ${restate.adminUrl}/ui/)`,
    );

    const inFlight = await versionsInFlight(
      restate,
      config.dagsFolder,
      current.hash,
    );
    for (const v of inFlight.versions)
      log(
        `[app] also serving DAG code version ${v.hash}: runs started on it are still going`,
      );
    for (const v of inFlight.lost) {
      log(
        `[app] ${v.runs} run(s) are pinned to DAG code version ${v.hash}, whose copy is gone: they cannot resume; cancel them`,
      );
    }

    let ready = false;
    const worker = new WorkerProcess({
      home: config.home,
      env: {
        ...process.env,
        TELEGRAM_BOT_TOKEN: telegram.token,
        TELEGRAM_CHAT_ID: telegram.chatId,
        TELEGRAM_API_ROOT: telegram.apiRoot,
        AIRTABLE_TOKEN: airtable.token,
        AIRTABLE_BASE_ID: airtable.baseId,
        AIRTABLE_TABLE: airtable.table,
        AIRTABLE_ENDPOINT_URL: airtable.endpointUrl,
        REPORTER_NAME: config.reporterName,
        EVENT_TYPE: config.eventType,
        POEKHALI_DAGS_FOLDER: config.dagsFolder,
        POEKHALI_WORKER_PORT: String(workerPort),
        POEKHALI_DAG_VERSIONS: JSON.stringify([current, ...inFlight.versions]),
        POEKHALI_RESTATE_INGRESS_PORT: String(ports.ingressPort),
        POEKHALI_RESTATE_ADMIN_PORT: String(ports.adminPort),
        // The SDK logs every invocation at INFO; the UI's status polling alone would flood the terminal.
        RESTATE_LOGGING: process.env.RESTATE_LOGGING ?? "WARN",
      },
      log,
      onReady: async ({ deployments }) => {
        // Changed DAG code has a new URI, hence a new deployment; runs keep the one they started on.
        await registerCurrent(restate, deployments[0] ?? "", log);
        ready = true;
        savePids();
      },
    });
    cleanups.push(() => worker.stop());
    await worker.start();

    const web = new Hono();
    // First: host names, cross-site requests and credentials are checked before any route runs.
    web.route(
      "/",
      gate({
        bindHost: config.host,
        allowedHosts: config.allowedHosts,
        auth: new SimpleAuth({
          username: config.auth.username,
          password: config.auth.password,
          secret: authSecret(config.home, config.auth.secret),
        }),
        ownSecretPaths: [WEBHOOK_PATH],
      }),
    );
    const runs = new DagRuns(new RestateIngress(restate.ingressUrl), restate);
    const apiState = ApiState.open(config.home);
    web.route(
      "/",
      restApi({
        dags,
        runs,
        ready: () => ready,
        state: apiState,
        source: {
          folder: config.dagsFolder,
          files: new Map(
            [...loaded.files].map(([id, name]) => [
              id,
              join(config.dagsFolder, name),
            ]),
          ),
        },
        importErrors: errors,
        variables: new Variables(restate.ingressUrl, restate),
        eventLog: new EventLog(restate.ingressUrl, restate, log),
        ...(sandboxInfo ? { sandbox: sandboxInfo } : {}),
      }),
    );
    const webhook = telegramWebhook({
      updates: config.updates,
      live: config.mode === "live",
      home: config.home,
      telegram,
      ingress: new RestateIngress(restate.ingressUrl),
      log,
    });
    web.route("/", webhook.routes);
    web.route(
      "/",
      webPages({
        dags,
        runs,
        paused: (dagId) => apiState.isPaused(dagId),
        runNote: (dagId, runId) => apiState.run(dagId, runId)?.note ?? null,
        // Live mode: a run's tasks post to the real Telegram chat and write to the real Airtable base.
        confirm:
          config.mode === "live"
            ? () =>
                "poekhali runs in live mode: this run posts to the real Telegram chat and writes to the real Airtable base configured for it."
            : () => null,
        nav: { restateUi: `${restate.adminUrl}/ui/`, ...sandboxPages },
      }),
    );
    const port = await choosePort(config.port, config.host);
    const server = await new Promise<ServerType>((resolve, reject) => {
      const s = serve({ fetch: web.fetch, port, hostname: config.host }, () =>
        resolve(s),
      );
      // "address in use" is a failed start, not a crash after "poekhali is up".
      s.once("error", reject);
    });
    cleanups.push(
      () => new Promise((resolve) => server.close(() => resolve())),
    );
    await webhook.register(
      `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`,
    );

    function savePids() {
      writePids(config.home, {
        app: process.pid,
        watchdog: restate.watchdogPid,
        restate: restate.pid,
        worker: worker.pid,
      });
    }
    savePids();
    return {
      url: `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${port}`,
      restateAdminUrl: restate.adminUrl,
      sandbox: sandboxInfo,
      failed,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
