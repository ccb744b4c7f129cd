import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { z } from "zod";
import { INTERNAL_KEY_ENV, internalKeyProblem } from "@poekhali/core";
import { ConfigError } from "./errors.js";
import { parseIdentityKeys } from "./restate/identity-key.js";
import {
  restateSettingsFromEnv,
  type RestateServerSettings,
} from "./restate/restate-server-settings.js";

/** Telegram settings of a live (non-sandbox) run. */
export interface TelegramConfig {
  readonly token: string;
  readonly chatId: string;
  readonly apiRoot: string;
}

/** Airtable settings of a live run. */
export interface AirtableConfig {
  readonly token: string;
  readonly baseId: string;
  readonly table: string;
  readonly endpointUrl: string;
}

/** How Telegram updates reach the app: polled by one worker, or posted to the app's webhook. */
export interface UpdatesConfig {
  /** TELEGRAM_UPDATES: `poll` (the default) or `webhook`. */
  readonly mode: "poll" | "webhook";
  /** TELEGRAM_WEBHOOK_URL, where Telegram posts updates; required live, the app's own `/telegram/webhook` in the sandbox. */
  readonly webhookUrl: string | undefined;
  /** TELEGRAM_WEBHOOK_SECRET; when unset, one is generated and kept in POEKHALI_HOME. */
  readonly webhookSecret: string | undefined;
}

/** Who may use the web UI and REST API (Airflow's simple auth manager: one user, bearer tokens from `/auth/token`). */
export interface AuthConfig {
  /** POEKHALI_AUTH_USERNAME; `admin` by default. */
  readonly username: string;
  /** POEKHALI_AUTH_PASSWORD; unset: every request is allowed, which start-up permits on a loopback bind only. */
  readonly password: string | undefined;
  /** POEKHALI_AUTH_SECRET, the tokens' HMAC key; unset: one is generated and kept in POEKHALI_HOME. */
  readonly secret: string | undefined;
}

/** Where a Restate runs: its admin API and its ingress. */
export interface RestateUrls {
  readonly adminUrl: string;
  readonly ingressUrl: string;
}

/** Everything `poekhali up` needs, resolved once from the environment. */
export interface AppConfig {
  /** `sandbox` when no TELEGRAM_BOT_TOKEN is set: local emulators stand in for Telegram and Airtable. */
  readonly mode: "sandbox" | "live";
  readonly home: string;
  readonly host: string;
  readonly port: number;
  readonly workerPort: number;
  /** POEKHALI_WORKER_HOST, the worker's bind address; beyond loopback it needs RESTATE_IDENTITY_KEYS. */
  readonly workerHost: string;
  /** POEKHALI_WORKER_URL: the address Restate reaches the worker(s) at, for `poekhali register`. */
  readonly workerUrl: string | undefined;
  /** RESTATE_ADMIN_URL and RESTATE_INGRESS_URL: a Restate run elsewhere; unset, `up` runs its own. */
  readonly externalRestate: RestateUrls | undefined;
  /** RESTATE_IDENTITY_KEYS: the `publickeyv1_…` keys a worker accepts request signatures of. */
  readonly identityKeys: readonly string[];
  readonly restate: {
    readonly ingressPort: number;
    readonly adminPort: number;
    readonly nodePort: number;
    /** POEKHALI_RESTATE_CONCURRENT_INVOCATIONS and the POEKHALI_RESTATE_*_MEMORY sizes the operator set, if any. */
    readonly settings: Partial<RestateServerSettings>;
  };
  readonly dagsFolder: string;
  readonly reporterName: string;
  readonly eventType: string;
  readonly telegram: TelegramConfig | undefined;
  readonly airtable: AirtableConfig | undefined;
  readonly updates: UpdatesConfig;
  /** POEKHALI_ALLOWED_HOSTS: host names the app answers to besides the loopback names and POEKHALI_HOST. */
  readonly allowedHosts: readonly string[];
  readonly auth: AuthConfig;
}

const port = (fallback: number) =>
  z
    .string()
    .default(String(fallback))
    .transform((v) => Number(v))
    .pipe(
      z
        .number()
        .int("must be a whole number")
        .min(0, "must be 0-65535")
        .max(65535, "must be 0-65535"),
    );
/** Whether a URL carries a user name or password: fetch refuses those, and pages and logs would show them. */
const hasCredentials = (v: string) => {
  const u = URL.parse(v);
  return u !== null && (u.username !== "" || u.password !== "");
};
const NO_CREDENTIALS =
  "must not contain a user name or password (user:pass@): they would be shown on pages and in logs";
const url = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .pipe(z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }))
    .refine((v) => !hasCredentials(v), NO_CREDENTIALS)
    .transform((v) => v.replace(/\/+$/, ""));
const optionalUrl = (example: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v?.trim() ? v.trim() : undefined))
    .pipe(
      z
        .url({
          protocol: /^https?$/,
          error: `must be an http(s) URL, e.g. ${example}`,
        })
        .refine((v) => !hasCredentials(v), NO_CREDENTIALS)
        .transform((v) => v.replace(/\/+$/, ""))
        .optional(),
    );
