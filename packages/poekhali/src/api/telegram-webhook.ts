import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { RestateIngress } from "@poekhali/core";
import {
  INGESTED_UPDATES,
  SECRET_HEADER,
  WebhookSettings,
  handOverUpdate,
  LateAnswers,
  newWebhookSecret,
  ReceptionClock,
  TelegramHook,
  secretMatches,
  type IngestedUpdateType,
} from "@poekhali/telegram";
import type { TelegramConfig, UpdatesConfig } from "../config.js";
import { ConfigError } from "../errors.js";

/** Where Telegram posts updates on the app. */
export const WEBHOOK_PATH = "/telegram/webhook";
/** Telegram's updates are a few KiB; anything past this is not one. */
const MAX_BODY_BYTES = 1024 * 1024;
/** The generated secret's file in POEKHALI_HOME, kept across restarts so that the webhook set earlier still matches. */
const SECRET_FILE = "telegram-webhook-secret";

/** What the webhook receiver needs. */
export interface TelegramWebhookOptions {
  readonly updates: UpdatesConfig;
  /** Live mode: Telegram must be told a public URL (TELEGRAM_WEBHOOK_URL); the sandbox's emulator reaches the app. */
  readonly live: boolean;
  /** POEKHALI_HOME, where a generated secret is kept. */
  readonly home: string;
  readonly telegram: TelegramConfig;
  /** Restate's ingress: an update is answered 200 only once Restate has accepted it. */
  readonly ingress: RestateIngress;
  /** The update types `setWebhook` asks for; presses and messages (the worker serves both consumers) by default. */
  readonly allowedUpdates?: readonly IngestedUpdateType[];
  readonly log: (line: string) => void;
}

/** The webhook's routes, and the `setWebhook` call to make once the app listens. */
export interface TelegramWebhook {
  readonly routes: Hono;
  /** In webhook mode, points the bot's webhook at TELEGRAM_WEBHOOK_URL (or, in the sandbox, at `appUrl`). */
  register(appUrl: string): Promise<void>;
}

const user = z.looseObject({
  id: z.number().int(),
  first_name: z.string(),
  username: z.string().optional(),
});
const chat = z.looseObject({ id: z.number().int() });
/** The parts of an Update the ingester reads, checked; everything else passes through untouched. */
const updateSchema = z.looseObject({
  update_id: z.number().int().nonnegative(),
  callback_query: z
    .looseObject({
      id: z.string(),
      from: user,
      data: z.string().optional(),
      message: z.looseObject({ message_id: z.number().int(), chat }).optional(),
    })
    .optional(),
  message: z
    .looseObject({
      message_id: z.number().int(),
      chat,
      from: user.optional(),
      text: z.string().optional(),
      reply_to_message: z
        .looseObject({ message_id: z.number().int() })
        .optional(),
    })
    .optional(),
});

const problem = (
  c: Context,
  status: 400 | 401 | 404 | 503,
  title: string,
  detail: string,
) => c.json({ title, status, detail }, status);

const tooLarge = (c: Context) =>
  problem(
    c,
    400,
    "Bad request",
    "the body is over 1 MiB: not a Telegram Update",
  );
const streamedBodyLimit = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: tooLarge,
});

/**
 * The 1 MiB limit. A body with a Content-Length (Telegram always sends one) is judged by the header alone: Hono's
 * `bodyLimit` first asks for the request's body stream, which makes @hono/node-server build a whole web `Request`
 * around the socket, the largest cost of an update on this route; left alone, `c.req.text()` reads the socket
 * directly. A chunked body is counted as it streams in.
 */
const updateBodyLimit: MiddlewareHandler = async (c, next) => {
  const length = c.req.header("content-length");
  if (length === undefined || c.req.header("transfer-encoding") !== undefined)
    return streamedBodyLimit(c, next);
  if (!/^\d+$/.test(length.trim()) || Number(length) > MAX_BODY_BYTES)
    return tooLarge(c);
  await next();
};

