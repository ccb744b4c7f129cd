import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { WebhookInfo } from "grammy/types";
import { ConnectionError, type Connection } from "@poekhali/core";
import { TelegramHook } from "../hooks/telegram-hook.js";
import type { IngestedUpdateType } from "./hand-over.js";

/** The header Telegram puts a webhook's `secret_token` in. */
export const SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token";

/**
 * A bot's update delivery as Telegram sees it: `getWebhookInfo`, `setWebhook`, `deleteWebhook`. Failures become
 * {@link TelegramError}s without the token.
 *
 * @example
 * const settings = WebhookSettings.fromConnection(connections.get("telegram_default"));
 * if ((await settings.info()).url) console.log("a webhook is set: getUpdates answers 409");
 */
export class WebhookSettings {
  /** The bot's id: the number before the colon of its token. */
  readonly botId: number;
  readonly #hook: TelegramHook;

  constructor(options: { readonly token: string; readonly apiRoot?: string }) {
    // The hook parses the token, talks to the Bot API and keeps the token out of every error.
    this.#hook = new TelegramHook(options);
    this.botId = this.#hook.botId;
  }

  /** Builds the settings of a `telegram` connection's bot (password = token, extra.api_root). */
  static fromConnection(connection: Connection): WebhookSettings {
    if (!connection.password)
      throw new ConnectionError(
        connection.connId,
        "has no bot token (password)",
      );
    return new WebhookSettings({
      token: connection.password,
      ...(connection.extra.api_root
        ? { apiRoot: connection.extra.api_root }
        : {}),
    });
  }

  /** The webhook Telegram posts to (`url` is empty when none is set: then `getUpdates` works). */
  info(): Promise<WebhookInfo> {
    return this.#hook.getWebhookInfo();
  }

  /** Has Telegram post every update of these types to `url`, with `secretToken` in {@link SECRET_HEADER}. */
  set(
    url: string,
    options: {
      readonly secretToken: string;
      readonly allowedUpdates: readonly IngestedUpdateType[];
    },
  ): Promise<true> {
    return this.#hook.setWebhook(url, options);
  }

  /** Removes the webhook, so that `getUpdates` works again; pending updates are kept. */
  delete(): Promise<true> {
    return this.#hook.deleteWebhook();
  }
}

/** A new webhook secret: 256 random bits in the characters Telegram allows (`A-Z a-z 0-9 _ -`). */
export function newWebhookSecret(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether a request's secret header matches, compared in constant time (neither content nor length leaks). */
export function secretMatches(
  expected: string,
  given: string | null | undefined,
): boolean {
  if (given === null || given === undefined) return false;
  const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(expected), digest(given));
}
