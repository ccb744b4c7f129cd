import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { RestateIngress } from "@poekhali/core";
import { ApiState } from "../api/api-state.js";
import { importApiStateFile } from "../api/api-state-file.js";
import { authSecret } from "../api/auth/auth-secret.js";
import { SimpleAuth } from "../api/auth/simple-auth.js";
import { DagRuns } from "../api/dag-runs.js";
import { EventLog } from "../api/event-log.js";
import { gate } from "../api/gate.js";
import { restApi, type SandboxInfo } from "../api/rest-api.js";
import { WEBHOOK_PATH, telegramWebhook } from "../api/telegram-webhook.js";
import { Variables } from "../api/variables.js";
import type { AppConfig, RestateUrls, TelegramConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { choosePort } from "../ports.js";
import { RestateAdmin } from "../restate/restate-admin.js";
import { webPages } from "../web/pages.js";
import type { DagCode } from "./dag-code.js";

/** What the web role serves and talks to. */
export interface WebRoleOptions {
  readonly config: AppConfig;
  readonly restate: RestateUrls;
  readonly code: DagCode;
  /** The bot whose webhook this tier takes (TELEGRAM_UPDATES=webhook); not needed when a worker polls. */
  readonly telegram: TelegramConfig | undefined;
  /** `up`'s sandbox: its emulators' settings and pages. */
  readonly sandbox?: {
    readonly info: SandboxInfo;
    readonly pages: {
      readonly sandboxChat: string;
      readonly sandboxTable: string;
    };
  };
  /** Whether the current DAG code is registered, for `/healthz`; always, when another process registers it. */
  readonly ready: () => boolean;
  readonly log: (line: string) => void;
}

/** A running web tier. */
export interface WebRole {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * The web role (`poekhali web`, and the web tier of `poekhali up`): the UI, the REST API and the Telegram webhook on
 * POEKHALI_HOST:POEKHALI_PORT, talking to Restate's ingress and admin API.
 *
 * @example
 * const web = await startWebRole({ config, restate, code: await loadDagCode(config.dagsFolder, log), telegram: config.telegram, ready: () => true, log });
 */
export async function startWebRole(options: WebRoleOptions): Promise<WebRole> {
  const { config, restate, code, log } = options;
  const admin = new RestateAdmin(restate.adminUrl);
  const ingress = new RestateIngress(restate.ingressUrl);
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
  const runs = new DagRuns(ingress, admin);
  const apiState = new ApiState(restate.ingressUrl, admin, { log });
  // Before this instance serves anything: a key the workers refuse would fail every pause, note and trigger record,
  // so such an instance does not start (waiting while no deployment serves the objects yet).
  await apiState.checkKey(log);
  // Then a DAG the old file kept paused is paused in Restate before any trigger.
  await importApiStateFile(config.home, apiState, log);
  web.route(
    "/",
    restApi({
      dags: code.dags,
      runs,
      ready: options.ready,
      state: apiState,
      source: { folder: config.dagsFolder, files: code.files },
      importErrors: code.errors,
      variables: new Variables(restate.ingressUrl, admin),
      eventLog: new EventLog(restate.ingressUrl, admin, log),
      ...(options.sandbox ? { sandbox: options.sandbox.info } : {}),
    }),
  );
  let webhook: ReturnType<typeof telegramWebhook> | undefined;
  if (options.telegram) {
    webhook = telegramWebhook({
      updates: config.updates,
      live: config.mode === "live",
      home: config.home,
      telegram: options.telegram,
      ingress,
      log,
    });
    web.route("/", webhook.routes);
  } else if (config.updates.mode === "webhook") {
    throw new ConfigError(
      "TELEGRAM_BOT_TOKEN",
      "is required with TELEGRAM_UPDATES=webhook: the web tier takes the bot's updates and sets its webhook",
    );
  }
  web.route(
    "/",
    webPages({
      dags: code.dags,
      runs,
      paused: (dagIds) => apiState.pausedOf(dagIds),
      runNote: async (dagId, runId) =>
        (await apiState.run(dagId, runId))?.note ?? null,
      // Live mode: a run's tasks post to the real Telegram chat and write to the real Airtable base.
      confirm:
        config.mode === "live"
          ? () =>
              "poekhali runs in live mode: this run posts to the real Telegram chat and writes to the real Airtable base configured for it."
          : () => null,
      nav: { restateUi: `${restate.adminUrl}/ui/`, ...options.sandbox?.pages },
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
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      // A browser's or client's keep-alive connection would hold the close open until it times out.
      if ("closeAllConnections" in server) server.closeAllConnections();
    });
  const address = server.address();
  const bound = typeof address === "object" && address ? address.port : port;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${bound}`;
  try {
    await webhook?.register(url);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
