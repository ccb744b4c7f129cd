import { loadDotEnv, resolveConfig } from "../config.js";
import { untilSignal } from "./until-signal.js";

/** Help for `poekhali worker`. */
export const WORKER_HELP = `Usage: poekhali worker

Serves the Restate endpoint only: the DAGs of the current code version (and of every earlier version runs still
wait on, if its snapshot is here), the Telegram router, the Airtable writer. Polls the bot's updates unless
TELEGRAM_UPDATES=webhook (the poll lease keeps one poller per bot across workers). Keeps nothing on disk but the
DAG snapshots: start as many as you like behind one deployment URL, then run \`poekhali register\`.

When it serves, it prints one JSON line on stdout:
  {"role":"worker","url":"http://h:p","deployments":["http://h:p/v/<hash>", ...]}
and logs to stderr. SIGTERM or SIGINT stops it.

Environment:
  RESTATE_ADMIN_URL, RESTATE_INGRESS_URL   the Restate it works with (required)
  POEKHALI_WORKER_HOST, POEKHALI_WORKER_PORT   where it listens (127.0.0.1:9080; port 0 = any free port)
  RESTATE_IDENTITY_KEYS   publickeyv1_… keys (comma-separated) of the Restate servers it serves; required when
                          POEKHALI_WORKER_HOST is not loopback
  POEKHALI_INTERNAL_KEY   the same secret on every worker and web instance (required)
  TELEGRAM_BOT_TOKEN, TELEGRAM_CHAT_ID, TELEGRAM_API_ROOT, AIRTABLE_TOKEN, AIRTABLE_BASE_ID, AIRTABLE_TABLE,
  AIRTABLE_ENDPOINT_URL, POEKHALI_DAGS_FOLDER, TELEGRAM_UPDATES   as for \`poekhali up\` (see .env.example)
  NODE_OPTIONS=--max-semi-space-size=2 MALLOC_ARENA_MAX=2   recommended, set for this process when it starts: what
                          \`up\` and \`cluster\` give their workers, to keep memory near the live heap while runs park`;

/** Runs `poekhali worker` until SIGTERM/SIGINT. */
export async function workerCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    print(WORKER_HELP);
    return 0;
  }
  loadDotEnv();
  const config = resolveConfig();
  const log = (line: string) => void process.stderr.write(`[worker] ${line}\n`);
  const { requiredRestate } = await import("../roles/required-restate.js");
  const restate = requiredRestate(config, "worker");
  const { startWorkerRole } = await import("../roles/worker-role.js");
  const worker = await startWorkerRole({ config, restate, log });
  print(
    JSON.stringify({
      role: "worker",
      url: worker.url,
      deployments: worker.deployments,
    }),
  );
  return untilSignal(() => worker.stop(), log);
}
