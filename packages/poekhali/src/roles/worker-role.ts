import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { isLoopback, type AppConfig, type RestateUrls } from "../config.js";
import { loadDags } from "../dag-loader.js";
import { ConfigError } from "../errors.js";
import { IDENTITY_KEYS_ENV } from "../restate/identity-key.js";
import { RestateAdmin } from "../restate/restate-admin.js";
import { snapshotDags, type DagVersion } from "../versions/dag-versions.js";
import { versionsInFlight } from "../versions/versions-in-flight.js";
import {
  startWorker,
  type ServedVersion,
  type Worker,
} from "../worker/worker.js";

/** What a worker role needs besides the environment's settings. */
export interface WorkerRoleOptions {
  readonly config: AppConfig;
  readonly restate: RestateUrls;
  /** The versions to serve, current first; by default the DAGs folder as it is now and every version runs are pinned to. */
  readonly versions?: readonly DagVersion[];
  /** Extends `config.identityKeys` (the embedded server's own key, which `up` makes). */
  readonly identityKeys?: readonly string[];
  readonly log: (line: string) => void;
}

/**
 * Refuses a worker bound beyond loopback that would serve anyone who reaches it: without Restate's request signing,
 * any caller could run its handlers (start runs, press buttons, write rows).
 */
export function requireIdentityKeys(
  host: string,
  identityKeys: readonly string[],
): void {
  if (!isLoopback(host) && identityKeys.length === 0)
    throw new ConfigError(
      IDENTITY_KEYS_ENV,
      `is required when POEKHALI_WORKER_HOST (${host}) is not a loopback address: the public key(s) (publickeyv1_…) ` +
        "of the Restate servers' request-identity keys, so that the worker serves only them",
    );
}

/** Whether a bind address listens on every interface (0.0.0.0, ::): no address Restate could call it back at. */
export function isWildcard(host: string): boolean {
  return ["0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0"].includes(host);
}

/**
 * Refuses a worker bound to a wildcard address that an external Restate should register: it would be told to call
 * http://0.0.0.0:9080, which reaches nothing from another machine.
 */
export function requireWorkerUrl(config: AppConfig): void {
  if (
    config.externalRestate &&
    isWildcard(config.workerHost) &&
    !config.workerUrl
  )
    throw new ConfigError(
      "POEKHALI_WORKER_URL",
      `is required when POEKHALI_WORKER_HOST (${config.workerHost}) is a wildcard address and Restate runs elsewhere ` +
        "(RESTATE_ADMIN_URL): the address the Restate server reaches the worker(s) at, e.g. http://worker.internal:9080",
    );
}

/**
 * The worker role (`poekhali worker`, and the worker process of `poekhali up`): serves the Restate endpoint for the
 * current DAG code and every version runs still wait on, and polls Telegram unless TELEGRAM_UPDATES=webhook. It keeps
 * nothing on disk but the DAG snapshots, so any number of them can serve one deployment URL.
 *
 * @example
 * const worker = await startWorkerRole({ config: resolveConfig(), restate: config.externalRestate!, log: console.error });
 */
export async function startWorkerRole(
  options: WorkerRoleOptions,
): Promise<Worker> {
  const { config, restate, log } = options;
  if (!config.telegram || !config.airtable)
    throw new ConfigError(
      "TELEGRAM_BOT_TOKEN",
      "is required by the worker, with TELEGRAM_CHAT_ID, AIRTABLE_TOKEN and AIRTABLE_BASE_ID (the emulators' settings will do)",
    );
  if (!process.env[INTERNAL_KEY_ENV])
    throw new ConfigError(
      INTERNAL_KEY_ENV,
      "is required by the worker: the same value on every worker and web instance (the web tier signs its calls with it)",
    );
  const identityKeys = [
    ...(options.identityKeys ?? []),
    ...config.identityKeys,
  ];
  requireIdentityKeys(config.workerHost, identityKeys);
  let wanted = options.versions;
  if (!wanted) {
    const admin = new RestateAdmin(restate.adminUrl);
    await admin.reachable();
    const current = snapshotDags(config.dagsFolder);
    const inFlight = await versionsInFlight(
      admin,
      config.dagsFolder,
      current.hash,
    );
    for (const v of inFlight.lost)
      log(
        `${v.runs} run(s) are pinned to DAG code version ${v.hash}, whose copy is not on this machine: this worker cannot resume them`,
      );
    wanted = [current, ...inFlight.versions];
  }
  const versions: ServedVersion[] = [];
  for (const version of wanted) {
    const { dags, services, errors } = await loadDags(version.folder);
    for (const e of errors) log(`could not load ${e.path}: ${e.error}`);
    versions.push({
      hash: version.hash,
      dags: [...dags.values()],
      services: [...services.values()],
    });
  }
  return startWorker({
    versions,
    telegram: config.telegram,
    airtable: config.airtable,
    ingressUrl: restate.ingressUrl,
    adminUrl: restate.adminUrl,
    host: config.workerHost,
    port: config.workerPort,
    updates: config.updates.mode,
    identityKeys,
    log,
  }).catch((error: unknown) => {
    // A host name that does not resolve, or an address this machine does not have: name the setting, not errno.
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (
      code === "EADDRNOTAVAIL" ||
      code === "ENOTFOUND" ||
      code === "EAI_AGAIN"
    )
      throw new ConfigError(
        "POEKHALI_WORKER_HOST",
        `(${config.workerHost}) is not an address of this machine (${code}): bind 127.0.0.1, 0.0.0.0 or one of its own addresses`,
      );
    throw error;
  });
}
