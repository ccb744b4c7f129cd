import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadDotEnv, resolveConfig } from "../config.js";
import { UsageError } from "./usage-error.js";

/** Help for `poekhali cluster`. */
export const CLUSTER_HELP = `Usage: poekhali cluster [--nodes 3] [--workers 2]

A development and test tool, not production: starts on loopback the sandbox's Telegram and Airtable emulators,
a Restate cluster of N restate-server nodes (replicated metadata, log and partitions: with 3 nodes any one may
die), W \`poekhali worker\` processes behind one deployment URL (a TCP round-robin proxy in this process), registers
that deployment (\`poekhali register\`) and starts one \`poekhali web\`. Prints the web URL and writes
POEKHALI_HOME/cluster.json with every process's role, PID and ports. Ctrl-C stops them all; nothing it started
outlives it, even if it is killed. Logs go to POEKHALI_HOME/logs.`;

/** Runs `poekhali cluster` until SIGINT/SIGTERM. */
export async function clusterCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      nodes: { type: "string", default: "3" },
      workers: { type: "string", default: "2" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    print(CLUSTER_HELP);
    return 0;
  }
  const count = (name: string, text: string) => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1)
      throw new UsageError(
        `--${name} must be a whole number, 1 or more; got "${text}"`,
      );
    return n;
  };
  const nodes = count("nodes", values.nodes);
  const workers = count("workers", values.workers);
  loadDotEnv();
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", () => undefined);
  const config = resolveConfig();
  const { startCluster } = await import("../cluster/start-cluster.js");
  print(
    `[cluster] starting ${nodes} Restate node(s), ${workers} worker(s) and a web tier; data in ${config.home}`,
  );
  const cluster = await startCluster({
    home: config.home,
    nodes,
    workers,
    dagsFolder: config.dagsFolder,
    env: { REPORTER_NAME: config.reporterName, EVENT_TYPE: config.eventType },
    restateSettings: config.restate.settings,
    log: print,
  });
  const info = cluster.info();
  print(`[cluster] sandbox: chat page ${info.emulators.chat_page}`);
  print(`[cluster] processes: ${join(config.home, "cluster.json")}`);
  print(`\n  poekhali cluster is up: ${info.web_url}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string) => {
      if (stopping) return;
      stopping = true;
      print(`[cluster] ${why}: stopping`);
      void cluster.stop().finally(() => resolve(0));
    };
    process.on("SIGINT", () => stop("SIGINT"));
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGHUP", () => stop("SIGHUP"));
  });
}
