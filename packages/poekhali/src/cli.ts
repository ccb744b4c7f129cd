import { ConfigError } from "./errors.js";
import { loadDotEnv } from "./config.js";
import { CommandFailed, UsageError } from "./cli/usage-error.js";

const HELP = `poekhali — Airflow-style DAGs on Restate

Usage:
  poekhali up                     start restate-server, the worker and the web UI (the sandbox without TELEGRAM_BOT_TOKEN)
  poekhali worker                 past one machine: serve the Restate endpoint only (any number, one deployment URL)
  poekhali register               register the current DAG code's deployment with RESTATE_ADMIN_URL
  poekhali web                    serve the web UI, REST API and Telegram webhook only
  poekhali cluster                a 3-node Restate cluster, 2 workers and a web tier on loopback (a test tool)
  poekhali emulators              start the Telegram and Airtable emulators; print where they listen (one JSON line)
  poekhali dags list|trigger|runs DAGs and their runs, through the running app's REST API
  poekhali tasks states|test      a run's task states; run one task here without Restate
  poekhali variables list|get|set|delete   Airflow Variables in the running app's store
  poekhali airtable check         check that the Airtable table has the columns the DAG writes, with their types

Every command takes --help. Settings come from the environment and ./.env; see .env.example.`;

const print = (line: string) => console.log(line);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (
    !command ||
    command === "--help" ||
    command === "-h" ||
    command === "help"
  ) {
    print(HELP);
    return command ? 0 : 2;
  }
  switch (command) {
    case "up":
      return (await import("./cli/up-command.js")).upCommand(rest, print);
    case "cluster":
      return (await import("./cli/cluster-command.js")).clusterCommand(
        rest,
        print,
      );
    case "worker":
      return (await import("./cli/worker-command.js")).workerCommand(
        rest,
        print,
      );
    case "web":
      return (await import("./cli/web-command.js")).webCommand(rest, print);
    case "register":
      return (await import("./cli/register-command.js")).registerCommand(
        rest,
        print,
      );
    case "emulators": {
      if (rest.includes("--help") || rest.includes("-h")) {
        print(
          "Usage: poekhali emulators\n\nStarts the Telegram Bot API and Airtable emulators on loopback (ports from TELEGRAM_EMULATOR_PORT and\nAIRTABLE_EMULATOR_PORT, 0 = free) and prints one JSON line saying where they are; Ctrl-C stops them.\nAirtable's 5 requests/s per base (then 30 s of 429s) is enforced unless AIRTABLE_EMULATOR_RATE_LIMIT=off.\nWith EMULATORS_STATE_DIR, chats, messages, rows and ids are kept there across restarts.",
        );
        return 0;
      }
      loadDotEnv();
      const { runEmulators } = await import("@poekhali/emulators/cli");
      await runEmulators();
      return 0;
    }
    case "dags":
      loadDotEnv();
      return (await import("./cli/dags-commands.js")).dagsCommand(rest, print);
    case "tasks":
      loadDotEnv();
      return (await import("./cli/tasks-commands.js")).tasksCommand(
        rest,
        print,
      );
    case "variables":
      loadDotEnv();
      return (await import("./cli/variables-commands.js")).variablesCommand(
        rest,
        print,
      );
    case "airtable":
      loadDotEnv();
      return (await import("./cli/airtable-command.js")).airtableCommand(
        rest,
        print,
      );
    default:
      throw new UsageError(`unknown command "${command}"\n\n${HELP}`);
  }
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof ConfigError)
    console.error(`poekhali: configuration error: ${message}`);
  else console.error(`poekhali: ${message}`);
  process.exitCode =
    error instanceof UsageError ||
    (error instanceof Error && error.name === "TypeError" && "code" in error)
      ? 2
      : 1;
  if (
    !(
      error instanceof UsageError ||
      error instanceof CommandFailed ||
      error instanceof ConfigError
    ) &&
    process.env.POEKHALI_DEBUG
  )
    console.error(error);
}
