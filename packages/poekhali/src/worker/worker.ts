import "@poekhali/core";
import { createServer, type Http2Server, type ServerHttp2Session } from "node:http2";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { RestateIngress, dagWorkflow, type Dag, type TaskLogLine } from "@poekhali/core";
import { TelegramHook, UpdatePoller, telegramRouter } from "@poekhali/telegram";
import { AirtableHook, airtableServices } from "@poekhali/airtable";
import type { AirtableConfig, TelegramConfig } from "../config.js";
import { connectionsFrom } from "./connections.js";

/** What a worker serves and talks to. */
export interface WorkerOptions {
  readonly dags: Iterable<Dag>;
  readonly telegram: TelegramConfig;
  readonly airtable: AirtableConfig;
  readonly ingressUrl: string;
  readonly host: string;
  readonly port: number;
  readonly log: (line: string) => void;
}

/** A running worker: the Restate endpoint (HTTP/2 cleartext) and the bot's update poller. */
export interface Worker {
  readonly url: string;
  stop(): Promise<void>;
}

/** Serves every DAG's workflow and the Telegram router, and polls the bot's updates into Restate. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const connections = connectionsFrom(options.telegram, options.airtable);
  const hook = TelegramHook.fromConnection(connections.get("telegram_default"));
  const taskLog = (line: TaskLogLine) =>
    options.log(`${line.dagId}/${line.runId}/${line.taskId}#${line.tryNumber} ${line.level}: ${line.message}`);
  const services = [
    ...[...options.dags].map((d) => dagWorkflow(d, { connections, log: taskLog })),
    telegramRouter({
      hookFor: (botId) => {
        if (botId !== hook.botId) throw new Error(`no connection for bot ${botId}`);
        return hook;
      },
      log: (m) => options.log(`telegram router: ${m}`),
    }),
    ...airtableWriterServices(AirtableHook.fromConnection(connections.get("airtable_default")), options.log),
  ];
  const server: Http2Server = createServer(createEndpointHandler({ services }));
  const sessions = new Set<ServerHttp2Session>();
  server.on("session", (session: ServerHttp2Session) => {
    sessions.add(session);
    session.once("close", () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, resolve);
  });
  const poller = new UpdatePoller({ hook, ingress: new RestateIngress(options.ingressUrl), log: (m) => options.log(`telegram poller: ${m}`) });
  poller.start();
  return {
    url: `http://${options.host}:${options.port}`,
    async stop() {
      await poller.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Restate keeps its HTTP/2 session open; everything is journaled, so cutting it loses nothing.
      for (const session of sessions) session.destroy();
      await closed;
    },
  };
}

/** The Airtable writer and record watch, for the one base of the `airtable_default` connection. */
function airtableWriterServices(hook: AirtableHook, log: (line: string) => void) {
  return airtableServices({
    hookFor: (baseId) => {
      if (baseId !== hook.baseId) throw new Error(`no connection for Airtable base ${baseId}`);
      return hook;
    },
    log: (m) => log(`airtable writer: ${m}`),
  });
}
