import { ConfigError } from "./errors.js";
import { loadDotEnv, resolveConfig } from "./config.js";

const HELP = `poekhali — Airflow-style DAGs on Restate

Usage:
  poekhali up           start restate-server, the worker and the web UI (sandbox without TELEGRAM_BOT_TOKEN)
  poekhali emulators    start the Telegram and Airtable emulators and print where they listen (one JSON line)
  poekhali --help       this text

Settings come from the environment and ./.env; see .env.example.`;

async function main(argv: string[]): Promise<number> {
  const [command] = argv;
  if (!command || command === "--help" || command === "-h" || command === "help") {
    console.log(HELP);
    return command ? 0 : 1;
  }
  loadDotEnv();
  if (command === "emulators") {
    const { runEmulators } = await import("@poekhali/emulators/cli");
    await runEmulators();
    return 0;
  }
  if (command === "up") {
    const config = resolveConfig();
    const { up } = await import("./app.js");
    const log = (line: string) => console.log(line);
    log(`[app] starting in ${config.mode} mode; data in ${config.home}`);
    const app = await up(config, log);
    console.log(`\n  poekhali is up: ${app.url}\n`);
    return new Promise<number>((resolve) => {
      let stopping = false;
      const stop = (why: string, code: number) => {
        if (stopping) return;
        stopping = true;
        log(`[app] ${why}: stopping`);
        void app.stop().finally(() => resolve(code));
      };
      process.on("SIGINT", () => stop("SIGINT", 0));
      process.on("SIGTERM", () => stop("SIGTERM", 0));
      void app.failed.then(() => stop("restate-server is gone", 1));
    });
  }
  console.error(`unknown command "${command}"\n\n${HELP}`);
  return 2;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof ConfigError) console.error(`poekhali: configuration error: ${error.message}`);
  else console.error(`poekhali: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
}
