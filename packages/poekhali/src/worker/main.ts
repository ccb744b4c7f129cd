// The worker process of `poekhali up`: forked with a resolved environment, restarted by the app if it dies.
import { resolveConfig } from "../config.js";
import { requiredRestate } from "../roles/required-restate.js";
import { startWorkerRole } from "../roles/worker-role.js";
import type { DagVersion } from "../versions/dag-versions.js";

const log = (line: string) => process.stdout.write(`[worker] ${line}\n`);

const config = resolveConfig();
// The app says which versions to serve (current first), as it found them when it started.
const versions = process.env.POEKHALI_DAG_VERSIONS
  ? (JSON.parse(process.env.POEKHALI_DAG_VERSIONS) as DagVersion[])
  : undefined;
const worker = await startWorkerRole({
  config,
  restate: requiredRestate(config, "up's worker"),
  ...(versions ? { versions } : {}),
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
