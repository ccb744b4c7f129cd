import { randomBytes } from "node:crypto";
import { INTERNAL_KEY_ENV, type Dag } from "@poekhali/core";
import type { SandboxInfo } from "@poekhali/emulators";
import { choosePort } from "../packages/poekhali/src/ports.js";
import {
  startWorker,
  type WorkerOptions,
} from "../packages/poekhali/src/worker/worker.js";

/** A worker serving these DAGs against the sandbox's emulators and this restate-server, on a free port; quiet unless given a log; polling Telegram unless `updates` is `webhook`. */
export async function sandboxWorker(
  info: SandboxInfo,
  server: { readonly ingressUrl: string; readonly adminUrl: string },
  dags: Dag[],
  extraServices?: WorkerOptions["extraServices"],
  log: (line: string) => void = () => undefined,
  updates: WorkerOptions["updates"] = "poll",
) {
  const { telegram, airtable } = info;
  // The worker takes only signed requests through the ingress; this process's RestateIngress signs with the same key.
  process.env[INTERNAL_KEY_ENV] ??= randomBytes(32).toString("base64url");
  return startWorker({
    versions: [{ hash: "000000000001", dags }],
    telegram: {
      token: telegram.token,
      chatId: telegram.chat_id,
      apiRoot: telegram.api_root,
    },
    airtable: {
      token: airtable.token,
      baseId: airtable.base_id,
      table: airtable.table,
      endpointUrl: airtable.endpoint_url,
    },
    ingressUrl: server.ingressUrl,
    adminUrl: server.adminUrl,
    host: "127.0.0.1",
    port: await choosePort(0),
    log,
    updates,
    ...(extraServices ? { extraServices } : {}),
  });
}
