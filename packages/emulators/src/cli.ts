import { EmulatorUsageError } from "./errors.js";
import { startSandbox } from "./sandbox.js";

/** Where {@link runEmulators} reads its settings and writes its output; defaults to the process's own. */
export interface RunEmulatorsOptions {
  env?: Record<string, string | undefined>;
  stdout?: { write(text: string): unknown };
  stderr?: { write(text: string): unknown };
  /** Closes the sandbox when aborted, besides SIGINT and SIGTERM. */
  signal?: AbortSignal;
}

/**
 * Starts the sandbox on TELEGRAM_EMULATOR_PORT / AIRTABLE_EMULATOR_PORT (0 = a free port), with AIRTABLE_EMULATOR_SCHEMA's bases, AIRTABLE_EMULATOR_RATE_LIMIT (on unless `off`) and EMULATORS_STATE_DIR (kept across restarts when set), prints one JSON line of SandboxInfo on stdout and the page URLs on stderr, and resolves once closed by SIGINT or SIGTERM.
 *
 * @example
 * await runEmulators(); // prints {"telegram":{...},"airtable":{...}}
 */
export async function runEmulators(
  options: RunEmulatorsOptions = {},
): Promise<void> {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const schema = env.AIRTABLE_EMULATOR_SCHEMA?.trim() ?? "";
  const stateDir = env.EMULATORS_STATE_DIR?.trim() ?? "";
  const sandbox = await startSandbox({
    telegramPort: portFrom(env, "TELEGRAM_EMULATOR_PORT"),
    airtablePort: portFrom(env, "AIRTABLE_EMULATOR_PORT"),
    // On unless turned off: people test their integrations here against what the real service enforces.
    airtableRateLimit: switchFrom(env, "AIRTABLE_EMULATOR_RATE_LIMIT", true),
    ...(schema === "" ? {} : { airtableSchema: schema }),
    ...(stateDir === "" ? {} : { stateDir }),
  });
  stdout.write(`${JSON.stringify(sandbox.info)}\n`);
  stderr.write(
    `sandbox chat page:  ${sandbox.chatPageUrl}\nsandbox table page: ${sandbox.tablePageUrl}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      options.signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    if (options.signal?.aborted === true) stop();
    else options.signal?.addEventListener("abort", stop);
  });
  await sandbox.close();
}

function portFrom(
  env: Record<string, string | undefined>,
  name: string,
): number {
  const text = env[name]?.trim() ?? "";
  if (text === "") return 0;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new EmulatorUsageError(
      `${name} must be a port number from 0 to 65535, got "${text}"`,
    );
  }
  return port;
}

function switchFrom(
  env: Record<string, string | undefined>,
  name: string,
  byDefault: boolean,
): boolean {
  const text = env[name]?.trim().toLowerCase() ?? "";
  if (text === "") return byDefault;
  if (["0", "false", "off", "no"].includes(text)) return false;
  if (["1", "true", "on", "yes"].includes(text)) return true;
  throw new EmulatorUsageError(`${name} must be on or off, got "${text}"`);
}
