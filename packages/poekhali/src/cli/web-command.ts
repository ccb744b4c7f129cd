import { mkdirSync } from "node:fs";
import { INTERNAL_KEY_ENV } from "@poekhali/core";
import {
  isLoopback,
  loadDotEnv,
  resolveConfig,
  type AppConfig,
} from "../config.js";
import { ConfigError } from "../errors.js";
import { untilSignal } from "./until-signal.js";

/** Help for `poekhali web`. */
export const WEB_HELP = `Usage: poekhali web

Serves the web UI, the REST API (/api/v2) and the Telegram webhook only, on POEKHALI_HOST:POEKHALI_PORT, talking
to the Restate at RESTATE_ADMIN_URL / RESTATE_INGRESS_URL; the workers run elsewhere (\`poekhali worker\`). In
webhook mode (TELEGRAM_UPDATES=webhook) any number of web instances can take the bot's updates: give them all the
same TELEGRAM_WEBHOOK_URL (your load balancer) and TELEGRAM_WEBHOOK_SECRET (required). Paused DAGs, run notes and
trigger details are kept in Restate, so any number of instances serve the UI and the REST API alike. Before it
listens, an instance checks that the workers take its signed calls (a POEKHALI_INTERNAL_KEY they refuse stops it)
and imports an old POEKHALI_HOME/api-state.json into Restate (then kept as api-state.json.imported); until the
worker's deployment is registered, both wait.

When it listens, it prints one JSON line on stdout:
  {"role":"web","url":"http://h:p"}
and logs to stderr. SIGTERM or SIGINT stops it.

Environment:
  RESTATE_ADMIN_URL, RESTATE_INGRESS_URL   the Restate it works with (required)
  POEKHALI_HOST, POEKHALI_PORT             where it listens (127.0.0.1:8000; port 0 = any free port)
  POEKHALI_INTERNAL_KEY                    the same secret on every worker and web instance (required)
  POEKHALI_AUTH_PASSWORD, POEKHALI_AUTH_SECRET   the same on every web instance, so that tokens work on each
                                           (both required when POEKHALI_HOST is not loopback)
  TELEGRAM_WEBHOOK_SECRET                  the same on every web instance (required with TELEGRAM_UPDATES=webhook)
  POEKHALI_DAGS_FOLDER, POEKHALI_HOME, TELEGRAM_*   as for \`poekhali up\` (see .env.example)`;

/**
 * Refuses settings each web instance would make up on its own, which several instances must share: a generated
 * webhook secret (each would set the bot's webhook with its own, the last one winning and the others answering
 * Telegram 401), and a generated token key beyond loopback (a token from one instance refused by the next).
 * `poekhali up`, one instance, may keep generating them.
 */
export function requireSharedWebSecrets(config: AppConfig): void {
  if (config.updates.mode === "webhook" && !config.updates.webhookSecret)
    throw new ConfigError(
      "TELEGRAM_WEBHOOK_SECRET",
      "is required by poekhali web with TELEGRAM_UPDATES=webhook: the same value on every web instance, since " +
        "each sets the bot's webhook with it (16-256 letters, digits, _ or -)",
    );
  if (!isLoopback(config.host) && !config.auth.secret)
    throw new ConfigError(
      "POEKHALI_AUTH_SECRET",
      `is required by poekhali web when POEKHALI_HOST (${config.host}) is not a loopback address: the same value ` +
        "(32 characters or more) on every web instance, so that a token one issues works on the others",
    );
}

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
  requireSharedWebSecrets(config);
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
