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
import { choosePort } from "../packages/poekhali/src/ports.js";
import { startTemporaryRestate } from "../packages/poekhali/src/restate/temporary-restate.js";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { dagRunClient } from "./dag-run-client.js";
import { eventually } from "./harness.js";

// A typed stand-in for the writer's definition: its handler names are checked against the writer's.
const Writer: AirtableWriter = { name: WRITER_NAME };

/** Where the Airtable side of a stack lives. */
export interface AirtableTarget {
  readonly endpointUrl: string;
  readonly token: string;
  readonly baseId: string;
}

/** The writer's options a test may set (the hook and the log are the stack's). */
export type WriterSettings = Omit<AirtableWriterOptions, "hookFor" | "log">;

/** The connection `airtable_default` to the base of `target`, as the DAGs' operators look it up. */
export function airtableConnections(target: AirtableTarget): StaticConnections {
  return new StaticConnections([
    {
      connId: "airtable_default",
      connType: "airtable",
      host: target.endpointUrl,
      password: target.token,
      extra: { base_id: target.baseId, table: "tg_actions" },
    },
  ]);
}

/** Serves the DAGs and the Airtable services on an HTTP/2 endpoint; every log line goes to `log`. */
export async function serveWorker(
  target: AirtableTarget,
  dags: readonly Dag[],
  port: number,
  log: (line: string) => void,
  hook?: AirtableHook,
  writer: WriterSettings = {},
) {
  const connections = airtableConnections(target);
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

/** How {@link startAirtableStack} sets the emulator up. */
export interface AirtableStackOptions {
  /** Airtable's limit of 5 requests/s per base, enforced by the emulator (off by default). */
  readonly rateLimit?: boolean | RateLimitOptions;
  /** The token's scopes (read, write and schema read by default). */
  readonly scopes?: string[];
  /** The base's tables (tg_actions by default). */
  readonly tables?: TableSchema[];
}

/** A restate-server, an Airtable emulator with the course's base, and helpers to run DAGs against them. */
export async function startAirtableStack(options: AirtableStackOptions = {}) {
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
    /** The writer's stats once it has counted at least `rows` rows (it stores a round's answers after the round). */
    counted: (rows: number, ms = 60_000) =>
      eventually(
        "the writer to count every row",
        async () => {
          const status = await ingress.call<WriterStatus>(
            handlerTarget(Writer, "stats", base.id),
          );
          return status.stats.rows >= rows ? status : undefined;
        },
        ms,
      ),
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

/** A stack of {@link startAirtableWorkerStack}: the stack, its registered worker, and `stop` for both. */
export interface AirtableWorkerStack {
  readonly stack: AirtableStack;
  readonly worker: Awaited<ReturnType<typeof serveWorker>>;
  readonly stop: () => Promise<void>;
}

/**
 * A stack of {@link startAirtableStack} with a worker serving `dags` and the Airtable services, registered on its
 * restate-server, every log line in `stack.logs`; `stop` ends the worker, then the stack.
 */
export async function startAirtableWorkerStack(
  dags: readonly Dag[],
  options: AirtableStackOptions & {
    /** The hook the writer uses, made for the stack's base (a plain hook on it by default). */
    readonly hook?: (target: AirtableTarget) => AirtableHook;
    /** The writer's options. */
    readonly writer?: WriterSettings;
    /** What the worker is told of Airtable instead of the stack's own (e.g. a mistyped token). */
    readonly workerTarget?: Partial<AirtableTarget>;
  } = {},
): Promise<AirtableWorkerStack> {
  const stack = await startAirtableStack(options);
  let worker: AirtableWorkerStack["worker"] | undefined;
  try {
    worker = await serveWorker(
      { ...stack.target, ...options.workerTarget },
      dags,
      await choosePort(0),
      (line) => stack.logs.push(line),
      options.hook?.(stack.target),
      options.writer,
    );
    await stack.server.register(worker.url);
    const served = worker;
    return {
      stack,
      worker: served,
      stop: async () => (await served.stop(), await stack.stop()),
    };
  } catch (error) {
    // Nothing left running when the worker could not be served or registered.
    await worker?.stop();
    await stack.stop();
    throw error;
  }
}
