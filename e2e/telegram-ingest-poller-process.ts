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
  hook: new TelegramHook({ token, apiRoot }),
  ingress:
    env.FREEZE_AFTER_HANDOVER === "1"
      ? new FreezingIngress(ingressUrl)
      : new RestateIngress(ingressUrl),
  webhook: new WebhookSettings({ token, apiRoot }),
  workerId: env.WORKER_ID ?? `worker-${process.pid}`,
  leaseMs: Number(env.LEASE_MS ?? "3000"),
  timeoutSeconds: 5,
  allowedUpdates: INGESTED_UPDATES,
  log: (line) => process.stdout.write(`${line}\n`),
});
poller.start();
process.stdout.write("READY\n");
process.on("SIGTERM", () => void poller.stop().finally(() => process.exit(0)));
