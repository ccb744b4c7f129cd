import { mkdirSync } from "node:fs";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import { loadDotEnv, resolveConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { untilSignal } from "./until-signal.js";

/** Help for `poekhali web`. */
export const WEB_HELP = `Usage: poekhali web

Serves the web UI, the REST API (/api/v2) and the Telegram webhook only, on POEKHALI_HOST:POEKHALI_PORT, talking
to the Restate at RESTATE_ADMIN_URL / RESTATE_INGRESS_URL; the workers run elsewhere (\`poekhali worker\`). In
webhook mode (TELEGRAM_UPDATES=webhook) any number of web instances can take the bot's updates: give them all the
same TELEGRAM_WEBHOOK_URL (your load balancer) and TELEGRAM_WEBHOOK_SECRET.

When it listens, it prints one JSON line on stdout:
  {"role":"web","url":"http://h:p"}
and logs to stderr. SIGTERM or SIGINT stops it.

Environment:
  RESTATE_ADMIN_URL, RESTATE_INGRESS_URL   the Restate it works with (required)
  POEKHALI_HOST, POEKHALI_PORT             where it listens (127.0.0.1:8000; port 0 = any free port)
  POEKHALI_INTERNAL_KEY                    the same secret on every worker and web instance (required)
  POEKHALI_AUTH_PASSWORD, POEKHALI_AUTH_SECRET   the same on every web instance, so that tokens work on each
  POEKHALI_DAGS_FOLDER, POEKHALI_HOME, TELEGRAM_*   as for \`poekhali up\` (see .env.example)`;

/** Runs `poekhali web` until SIGTERM/SIGINT. */
export async function webCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    print(WEB_HELP);
    return 0;
  }
  loadDotEnv();
  const config = resolveConfig();
  const log = (line: string) => void process.stderr.write(`[web] ${line}\n`);
  const { requiredRestate } = await import("../roles/required-restate.js");
  const restate = requiredRestate(config, "web");
  if (!process.env[INTERNAL_KEY_ENV])
    throw new ConfigError(
      INTERNAL_KEY_ENV,
      "is required by the web tier: the same value as the workers', which check the web tier's signed calls with it",
    );
  mkdirSync(config.home, { recursive: true });
  const { loadDagCode } = await import("../roles/dag-code.js");
  const { startWebRole } = await import("../roles/web-role.js");
  const web = await startWebRole({
    config,
    restate,
    code: await loadDagCode(config.dagsFolder, log),
    telegram: config.telegram,
    // Registration is `poekhali register`'s job; this tier serves as soon as it listens.
    ready: () => true,
    log,
  });
  print(JSON.stringify({ role: "web", url: web.url }));
  return untilSignal(() => web.stop(), log);
}