const text = (fallback: string) =>
  z.string().trim().min(1, "must not be empty").default(fallback);
const optional = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

const schema = z.object({
  TELEGRAM_BOT_TOKEN: optional.pipe(
    z
      .string()
      .regex(
        /^\d+:[A-Za-z0-9_-]{30,}$/,
        "is not shaped like a bot token '<bot id>:<secret>' from @BotFather",
      )
      .optional(),
  ),
  TELEGRAM_CHAT_ID: optional.pipe(
    z
      .string()
      .regex(/^-?\d+$/, "must be a numeric chat id, e.g. -1001234567890")
      .optional(),
  ),
  TELEGRAM_API_ROOT: url("https://api.telegram.org"),
  TELEGRAM_UPDATES: optional.pipe(
    z
      .enum(["poll", "webhook"], { error: 'must be "poll" or "webhook"' })
      .default("poll"),
  ),
  TELEGRAM_WEBHOOK_URL: optional.pipe(
    z
      .url({
        protocol: /^https?$/,
        error:
          "must be an http(s) URL, e.g. https://example.com/telegram/webhook",
      })
      .refine((v) => !hasCredentials(v), NO_CREDENTIALS)
      .optional(),
  ),
  TELEGRAM_WEBHOOK_SECRET: optional.pipe(
    z
      .string()
      .regex(
        /^[A-Za-z0-9_-]{16,256}$/,
        "must be 16-256 letters, digits, _ or - (Telegram's secret_token alphabet)",
      )
      .optional(),
  ),
  AIRTABLE_TOKEN: optional,
  AIRTABLE_BASE_ID: optional.pipe(
    z
      .string()
      .regex(
        /^app[A-Za-z0-9]{14}$/,
        'must look like "app" and 14 letters/digits',
      )
      .optional(),
  ),
  AIRTABLE_TABLE: text("tg_actions"),
  AIRTABLE_ENDPOINT_URL: url("https://api.airtable.com"),
  REPORTER_NAME: text("poekhali"),
  EVENT_TYPE: text("button_press"),
  POEKHALI_PORT: port(8000),
  POEKHALI_HOST: text("127.0.0.1"),
  POEKHALI_HOME: text(".poekhali"),
  POEKHALI_DAGS_FOLDER: text("dags"),
  POEKHALI_WORKER_PORT: port(9080),
  // Checked here, so that a typo is named instead of failing later as a bare ENOTFOUND or EADDRNOTAVAIL.
  POEKHALI_WORKER_HOST: text("127.0.0.1").pipe(
    z
      .string()
      .regex(
        /^([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)$/,
        "must be an IP address or host name of this machine (no scheme or port), e.g. 127.0.0.1, 0.0.0.0 or ::",
      ),
  ),
  POEKHALI_WORKER_URL: optionalUrl("http://worker.internal:9080"),
  RESTATE_ADMIN_URL: optionalUrl("http://restate.internal:9070"),
  RESTATE_INGRESS_URL: optionalUrl("http://restate.internal:8080"),
  RESTATE_IDENTITY_KEYS: z.string().optional(),
  POEKHALI_RESTATE_INGRESS_PORT: port(8080),
  POEKHALI_RESTATE_ADMIN_PORT: port(9070),
  POEKHALI_RESTATE_NODE_PORT: port(5122),
  POEKHALI_ALLOWED_HOSTS: optional
    .transform((v) =>
      (v ?? "")
        .split(",")
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    )
    .pipe(
      z.array(
        z
          .string()
          .regex(
            /^(\*|[a-z0-9.-]+|\[[0-9a-f:.]+\])$/,
            "must be host names separated by commas (no scheme, port or path), e.g. poekhali.example.com,192.168.1.5; * allows any",
          ),
      ),
    ),
  POEKHALI_AUTH_USERNAME: text("admin"),
  // Not trimmed: a password is taken as written; empty means unset.
  POEKHALI_AUTH_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === "" ? undefined : v)),
  POEKHALI_AUTH_SECRET: optional.pipe(
    z.string().min(32, "must be at least 32 characters").optional(),
  ),
});

/** Whether a bind address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return (
    h === "localhost" ||
    h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h)
  );
}

/** Loads `.env` from the working directory into `process.env`, without overriding what is already set. */
export function loadDotEnv(cwd = process.cwd()): void {
  const file = resolve(cwd, ".env");
  if (existsSync(file)) process.loadEnvFile(file);
}

