import { parseArgs } from "node:util";
import { loadDotEnv, resolveConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { UsageError } from "./usage-error.js";

/** Help for `poekhali register`. */
export const REGISTER_HELP = `Usage: poekhali register [--worker-url URL] [--force]

Registers the current DAG code version's deployment, URL/v/<hash>, with the Restate at RESTATE_ADMIN_URL, and
exits 0 once Restate has discovered it. URL is where Restate reaches the workers: one worker, or a load balancer
before several (--worker-url, else POEKHALI_WORKER_URL). The hash is that of POEKHALI_DAGS_FOLDER as it is now:
changed DAG code is a new deployment, and runs parked on an earlier one keep it (workers serve both versions);
the same URI serving other services or handlers (a provider upgrade under unchanged DAG files) is refused, exit 1,
unless --force: then it is replaced, with a warning, and runs parked on it may fail to resume. Any other refusal by
Restate (the workers unreachable, a signature or key mismatch) is never forced past.

Prints one JSON line on stdout: {"role":"register","deployment":"…"}`;

/** Runs `poekhali register`; returns the exit code. */
export async function registerCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      "worker-url": { type: "string" },
      force: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    print(REGISTER_HELP);
    return 0;
  }
  loadDotEnv();
  // Registering needs the admin API only: RESTATE_INGRESS_URL may be left out.
  const config = resolveConfig({
    ...process.env,
    RESTATE_INGRESS_URL:
      process.env.RESTATE_INGRESS_URL || process.env.RESTATE_ADMIN_URL,
    ...(values["worker-url"] !== undefined
      ? { POEKHALI_WORKER_URL: values["worker-url"] }
      : {}),
  });
  if (!config.externalRestate)
    throw new ConfigError(
      "RESTATE_ADMIN_URL",
      "is required by poekhali register: the admin API (9070) of the Restate to register with",
    );
  if (!config.workerUrl)
    throw new UsageError(
      "poekhali register needs the workers' URL: --worker-url URL or POEKHALI_WORKER_URL",
    );
  const log = (line: string) =>
    void process.stderr.write(`[register] ${line}\n`);
  const { hashDags } = await import("../versions/dag-versions.js");
  const { deploymentOf, registerRole } =
    await import("../roles/register-role.js");
  const deployment = deploymentOf(
    config.workerUrl,
    hashDags(config.dagsFolder),
  );
  await registerRole({
    adminUrl: config.externalRestate.adminUrl,
    deployment,
    force: values.force,
    log,
  });
  print(JSON.stringify({ role: "register", deployment }));
  return 0;
}
