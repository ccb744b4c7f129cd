// bench:parked --poller-process: the bot's UpdatePoller in a process of its own (the worker then does not poll), to
// measure what a poller costs when it does not share its event loop with the worker's handlers. Its parent passes
// what to talk to in PARKED_POLLER (JSON); it polls until its parent disconnects or sends SIGTERM.
import "@poekhali/core";
import { RestateIngress } from "@poekhali/core";
import {
  INGESTED_UPDATES,
  TelegramHook,
  UpdatePoller,
} from "@poekhali/telegram";

const { token, apiRoot, ingressUrl } = JSON.parse(
  process.env.PARKED_POLLER ?? "{}",
) as { token: string; apiRoot: string; ingressUrl: string };
const poller = new UpdatePoller({
  hook: new TelegramHook({ token, apiRoot }),
  ingress: new RestateIngress(ingressUrl),
  workerId: `parked-poller:${process.pid}`,
  allowedUpdates: INGESTED_UPDATES,
  log: (line) => {
    if (/query is too old/.test(line)) return;
    process.stderr.write(`[poller] ${line}\n`);
  },
});
poller.start();
const stop = () => void poller.stop().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("disconnect", stop);
