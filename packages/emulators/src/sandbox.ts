import { randomInt } from "node:crypto";
import { join } from "node:path";
import { AirtableEmulator } from "./airtable/airtable-emulator.js";
import type { RateLimitOptions } from "./airtable/rate-limiter.js";
import type { AirtableSchema } from "./airtable/table-schema.js";
import { TG_ACTIONS_TABLE } from "./airtable/tg-actions-table.js";
import { TelegramEmulator } from "./telegram/telegram-emulator.js";

/** What a poekhali deployment needs to talk to the sandbox, in the shape of its configuration. */
export interface SandboxInfo {
  telegram: { api_root: string; token: string; chat_id: string };
  airtable: {
    endpoint_url: string;
    token: string;
    base_id: string;
    table: string;
  };
}

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
  /** Port of the Telegram emulator; 0 (the default) picks a free one. */
  telegramPort?: number;
  /** Port of the Airtable emulator; 0 (the default) picks a free one. */
  airtablePort?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Airtable's rate limit (as `AirtableEmulator.start`'s `rateLimit`); off by default. */
  airtableRateLimit?: boolean | RateLimitOptions;
  /** More bases to declare beside airflow101 (a schema or a JSON file path); the sandbox token reaches them too. */
  airtableSchema?: AirtableSchema | string;
  /**
   * A directory that keeps the chat and the table across restarts (`telegram.json`, `airtable.json`): the same
   * bot, token, chat, messages, buttons, rows and id counters come back, as the real services would keep them.
   * Without it, every start is empty. Delete the directory to start afresh.
   */
  stateDir?: string;
}

/** A running sandbox: both emulators, the connection info and the two sandbox pages. */
export interface Sandbox {
  info: SandboxInfo;
  telegram: TelegramEmulator;
  airtable: AirtableEmulator;
  chatPageUrl: string;
  tablePageUrl: string;
  close(): Promise<void>;
}

/** The sandbox's test users, who can press buttons on the chat page. */
export const SANDBOX_USERS = [
  { id: 1001, username: "anna", firstName: "Анна" },
  { id: 1002, firstName: "Борис" },
  { id: 1003, username: "vera_k", firstName: "Вера" },
] as const;

/**
 * Starts both emulators with a bot, a supergroup chat "poekhali sandbox", test users, a base "airflow101" holding tg_actions, and a token with data.records:read, data.records:write, schema.bases:read.
 *
 * @example
 * const sandbox = await startSandbox();
 * console.log(sandbox.chatPageUrl, sandbox.tablePageUrl);
 * await sandbox.close();
 */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const host = options.host === undefined ? {} : { host: options.host };
  const state = (file: string) =>
    options.stateDir === undefined
      ? {}
      : { stateFile: join(options.stateDir, file) };
  const telegram = await TelegramEmulator.start({
    port: options.telegramPort ?? 0,
    ...host,
    ...state("telegram.json"),
  });
  let airtable: AirtableEmulator;
  try {
    airtable = await AirtableEmulator.start({
      port: options.airtablePort ?? 0,
      ...host,
      ...(options.airtableRateLimit === undefined
        ? {}
        : { rateLimit: options.airtableRateLimit }),
      ...(options.airtableSchema === undefined
        ? {}
        : { schema: options.airtableSchema }),
      ...state("airtable.json"),
    });
  } catch (error) {
    await telegram.close();
    throw error;
  }
  // With a state directory, what an earlier start made is found again; anything missing is made. Made afresh,
  // the chat gets a new id and the bot's update ids a new starting point (as Telegram picks one at random after
  // a quiet week), so that nothing repeats ids an app may still remember from an earlier sandbox.
  const bot =
    telegram.findBot("poekhali_sandbox_bot") ??
    telegram.createBot({
      username: "poekhali_sandbox_bot",
      firstName: "poekhali bot",
      firstUpdateId: randomInt(100_000_001, 900_000_000),
    });
  const chat =
    telegram.findChat("poekhali sandbox") ??
    telegram.createChat({
      type: "supergroup",
      title: "poekhali sandbox",
      id: -Number(`100${randomInt(1_000_000_000, 9_999_999_999)}`),
    });
  for (const user of SANDBOX_USERS)
    if (!telegram.hasUser(user.id)) telegram.createUser(user);
  const base =
    airtable.findBase("airflow101") ??
    airtable.createBase({ name: "airflow101", tables: [TG_ACTIONS_TABLE] });
  const grant = {
    scopes: ["data.records:read", "data.records:write", "schema.bases:read"],
    bases: airtable.baseIds(),
  };
  const token = airtable.findToken(grant) ?? airtable.createToken(grant);
  const table = TG_ACTIONS_TABLE.name;
  return {
    info: {
      telegram: {
        api_root: telegram.apiRoot,
        token: bot.token,
        chat_id: String(chat.id),
      },
      airtable: {
        endpoint_url: airtable.endpointUrl,
        token,
        base_id: base.id,
        table,
      },
    },
    telegram,
    airtable,
    chatPageUrl: `${telegram.apiRoot}/_emulator/ui/chats/${chat.id}`,
    tablePageUrl: `${airtable.endpointUrl}/_emulator/ui/bases/${base.id}/tables/${table}`,
    async close() {
      await Promise.all([telegram.close(), airtable.close()]);
    },
  };
}
