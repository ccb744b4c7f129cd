import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { INTERNAL_KEY_ENV, internalKeyProblem } from "@poekhali/core";
import { startSandbox } from "@poekhali/emulators";
import { INTERNAL_KEY_FILE, keptSecret } from "./api/auth/auth-secret.js";
import type { SandboxInfo } from "./api/rest-api.js";
import type {
  AirtableConfig,
  AppConfig,
  RestateUrls,
  TelegramConfig,
} from "./config.js";
import { stopLeftovers, writePids } from "./leftovers.js";
import { ConfigError } from "./errors.js";
import { rememberedPorts } from "./ports.js";
import { identityKey } from "./restate/identity-key.js";
import { RestateAdmin } from "./restate/restate-admin.js";
import {
  RestatePortTakenError,
  RestateServer,
} from "./restate/restate-server.js";
import { loadDagCode } from "./roles/dag-code.js";
import { deploymentOf, registerRole } from "./roles/register-role.js";
import { startWebRole } from "./roles/web-role.js";
import { requireIdentityKeys, requireWorkerUrl } from "./roles/worker-role.js";
import {
  WorkerPortTakenError,
  WorkerProcess,
} from "./worker/worker-process.js";
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

/**
 * Starts everything `npm start` runs, on one machine: emulators (sandbox), restate-server (unless RESTATE_ADMIN_URL
 * and RESTATE_INGRESS_URL name one run elsewhere), and the worker, register and web roles.
 */
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
  // A configured key too short to resist guessing stops `up` here, before anything starts, not in the worker.
  const weak = internalKeyProblem(process.env[INTERNAL_KEY_ENV]);
  if (weak)
    throw new ConfigError(
      INTERNAL_KEY_ENV,
      weak.slice(INTERNAL_KEY_ENV.length + 1),
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
    const { workerPort, telegramEmulatorPort, airtableEmulatorPort } =
      await rememberedPorts(
        config.home,
        {
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
    const code = await loadDagCode(config.dagsFolder, (line) =>
      log(`[app] ${line}`),
    );
    const { current } = code;

    let restate: RestateUrls;
    let admin: RestateAdmin;
    let embedded: RestateServer | undefined;
    // The embedded server signs its requests, and its worker serves nothing unsigned: no other local process can
    // drive the worker's handlers (start runs, press buttons) behind Restate's back.
    let ownKeys: string[] = [];
    let failed: Promise<Error>;
    if (config.externalRestate) {
      restate = config.externalRestate;
      admin = new RestateAdmin(restate.adminUrl);
      requireIdentityKeys(config.workerHost, config.identityKeys);
      requireWorkerUrl(config);
      await admin.reachable();
      // Someone else runs that Restate: it going away is a worker's retry, not this process's end.
      failed = new Promise<Error>(() => undefined);
      log(
        `[app] using the Restate at ${restate.adminUrl} (admin) and ${restate.ingressUrl} (ingress); starting none`,
      );
    } else {
      // Asked only for the embedded server: with an external Restate, the ones remembered for it stay as they are.
      const wanted = {
        ingressPort: config.restate.ingressPort,
        adminPort: config.restate.adminPort,
        nodePort: config.restate.nodePort,
      };
      const key = identityKey(config.home);
      ownKeys = [key.publicKey];
      let server: RestateServer | undefined;
      // Ports chosen free can be taken before restate-server binds them (by any program starting then): when every
      // one was chosen here, choose again.
      const chosen = Object.values(wanted).every((port) => port === 0);
      for (let attempt = 1; !server; attempt++) {
        const ports = await rememberedPorts(
          config.home,
          wanted,
          host,
          (name, from, to) =>
            log(`[app] WARNING: ${name} ${from} is taken, using ${to}.`),
        );
        try {
          server = await RestateServer.start({
            home: config.home,
            host,
            ...ports,
            identityKeyFile: key.privateKeyPemPath,
            log,
            settings: config.restate.settings,
          });
        } catch (error) {
          if (
            !(error instanceof RestatePortTakenError) ||
            !chosen ||
            attempt >= 3
          )
            throw error;
          log(`[app] WARNING: ${error.message}; choosing other ports`);
        }
      }
      cleanups.push(() => server.stop());
      embedded = server;
      restate = { adminUrl: server.adminUrl, ingressUrl: server.ingressUrl };
      admin = server;
      writePids(config.home, {
        app: process.pid,
        watchdog: server.watchdogPid,
        restate: server.pid,
      });
      failed = server.exited.then(
        (code) =>
          new Error(
            `restate-server stopped on its own (exit code ${code}); see ${join(config.home, "logs", "restate.log")}`,
          ),
      );
      void failed.then((error) => !stopping && log(`[app] ${error.message}`));
      log(
        `[app] restate-server: ingress ${server.ingressUrl}, admin ${server.adminUrl} (UI ${server.adminUrl}/ui/)`,
      );
    }

    const inFlight = await versionsInFlight(
      admin,
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
    const workerOn = (listenOn: number) =>
      new WorkerProcess({
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
          POEKHALI_WORKER_HOST: config.workerHost,
          POEKHALI_WORKER_PORT: String(listenOn),
          POEKHALI_DAG_VERSIONS: JSON.stringify([
            current,
            ...inFlight.versions,
          ]),
          RESTATE_ADMIN_URL: restate.adminUrl,
          RESTATE_INGRESS_URL: restate.ingressUrl,
          RESTATE_IDENTITY_KEYS: [...ownKeys, ...config.identityKeys].join(","),
          // The SDK logs every invocation at INFO; the UI's status polling alone would flood the terminal.
          RESTATE_LOGGING: process.env.RESTATE_LOGGING ?? "WARN",
        },
        log,
        onReady: async ({ deployments }) => {
          await registerRole({
            adminUrl: restate.adminUrl,
            deployment: config.workerUrl
              ? deploymentOf(config.workerUrl, current.hash)
              : (deployments[0] ?? ""),
            // One machine, in development: a provider upgrade under unchanged DAG files replaces the deployment.
            force: true,
            log,
          });
          ready = true;
          savePids();
        },
      });
    let port = workerPort;
    let worker = workerOn(port);
    cleanups.push(() => worker.stop());
    // A port chosen free can be taken before the worker binds it (by any program starting then): choose again.
    for (let attempt = 1; ; attempt++) {
      try {
        await worker.start();
        break;
      } catch (error) {
        if (
          !(error instanceof WorkerPortTakenError) ||
          config.workerPort !== 0 ||
          attempt >= 3
        )
          throw error;
        const { workerPort: next } = await rememberedPorts(
          config.home,
          { workerPort: 0 },
          host,
        );
        log(
          `[app] WARNING: the worker's port ${port} was taken as it started; using ${next}`,
        );
        port = next;
        worker = workerOn(port);
      }
    }

    const web = await startWebRole({
      config,
      restate,
      code,
      telegram,
      ...(sandboxInfo && sandboxPages
        ? { sandbox: { info: sandboxInfo, pages: sandboxPages } }
        : {}),
      ready: () => ready,
      log,
    });
    cleanups.push(() => web.stop());

    function savePids() {
      writePids(config.home, {
        app: process.pid,
        watchdog: embedded?.watchdogPid,
        restate: embedded?.pid,
        worker: worker.pid,
      });
    }
    savePids();
    return {
      url: web.url,
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
