// The worker process: `poekhali up` forks it with a resolved environment and restarts it if it dies.
import { resolveConfig } from "../config.js";
import { loadDags } from "../dag-loader.js";
import { snapshotDags, type DagVersion } from "../versions/dag-versions.js";
import { startWorker, type ServedVersion } from "./worker.js";

const log = (line: string) => process.stdout.write(`[worker] ${line}\n`);

const config = resolveConfig();
if (!config.telegram || !config.airtable)
  throw new Error("the worker needs Telegram and Airtable settings");
// The app says which versions to serve (current first); run alone, the worker serves the folder as it is now.
const wanted = process.env.POEKHALI_DAG_VERSIONS
  ? (JSON.parse(process.env.POEKHALI_DAG_VERSIONS) as DagVersion[])
  : [snapshotDags(config.dagsFolder)];
const versions: ServedVersion[] = [];
for (const version of wanted) {
  const { dags, services, errors } = await loadDags(version.folder);
  for (const e of errors) log(`could not load ${e.path}: ${e.error}`);
  versions.push({
    hash: version.hash,
    dags: [...dags.values()],
    services: [...services.values()],
  });
}
const worker = await startWorker({
  versions,
  telegram: config.telegram,
  airtable: config.airtable,
  ingressUrl: `http://127.0.0.1:${config.restate.ingressPort}`,
  adminUrl: `http://127.0.0.1:${config.restate.adminPort}`,
  host: "127.0.0.1",
  port: config.workerPort,
  updates: config.updates.mode,
  log,
});
process.send?.({
  type: "ready",
  url: worker.url,
  deployments: worker.deployments,
});

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  void worker.stop().finally(() => process.exit(0));
};
process.on("SIGTERM", stop);
// Ctrl-C and a closed terminal reach the whole process group; the supervisor decides when the worker stops (SIGTERM).
process.on("SIGINT", () => undefined);
process.on("SIGHUP", () => undefined);
// If the app dies without stopping us (SIGKILL, the OOM killer), do not linger, even if stopping hangs.
process.on("disconnect", () => {
  setTimeout(() => process.exit(1), 10_000).unref();
  stop();
});