/**
 * `POST /telegram/webhook`: checks `X-Telegram-Bot-Api-Secret-Token` in constant time (401), takes a JSON Update of
 * at most 1 MiB (400), hands it to Restate with the update id as idempotency key and answers 200 only once Restate
 * accepted it (503 otherwise, and Telegram retries). In poll mode the route answers 404 and stores nothing.
 *
 * @example
 * const webhook = telegramWebhook({ updates: config.updates, live: true, home: config.home, telegram, ingress, log });
 * web.route("/", webhook.routes);
 * await webhook.register(appUrl);
 */
export function telegramWebhook(
  options: TelegramWebhookOptions,
): TelegramWebhook {
  const routes = new Hono();
  const settings = new WebhookSettings({
    token: options.telegram.token,
    apiRoot: options.telegram.apiRoot,
  });
  // Signs each press it hands over, so the router can tell it from a press made up by another local process.
  const hook = new TelegramHook({
    token: options.telegram.token,
    apiRoot: options.telegram.apiRoot,
  });
  const botId = hook.botId;
  if (options.updates.mode !== "webhook") {
    routes.post(WEBHOOK_PATH, (c) =>
      problem(
        c,
        404,
        "Not found",
        "this app polls Telegram (TELEGRAM_UPDATES=poll); it takes no webhook",
      ),
    );
    return { routes, register: () => Promise.resolve() };
  }
  if (options.live && !options.updates.webhookUrl) {
    throw new ConfigError(
      "TELEGRAM_WEBHOOK_URL",
      "is required with TELEGRAM_UPDATES=webhook: the public https URL of this app's /telegram/webhook",
    );
  }
  const secret = options.updates.webhookSecret ?? keptSecret(options.home);
  let failing = false;
  const clock = new ReceptionClock();
  // A press that its router has not answered within Telegram's window gets a neutral answer from here.
  const late = new LateAnswers({
    hook,
    log: (m) => options.log(`[app] telegram webhook: ${m}`),
  });

  routes.post(
    WEBHOOK_PATH,
    async (c, next) => {
      if (!secretMatches(secret, c.req.header(SECRET_HEADER))) {
        return problem(
          c,
          401,
          "Unauthorized",
          `missing or wrong ${SECRET_HEADER}`,
        );
      }
      await next();
    },
    updateBodyLimit,
    async (c) => {
      let raw: unknown;
      try {
        raw = JSON.parse(await c.req.text());
      } catch {
        return problem(c, 400, "Bad request", "the body is not JSON");
      }
      const parsed = updateSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        return problem(
          c,
          400,
          "Bad request",
          `not a Telegram Update: ${issue?.path.join(".") || "body"} ${issue?.message ?? "is invalid"}`,
        );
      }
      const update = parsed.data;
      const arrivedAt = performance.now();
      try {
        await handOverUpdate(update, {
          hook,
          ingress: options.ingress,
          clock,
        });
      } catch (error) {
        if (!failing)
          options.log(
            `[app] Restate did not accept update ${update.update_id} of bot ${botId} (${String(error)}); Telegram will retry it`,
          );
        failing = true;
        return problem(
          c,
          503,
          "Unavailable",
          "Restate did not accept the update; retry later",
        );
      }
      // Only once Restate has it: a refused update is sent again by Telegram, and watched then.
      late.watch([update], arrivedAt);
      if (failing)
        options.log(`[app] Restate accepts bot ${botId}'s updates again`);
      failing = false;
      return c.json({ ok: true });
    },
  );

  return {
    routes,
    async register(appUrl: string) {
      const url = options.updates.webhookUrl ?? `${appUrl}${WEBHOOK_PATH}`;
      await settings.set(url, {
        secretToken: secret,
        allowedUpdates: options.allowedUpdates ?? INGESTED_UPDATES,
      });
      const shown = new URL(url);
      options.log(
        `[app] Telegram posts bot ${botId}'s updates to ${shown.origin}${shown.pathname} (TELEGRAM_UPDATES=webhook)`,
      );
    },
  };
}

/** The secret kept in POEKHALI_HOME, made (readable by the owner only) the first time. */
function keptSecret(home: string): string {
  const file = join(home, SECRET_FILE);
  if (existsSync(file)) {
    const kept = readFileSync(file, "utf8").trim();
    if (kept) return kept;
  }
  const secret = newWebhookSecret();
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
