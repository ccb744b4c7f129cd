// The Restate endpoint of bench:press-desk in a process of its own, so that its CPU is measured apart from
// restate-server's and the bench's (which holds the emulator): today's relay and router, the desk, the waiting
// workflow, and the poll loop. Its parent passes what to talk to in PRESS_DESK_WORKER (JSON), gets
// `{ type: "ready", url }` over IPC once it serves, then sends `{ type: "poll" }` to start polling.
import "@poekhali/core";
import { RestateIngress } from "@poekhali/core";
import { createEndpointHandler } from "@restatedev/restate-sdk";
import { TelegramHook, telegramRouter, updateRelay } from "@poekhali/telegram";
import { choosePort } from "../packages/poekhali/src/ports.js";
import { serveEndpoint } from "../packages/poekhali/src/worker/serve-endpoint.js";
import { startCpuProfile } from "./cpu-profile.js";
import { pressDesk } from "./press-desk-object.js";
import { pollPresses } from "./press-desk-poller.js";
import { pressWait, type Side } from "./press-desk-wait.js";

const config = JSON.parse(process.env.PRESS_DESK_WORKER ?? "{}") as {
  token: string;
  apiRoot: string;
  ingressUrl: string;
  side: Side;
  shards: number;
  batch: number;
  /** Where to write a CPU profile of the burst (from the first poll until asked to stop); none unless given. */
  profile?: string;
};
const hook = new TelegramHook({ token: config.token, apiRoot: config.apiRoot });
const hookFor = () => hook;
// What goes wrong is worth seeing; an answer past Telegram's window is counted by the bench itself.
const log = (line: string) => {
  if (/query is too old/.test(line)) return;
  process.stderr.write(`[worker] ${line}\n`);
};
const endpoint = await serveEndpoint(
  createEndpointHandler({
    services: [
      updateRelay({ hookFor, log }),
      telegramRouter({ hookFor, log }),
      pressDesk({ hookFor, shards: config.shards, log }),
      pressWait,
    ],
  }),
  { port: await choosePort(0) },
);
const stopPolling = new AbortController();
let polling: Promise<void> | undefined;
let profile: Promise<{ stop(file: string): Promise<void> }> | undefined;
process.on("message", (m: { type?: string }) => {
  if (m.type !== "profile-stop") return;
  void (async () => {
    if (profile && config.profile) await (await profile).stop(config.profile);
    process.send?.({ type: "profile-stopped" });
  })();
});
process.on("message", (m: { type?: string }) => {
  if (m.type !== "poll") return;
  if (config.profile) profile ??= startCpuProfile();
  polling ??= pollPresses({
    side: config.side,
    hook,
    token: config.token,
    ingress: new RestateIngress(config.ingressUrl),
    shards: config.shards,
    batch: config.batch,
    signal: stopPolling.signal,
    log,
  });
  process.send?.({ type: "polling" });
});
process.send?.({ type: "ready", url: endpoint.url });
process.on("SIGTERM", () => {
  stopPolling.abort();
  void Promise.resolve(polling)
    .then(() => endpoint.stop())
    .finally(() => process.exit(0));
});
process.on("disconnect", () => process.exit(1));
