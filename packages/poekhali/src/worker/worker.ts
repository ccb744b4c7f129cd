import "@poekhali/core";
import { hostname } from "node:os";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import type { EndpointOptions } from "@restatedev/restate-sdk";
import {
  RestateIngress,
  airflowHitl,
  dagWorkflow,
  internalKey,
  internalKeyProblem,
  type Dag,
  type TaskLogLine,
} from "@poekhali/core";
import {
  INGESTED_UPDATES,
  TelegramHook,
  UpdatePoller,
  WebhookSettings,
  pollLease,
  updateRelay,
  telegramMessages,
  telegramRouter,
  telegramHitl,
} from "@poekhali/telegram";
import { AirtableHook, airtableServices } from "@poekhali/airtable";
import { airflowVariable, airflowXCom } from "@poekhali/core/airflow";
import type { AirtableConfig, TelegramConfig } from "../config.js";
import { versionPath } from "../versions/dag-versions.js";
import { connectionsFrom } from "./connections.js";
import { serveEndpoint } from "./serve-endpoint.js";
import { RestateAdmin } from "../restate/restate-admin.js";
import { runRestarts } from "./run-restarts.js";
import { eventLogObject } from "@poekhali/core";
import { restateVariableStore } from "./variable-store.js";
import { restateXComStore } from "./xcom-store.js";
import { ingressRunStarter } from "./run-starter.js";
import { OWN_SERVICE_NAMES } from "../own-services.js";
import { dagStateObject } from "../api-state/dag-state-object.js";
import { runRecordObject } from "../api-state/run-record-object.js";
import type { RestateDefinition } from "../restate-definition.js";
import { versionRoute } from "./version-route.js";
import { ingressGated } from "./ingress-gated.js";
import { LEASE_NONCE_ENV } from "./worker-process-env.js";

/** One version of the DAG code a worker serves, under `/v/<hash>`. */
export interface ServedVersion {
  readonly hash: string;
  readonly dags: readonly Dag[];
  /** The Restate services this version's DAG files export (see `loadDags`), served beside its DAGs. */
  readonly services?: readonly RestateDefinition[];
}

/** What a worker serves and talks to. */
export interface WorkerOptions {
  /** The current version first, then earlier ones that still have runs pinned to them. */
  readonly versions: readonly ServedVersion[];
  readonly telegram: TelegramConfig;
  readonly airtable: AirtableConfig;
  readonly ingressUrl: string;
  /** restate-server's admin API: a cleared run is purged there and started again. */
  readonly adminUrl: string;
  readonly host: string;
  readonly port: number;
  readonly log: (line: string) => void;
  /** More Restate services to serve beside the DAGs (benchmarks serve their baselines this way). */
  readonly extraServices?: EndpointOptions["services"];
  /** TELEGRAM_UPDATES: `webhook` means the app receives updates, and this worker does not poll. */
  readonly updates?: "poll" | "webhook";
  /** Restate's request-identity public keys (`publickeyv1_…`): when given, only requests signed with one are served. */
  readonly identityKeys?: readonly string[];
}

/** A running worker: the Restate endpoint (HTTP/2 cleartext) and the bot's update poller. */
export interface Worker {
  readonly url: string;
  /** The deployment URI of each served version, current first. */
  readonly deployments: readonly string[];
  stop(): Promise<void>;
}

