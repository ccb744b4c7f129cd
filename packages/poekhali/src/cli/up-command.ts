import { loadDotEnv, resolveConfig } from "../config.js";

/** Help for `poekhali up`. */
export const UP_HELP = `Usage: poekhali up

Starts restate-server, the worker and the web UI with REST API, and stays in the foreground; Ctrl-C (or a
closed terminal) stops all of it, and nothing it started outlives it even if it is killed. A start finding
what a killed start of the same POEKHALI_HOME left running stops it first. Without TELEGRAM_BOT_TOKEN it runs
the sandbox: local Telegram and Airtable emulators stand in for the real services; their chat and table are
kept in POEKHALI_HOME across restarts. Settings come from the environment and ./.env (see .env.example).`;

/** Runs `poekhali up` until SIGINT/SIGTERM, or until restate-server dies (exit 1). */
export async function upCommand(
  argv: string[],
  print: (line: string) => void,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    print(UP_HELP);
    return 0;
  }
  loadDotEnv();
  // A closed terminal turns writes to it into EIO/EPIPE errors; stopping must not crash on its own messages.
  for (const stream of [process.stdout, process.stderr])
    stream.on("error", () => undefined);
  const config = resolveConfig();
  const { up } = await import("../app.js");
  print(`[app] starting in ${config.mode} mode; data in ${config.home}`);
  const app = await up(config, print);
  print(`\n  poekhali is up: ${app.url}\n`);
  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (why: string, code: number) => {
      if (stopping) return;
      stopping = true;
      print(`[app] ${why}: stopping`);
      void app.stop().finally(() => resolve(code));
    };
    process.on("SIGINT", () => stop("SIGINT", 0));
    process.on("SIGTERM", () => stop("SIGTERM", 0));
    // A closed terminal: stop as cleanly as after Ctrl-C.
    process.on("SIGHUP", () => stop("SIGHUP", 0));
    void app.failed.then(() => stop("restate-server is gone", 1));
  });
}
