import { existsSync } from "node:fs";
// A worker's update poller in its own process, so a test can run several and SIGKILL one. With
// FREEZE_AFTER_HANDOVER=1 it freezes right after Restate accepted an update, before the offset moves past it,
// and says "HANDED <update id>": the moment to kill it.
import {
  RestateIngress,
  type IngressTarget,
  type Json,
  type SendAccepted,
} from "@poekhali/core";
import {
  INGESTED_UPDATES,
  POLL_LEASE_NAME,
  TelegramHook,
  UpdatePoller,
  WebhookSettings,
} from "@poekhali/telegram";

const env = process.env;

/** Set by SIGUSR2: the next long poll's answer stalls the process (see {@link StallingHook}). */
let stallNext = false;
process.on("SIGUSR2", () => (stallNext = true));

/**
 * The real hook; after SIGUSR2, the next long poll's answer stalls the event loop, as a long GC or a busy worker does,
 * until the file STALL_UNTIL_FILE exists. The stall sits between the answer and the poller's next step, so no timer
 * (the lease's expiry) can run before the poller decides whether to poll again.
 */
class StallingHook extends TelegramHook {
  override async getUpdates(
    ...args: Parameters<TelegramHook["getUpdates"]>
  ): ReturnType<TelegramHook["getUpdates"]> {
    const updates = await super.getUpdates(...args);
    if (stallNext) {
      stallNext = false;
      const flag = new Int32Array(new SharedArrayBuffer(4));
      while (!existsSync(env.STALL_UNTIL_FILE ?? ""))
        Atomics.wait(flag, 0, 0, 20);
    }
    return updates;
  }
}
const token = env.BOT_TOKEN ?? "";
const apiRoot = env.TELEGRAM_API_ROOT ?? "";

/** The real ingress; when asked, it never returns from a hand-over that Restate has accepted. */
class FreezingIngress extends RestateIngress {
  override async send(
    target: IngressTarget,
    payload: Json,
    options: { idempotencyKey?: string } = {},
  ): Promise<SendAccepted> {
    const accepted = await super.send(target, payload, options);
    // Asks for the poll lease are sent too; only hand-overs freeze.
    if (target.service === POLL_LEASE_NAME) return accepted;
    // A relayed batch (every update goes through the bot's relay) or, on the fallback, one update.
    const { updates } = payload as {
      updates?: { event: { update_id: number } }[];
    };
    const ids = updates
      ? updates.map((u) => u.event.update_id)
      : [(payload as { update_id: number }).update_id];
    for (const id of ids) process.stdout.write(`HANDED ${id}\n`);
    return new Promise<never>(() => undefined);
  }
}

const ingressUrl = env.INGRESS_URL ?? "";
const poller = new UpdatePoller({
  hook: new StallingHook({ token, apiRoot }),
  ingress:
    env.FREEZE_AFTER_HANDOVER === "1"
      ? new FreezingIngress(ingressUrl)
      : new RestateIngress(ingressUrl),
  webhook: new WebhookSettings({ token, apiRoot }),
  workerId: env.WORKER_ID ?? `worker-${process.pid}`,
  leaseMs: Number(env.LEASE_MS ?? "3000"),
  timeoutSeconds: Number(env.POLL_TIMEOUT_SECONDS ?? "5"),
  allowedUpdates: INGESTED_UPDATES,
  log: (line) => process.stdout.write(`${line}\n`),
});
poller.start();
process.stdout.write("READY\n");
process.on("SIGTERM", () => void poller.stop().finally(() => process.exit(0)));
