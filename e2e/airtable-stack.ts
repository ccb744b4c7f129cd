import "@poekhali/core";
import * as restate from "@restatedev/restate-sdk";
import {
  StaticConnections,
  dagWorkflow,
  handlerTarget,
  type Dag,
} from "@poekhali/core";
import {
  AirtableHook,
  WRITER_NAME,
  airtableServices,
  type AirtableWriter,
  type AirtableWriterOptions,
  type WriterStatus,
} from "@poekhali/airtable";
import {
  AirtableEmulator,
  TG_ACTIONS_TABLE,
  type RateLimitOptions,
  type TableSchema,
} from "@poekhali/emulators";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { dagRunClient } from "./dag-run-client.js";

// A typed stand-in for the writer's definition: its handler names are checked against the writer's.
const Writer: AirtableWriter = { name: WRITER_NAME };

/** Where the Airtable side of a stack lives. */
export interface AirtableTarget {
  readonly endpointUrl: string;
  readonly token: string;
  readonly baseId: string;
}

/** Serves the DAGs and the Airtable services on an HTTP/2 endpoint; every log line goes to `log`. */
export async function serveWorker(
  target: AirtableTarget,
  dags: readonly Dag[],
  port: number,
  log: (line: string) => void,
  hook?: AirtableHook,
  writer: Omit<AirtableWriterOptions, "hookFor" | "log"> = {},
) {
  const connections = new StaticConnections([
    {
      connId: "airtable_default",
      connType: "airtable",
      host: target.endpointUrl,
      password: target.token,
      extra: { base_id: target.baseId, table: "tg_actions" },
    },
  ]);
  const theHook =
    hook ??
    new AirtableHook({
      token: target.token,
      baseId: target.baseId,
      endpointUrl: target.endpointUrl,
    });
  const services = [
    ...airtableServices({ hookFor: () => theHook, log, ...writer }),
    ...dags.map((d) =>
      dagWorkflow(d, {
        connections,
        log: (l) =>
          log(`${l.dagId}/${l.runId}/${l.taskId} ${l.level}: ${l.message}`),
      }),
    ),
  ];
  const logger = (
    meta: { level: string },
    message?: unknown,
    ...rest: unknown[]
  ) =>
    log(
      `[sdk ${meta.level}] ${[message, ...rest].map((m) => (m instanceof Error ? `${m.name}: ${m.message}` : String(m))).join(" ")}`,
    );
  return serveEndpoint(restate.createEndpointHandler({ services, logger }), {
    port,
  });
}

/** A restate-server, an Airtable emulator with the course's base, and helpers to run DAGs against them. */
export async function startAirtableStack(
  options: {
    rateLimit?: boolean | RateLimitOptions;
    scopes?: string[];
    tables?: TableSchema[];
  } = {},
) {
  const restateServer = await startTemporaryRestate("poekhali-airtable-");
  const { server, ingress } = restateServer;
  const airtable = await AirtableEmulator.start({
    rateLimit: options.rateLimit ?? false,
  });
  const base = airtable.createBase({
    name: "airflow101",
    tables: options.tables ?? [TG_ACTIONS_TABLE],
  });
  const scopes = options.scopes ?? [
    "data.records:read",
    "data.records:write",
    "schema.bases:read",
  ];
  const target: AirtableTarget = {
    endpointUrl: airtable.endpointUrl,
    token: airtable.createToken({ scopes, bases: [base.id] }),
    baseId: base.id,
  };
  const logs: string[] = [];

  return {
    server,
    airtable,
    target,
    ingress,
    logs,
    ...dagRunClient(() => ingress),
    writer: () =>
      ingress.call<WriterStatus>(handlerTarget(Writer, "stats", base.id)),
    rows: () => airtable.records(base.id, "tg_actions"),
    /** Every request the emulator answered for the base, with its status. */
    calls: () => airtable.calls(base.id),
    async stop() {
      await airtable.close();
      await restateServer.stop();
    },
  };
}

/** A stack of {@link startAirtableStack}. */
export type AirtableStack = Awaited<ReturnType<typeof startAirtableStack>>;
