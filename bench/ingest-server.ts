// One side of bench:ingest in a process of its own, so that its CPU per update is its own: `ours` (the app's front
// door and webhook route, as `poekhali up` mounts them) or `bare` (node:http, parse, one idempotent send to Restate's
// ingress, answer). Prints one JSON line {"url": ...} when it listens; `GET /cpu` answers its CPU time so far (µs).
import "@poekhali/core";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getRequestListener } from "@hono/node-server";
import { Hono } from "hono";
import { RestateIngress } from "@poekhali/core";
import { updateIdempotencyKey } from "@poekhali/telegram";
import { SimpleAuth } from "../packages/poekhali/src/api/auth/simple-auth.js";
import { gate } from "../packages/poekhali/src/api/gate.js";
import {
  WEBHOOK_PATH,
  telegramWebhook,
} from "../packages/poekhali/src/api/telegram-webhook.js";

const { values } = parseArgs({
  options: {
    side: { type: "string" },
    ingress: { type: "string" },
    token: { type: "string" },
    "api-root": { type: "string" },
    secret: { type: "string" },
  },
});
const ingressUrl = values.ingress ?? "";
const token = values.token ?? "";
const botId = Number(token.split(":")[0]);
const home = mkdtempSync(join(tmpdir(), "poekhali-bench-ingest-"));

const cpu = (req: IncomingMessage) => {
  if (req.method !== "GET" || req.url !== "/cpu") return null;
  const used = process.cpuUsage();
  return JSON.stringify({ us: used.user + used.system });
};

let server: Server;
if (values.side === "ours") {
  const app = new Hono();
  app.route(
    "/",
    gate({
      bindHost: "127.0.0.1",
      allowedHosts: [],
      auth: new SimpleAuth({
        username: "admin",
        password: undefined,
        secret: "bench-ingest-auth-secret-of-32-characters",
      }),
      ownSecretPaths: [WEBHOOK_PATH],
    }),
  );
  app.route(
    "/",
    telegramWebhook({
      updates: {
        mode: "webhook",
        webhookUrl: undefined,
        webhookSecret: values.secret,
      },
      live: false,
      home,
      telegram: { token, chatId: "0", apiRoot: values["api-root"] ?? "" },
      ingress: new RestateIngress(ingressUrl),
      log: (line) => console.error(line),
    }).routes,
  );
  // As @hono/node-server's serve() does for the app.
  const listener = getRequestListener(app.fetch);
  server = createServer((req, res) => {
    const used = cpu(req);
    if (used) res.writeHead(200).end(used);
    else void listener(req, res);
  });
} else {
  server = createServer((req, res) => {
    const used = cpu(req);
    if (used) return void res.writeHead(200).end(used);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const update = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
        update_id: number;
        callback_query: {
          message: { chat: { id: number }; message_id: number };
        };
      };
      const { message } = update.callback_query;
      // The key the router would have for this press: the same inbox, the same idempotency key.
      const key = `${botId}:${message.chat.id}:m${message.message_id}`;
      fetch(
        `${ingressUrl}/telegram_router/${encodeURIComponent(key)}/press/send`,
        {
          method: "POST",
          headers: {
            "content-type": "application/json",
            "idempotency-key": updateIdempotencyKey(botId, update.update_id),
          },
          body: JSON.stringify(update),
        },
      ).then(
        async (answer) => {
          await answer.arrayBuffer();
          res.writeHead(answer.ok ? 200 : 503).end();
        },
        () => res.writeHead(503).end(),
      );
    });
  });
}
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
console.log(
  JSON.stringify({
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  }),
);
const stop = () =>
  server.close(() => {
    rmSync(home, { recursive: true, force: true });
    process.exit(0);
  });
process.once("SIGTERM", stop);
process.once("SIGINT", stop);