/** Serves every DAG's workflow, the DAG files' own services, the Telegram router, the HITL requests object and its Telegram channel, and polls the bot's updates into Restate. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  // Restate's ingress answers every origin's CORS preflight: poekhali's handlers take only signed requests through it.
  const key = internalKey();
  const problem = internalKeyProblem(key);
  if (problem || !key)
    throw new Error(
      `${problem}: the worker's handlers take only requests signed with it through Restate's ingress`,
    );
  const connections = connectionsFrom(options.telegram, options.airtable);
  const hook = TelegramHook.fromConnection(connections.get("telegram_default"));
  const taskLog = (line: TaskLogLine) =>
    options.log(
      `${line.dagId}/${line.runId}/${line.taskId}#${line.tryNumber} ${line.level}: ${line.message}`,
    );
  const hookFor = (botId: number) => {
    if (botId !== hook.botId) throw new Error(`no connection for bot ${botId}`);
    return hook;
  };
  const shared = [
    telegramRouter({
      hookFor,
      log: (m) => options.log(`telegram router: ${m}`),
    }),
    pollLease,
    updateRelay({
      hookFor,
      log: (m) => options.log(`telegram updates: ${m}`),
    }),
    telegramMessages({
      hookFor,
      log: (m) => options.log(`telegram messages: ${m}`),
    }),
    telegramHitl({
      hookFor,
      log: (m) => options.log(`telegram hitl: ${m}`),
    }),
    runRestarts({
      admin: new RestateAdmin(options.adminUrl),
      ingress: new RestateIngress(options.ingressUrl),
    }),
    ...airtableWriterServices(
      AirtableHook.fromConnection(connections.get("airtable_default")),
      options.log,
    ),
    airflowXCom,
    airflowVariable,
    airflowHitl,
    eventLogObject,
    dagStateObject,
    runRecordObject,
  ];
  // The DAG loader refuses DAG files' services named like these: a service of ours missing from the list would let
  // a DAG file's service of the same name replace it without a word.
  const unlisted = shared.filter((s) => !OWN_SERVICE_NAMES.has(s.name));
  if (unlisted.length > 0)
    throw new Error(
      `OWN_SERVICE_NAMES lacks ${unlisted.map((s) => s.name).join(", ")}`,
    );
  const gatedShared = shared.map((s) => ingressGated(s, key));
  const xcomStore = restateXComStore(options.ingressUrl);
  const runs = ingressRunStarter(options.ingressUrl);
  const variableStore = restateVariableStore(options.ingressUrl);
  // One endpoint per version: Restate pins each run to the deployment (URI) it started on, and the SDK matches
  // request paths by their ending, so `/v/<hash>/invoke/...` reaches the code of that version.
  const endpoints = new Map(
    options.versions.map((v) => [
      v.hash,
      createEndpointHandler({
        services: [
          ...v.dags.map((d) =>
            ingressGated(
              dagWorkflow(d, {
                connections,
                log: taskLog,
                xcomStore,
                variableStore,
                runs,
              }),
              key,
            ),
          ),
          ...gatedShared,
          // A DAG file's own services and the extra ones are not gated: their handlers are meant to be called from
          // outside (a user's doorbell, a benchmark's baseline), and guard themselves.
          // Definitions a DAG file made with its own copy of the SDK have the same shape; the endpoint reads only it.
          ...((v.services ?? []) as EndpointOptions["services"]),
          ...(options.extraServices ?? []),
        ],
        // Unsigned requests are refused with 401 before any handler runs.
        ...(options.identityKeys?.length
          ? { identityKeys: [...options.identityKeys] }
          : {}),
      }),
    ]),
  );
  const current = options.versions[0];
  if (!current)
    throw new Error("a worker needs at least one version of the DAGs to serve");
  const served = await serveEndpoint(
    (req, res) => {
      const { hash, endpoint } = versionRoute(req.url, endpoints, current.hash);
      if (endpoint) return endpoint(req, res);
      res
        .writeHead(404, { "content-type": "text/plain" })
        .end(`this worker does not serve DAG code version ${hash}`);
    },
    { host: options.host, port: options.port },
  );
  // One poller per bot across workers. The poller holds the bot's lease as this readable name and a nonce of its own,
  // so that two live processes under one name (a pod's old copy, replicas with a fixed hostname) never both poll.
  const poller =
    options.updates === "webhook"
      ? undefined
      : new UpdatePoller({
          hook,
          ingress: new RestateIngress(options.ingressUrl),
          webhook: WebhookSettings.fromConnection(
            connections.get("telegram_default"),
          ),
          workerId: `${hostname()}:${new URL(served.url).port}`,
          // Set by `poekhali up` for the worker it restarts after the last one exited: the same holder, at once.
          ...(process.env[LEASE_NONCE_ENV]
            ? { leaseNonce: process.env[LEASE_NONCE_ENV] }
            : {}),
          allowedUpdates: INGESTED_UPDATES,
          log: (m) => options.log(`telegram poller: ${m}`),
        });
  poller?.start();
  const { url } = served;
  return {
    url,
    deployments: options.versions.map((v) => `${url}${versionPath(v.hash)}`),
    async stop() {
      await poller?.stop();
      await served.stop();
    },
  };
}

/** The Airtable writer and record watch, for the one base of the `airtable_default` connection. */
function airtableWriterServices(
  hook: AirtableHook,
  log: (line: string) => void,
) {
  return airtableServices({
    hookFor: (baseId) => {
      if (baseId !== hook.baseId)
        throw new Error(`no connection for Airtable base ${baseId}`);
      return hook;
    },
    log: (m) => log(`airtable writer: ${m}`),
  });
}