/** Resolves the app's configuration, or throws a {@link ConfigError} naming the first bad variable. */
export function resolveConfig(
  env: NodeJS.ProcessEnv = process.env,
  cwd = process.cwd(),
): AppConfig {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const variable = String(issue?.path[0] ?? "environment");
    // Values are never echoed: some are secrets.
    throw new ConfigError(variable, issue?.message ?? "is invalid");
  }
  const e = parsed.data;
  // A key set but unfit to sign stops every command here, before anything starts or listens. Unset, `up` keeps one
  // of its own, and `worker` and `web` say that they require it.
  const key = env[INTERNAL_KEY_ENV];
  const keyProblem = key ? internalKeyProblem(key) : null;
  if (keyProblem)
    throw new ConfigError(
      INTERNAL_KEY_ENV,
      keyProblem.slice(INTERNAL_KEY_ENV.length + 1),
    );
  if (!isLoopback(e.POEKHALI_HOST) && e.POEKHALI_AUTH_PASSWORD === undefined)
    throw new ConfigError(
      "POEKHALI_AUTH_PASSWORD",
      `is required when POEKHALI_HOST (${e.POEKHALI_HOST}) is not a loopback address: anyone who reaches it could ` +
        "trigger and cancel runs. Set POEKHALI_AUTH_PASSWORD (and POEKHALI_AUTH_USERNAME, admin by default), " +
        "or bind POEKHALI_HOST=127.0.0.1",
    );
  // Half an external Restate would have the roles talk to two servers, or to one that is not there.
  if (
    (e.RESTATE_ADMIN_URL === undefined) !==
    (e.RESTATE_INGRESS_URL === undefined)
  )
    throw e.RESTATE_ADMIN_URL === undefined
      ? new ConfigError(
          "RESTATE_ADMIN_URL",
          "is required with RESTATE_INGRESS_URL: the admin API (port 9070) of the same Restate",
        )
      : new ConfigError(
          "RESTATE_INGRESS_URL",
          "is required with RESTATE_ADMIN_URL: the ingress (port 8080) of the same Restate",
        );
  const identityKeys = parseIdentityKeys(e.RESTATE_IDENTITY_KEYS);
  const restateSettings = restateSettingsFromEnv(env);
  const live = e.TELEGRAM_BOT_TOKEN !== undefined;
  let telegram: TelegramConfig | undefined;
  let airtable: AirtableConfig | undefined;
  if (e.TELEGRAM_BOT_TOKEN !== undefined) {
    if (!e.TELEGRAM_CHAT_ID)
      throw new ConfigError(
        "TELEGRAM_CHAT_ID",
        "is required with TELEGRAM_BOT_TOKEN: the group chat's id, e.g. -1001234567890",
      );
    if (!e.AIRTABLE_TOKEN)
      throw new ConfigError(
        "AIRTABLE_TOKEN",
        "is required with TELEGRAM_BOT_TOKEN: an Airtable personal access token (pat…)",
      );
    if (!e.AIRTABLE_BASE_ID)
      throw new ConfigError(
        "AIRTABLE_BASE_ID",
        "is required with TELEGRAM_BOT_TOKEN: the base's id (app…)",
      );
    telegram = {
      token: e.TELEGRAM_BOT_TOKEN,
      chatId: e.TELEGRAM_CHAT_ID,
      apiRoot: e.TELEGRAM_API_ROOT,
    };
    airtable = {
      token: e.AIRTABLE_TOKEN,
      baseId: e.AIRTABLE_BASE_ID,
      table: e.AIRTABLE_TABLE,
      endpointUrl: e.AIRTABLE_ENDPOINT_URL,
    };
  }
  return {
    mode: live ? "live" : "sandbox",
    home: resolve(cwd, e.POEKHALI_HOME),
    host: e.POEKHALI_HOST,
    port: e.POEKHALI_PORT,
    workerPort: e.POEKHALI_WORKER_PORT,
    workerHost: e.POEKHALI_WORKER_HOST,
    workerUrl: e.POEKHALI_WORKER_URL,
    externalRestate:
      e.RESTATE_ADMIN_URL && e.RESTATE_INGRESS_URL
        ? { adminUrl: e.RESTATE_ADMIN_URL, ingressUrl: e.RESTATE_INGRESS_URL }
        : undefined,
    identityKeys,
    restate: {
      ingressPort: e.POEKHALI_RESTATE_INGRESS_PORT,
      adminPort: e.POEKHALI_RESTATE_ADMIN_PORT,
      nodePort: e.POEKHALI_RESTATE_NODE_PORT,
      settings: restateSettings,
    },
    dagsFolder: resolve(cwd, e.POEKHALI_DAGS_FOLDER),
    reporterName: e.REPORTER_NAME,
    eventType: e.EVENT_TYPE,
    telegram,
    airtable,
    updates: {
      mode: e.TELEGRAM_UPDATES,
      webhookUrl: e.TELEGRAM_WEBHOOK_URL,
      webhookSecret: e.TELEGRAM_WEBHOOK_SECRET,
    },
    allowedHosts: e.POEKHALI_ALLOWED_HOSTS,
    auth: {
      username: e.POEKHALI_AUTH_USERNAME,
      password: e.POEKHALI_AUTH_PASSWORD,
      secret: e.POEKHALI_AUTH_SECRET,
    },
  };
}
