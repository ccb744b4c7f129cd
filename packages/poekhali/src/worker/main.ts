// The worker process: `poekhali up` forks it with a resolved environment and restarts it if it dies.
import { resolveConfig } from "../config.js";
import { loadDags } from "../dag-loader.js";
import { startWorker } from "./worker.js";

const log = (line: string) => process.stdout.write(`[worker] ${line}\n`);

const config = resolveConfig();
if (!config.telegram || !config.airtable) throw new Error("the worker needs Telegram and Airtable settings");
const ingressUrl = `http://127.0.0.1:${config.restate.ingressPort}`;
const { dags, errors } = await loadDags(config.dagsFolder);
for (const e of errors) log(`could not load ${e.path}: ${e.error}`);
const worker = await startWorker({
  dags: dags.values(),
  telegram: config.telegram,
  airtable: config.airtable,
  ingressUrl,
  host: "127.0.0.1",
  port: config.workerPort,
  log,
});
process.send?.({ type: "ready", url: worker.url });

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void worker.stop().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
// Ctrl-C reaches the whole process group; the supervisor decides when the worker stops (SIGTERM).
process.on("SIGINT", () => undefined);
// If the app dies without stopping us, do not linger.
process.on("disconnect", stop);
