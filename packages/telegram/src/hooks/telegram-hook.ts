import { createHmac, timingSafeEqual } from "node:crypto";
import { autoRetry, type AutoRetryOptions } from "@grammyjs/auto-retry";
import { Api, GrammyError, HttpError } from "grammy";
import type {
  ChatFullInfo,
  ForceReply,
  InlineKeyboardMarkup,
  Message,
  ParseMode,
  Update,
  WebhookInfo,
} from "grammy/types";
import { ConnectionError, type Connection } from "@poekhali/core";
import { TelegramError, redact } from "../errors.js";
import { RecentIds } from "./recent-ids.js";
import { SendLimiter } from "./send-limiter.js";

/** How long an answered callback query is remembered: past Telegram's 15 s window, after which it refuses anyway. */
const ANSWERED_KEPT_MS = 30_000;

/** The Bot API's default address. */
export const TELEGRAM_API_ROOT = "https://api.telegram.org";

/** Options of a {@link TelegramHook}. */
export interface TelegramHookOptions {
  /** The bot token from BotFather; kept private to the hook. */
  readonly token: string;
  /** Another server that speaks the Bot API (an emulator, a local Bot API server); no trailing slash. */
  readonly apiRoot?: string;
  /** The chat operators use when they are given none (Airflow keeps it in the connection's host). */
  readonly defaultChatId?: string;
  /**
   * Whether `sendMessage` waits for a slot within Telegram's limits (30/s per bot, 20/min per group). By default
   * yes on Telegram's own API and no on another server: an emulator has no such limits (a local Bot API server
   * forwards to Telegram and has them: set it). A connection sets it with `extra.rate_limit: "on" | "off"`.
   */
  readonly rateLimit?: boolean;
  /** The limiter that spaces sends (implies `rateLimit`); by default the one this process shares for the bot. */
  readonly limiter?: SendLimiter;
  /**
   * grammY's auto-retry, which waits out a 429's `retry_after`; merged over {@link AUTO_RETRY_DEFAULTS}.
   * Network and 5xx failures are left to the caller's retries (Airflow's or Restate's), which are durable.
   */
  readonly autoRetry?: Partial<AutoRetryOptions>;
}

/** How the hook's auto-retry behaves unless told otherwise. */
export const AUTO_RETRY_DEFAULTS: AutoRetryOptions = {
  maxRetryAttempts: 3,
  // A longer wait fails the call as a retryable TelegramError: better a durable retry than a step held a minute.
  maxDelaySeconds: 60,
  // Otherwise auto-retry retries network errors forever, inside one step.
  rethrowHttpErrors: true,
  rethrowInternalServerErrors: true,
};

/** A message to post with {@link TelegramHook.sendMessage}. */
export interface SendMessage {
  /** The chat to post in; the hook's default chat when absent. */
  readonly chatId?: string;
  readonly text: string;
  /** How Telegram reads markup in the text: `HTML`, `MarkdownV2` or the legacy `Markdown`; plain text when absent. */
  readonly parseMode?: ParseMode;
  /** An inline keyboard, or a ForceReply that opens a reply to the message in the targeted users' apps. */
  readonly replyMarkup?: InlineKeyboardMarkup | ForceReply;
  /** The message this one replies to; sent even if that message is gone. */
  readonly replyToMessageId?: number;
  /** Aborts the wait for a free slot and the call (an operator passes its `context.signal`). */
  readonly signal?: AbortSignal;
}

/** What to change in a message with {@link TelegramHook.editMessage}. */
export interface EditMessage {
  readonly chatId: string;
  readonly messageId: number;
  /** The new text; the text stays when absent (then only the keyboard is edited). */
  readonly text?: string;
  readonly parseMode?: ParseMode;
  /** The keyboard the message shows afterwards; none when absent (Telegram drops it on a text edit too). */
  readonly replyMarkup?: InlineKeyboardMarkup;
  readonly signal?: AbortSignal;
  /**
   * Whether a 429 is waited out (auto-retry; the default). `false` makes the call fail with the first 429, for a
   * caller that hands the edit to a durable retry rather than hold anything for flood control.
   */
  readonly waitOutRateLimits?: boolean;
}

/**
 * Talks to one bot through grammY's `Api`; every failure becomes a {@link TelegramError} without the token.
 *
 * @example
 * const hook = TelegramHook.fromConnection(context.connections.get("telegram_default"));
 * await hook.sendMessage({ chatId: "-100123", text: "Поехали?" });
 */
export class TelegramHook {
  /** The bot's id: the number before the colon of its token, safe to log and to key state by. */
  readonly botId: number;
  readonly apiRoot: string;
  readonly defaultChatId: string | undefined;
  readonly #api: Api;
  /** The same bot without auto-retry: one request per call, a 429 fails it at once. */
  readonly #apiOnce: Api;
  readonly #token: string;
  readonly #limiter: SendLimiter | null;
  /** Callback queries this hook answered, or saw Telegram refuse to answer, lately: Telegram takes one answer. */
  readonly #answered = new RecentIds(ANSWERED_KEPT_MS);

  constructor(options: TelegramHookOptions) {
    const match = /^(\d+):[A-Za-z0-9_-]{30,}$/.exec(options.token);
    if (!match)
      throw new TypeError(
        "the Telegram bot token is not shaped like '<bot id>:<secret>' (see @BotFather)",
      );
    this.botId = Number(match[1]);
    this.#token = options.token;
    this.apiRoot = (options.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/+$/, "");
    this.defaultChatId = options.defaultChatId;
    this.#api = new Api(options.token, { apiRoot: this.apiRoot });
    this.#api.config.use(
      autoRetry({ ...AUTO_RETRY_DEFAULTS, ...options.autoRetry }),
    );
    this.#apiOnce = new Api(options.token, { apiRoot: this.apiRoot });
    const limited =
      options.limiter !== undefined ||
      (options.rateLimit ?? this.apiRoot === TELEGRAM_API_ROOT);
    this.#limiter = limited
      ? (options.limiter ?? SendLimiter.shared(this.apiRoot, this.botId))
      : null;
  }

  /**
   * A signature keyed by the bot's token (HMAC-SHA256, base64url) over `parts`: only whoever holds the token can
   * make it, and it never reveals the token. `purpose` keeps signatures of different uses apart.
   */
  sign(purpose: string, ...parts: readonly string[]): string {
    return createHmac("sha256", this.#token)
      .update([`poekhali:${purpose}`, ...parts].join("\n"))
      .digest("base64url");
  }

  /** Whether `signature` is {@link sign}'s for these parts; compared in constant time. */
  verify(
    signature: string,
    purpose: string,
    ...parts: readonly string[]
  ): boolean {
    const expected = Buffer.from(this.sign(purpose, ...parts));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /**
   * Builds a hook from a `telegram` connection: password = token, host = default chat, extra.api_root, and
   * extra.rate_limit: "on" to space sends within Telegram's limits on another server (a local Bot API server,
   * which forwards to Telegram), "off" to send without spacing; unset: on for Telegram's own API only.
   */
  static fromConnection(connection: Connection): TelegramHook {
    if (!connection.password)
      throw new ConnectionError(
        connection.connId,
        "has no bot token (password)",
      );
    return new TelegramHook({
      token: connection.password,
      ...(connection.extra.api_root
        ? { apiRoot: connection.extra.api_root }
        : {}),
      ...(connection.host ? { defaultChatId: connection.host } : {}),
      ...rateLimit(connection.extra.rate_limit),
    });
  }

  /** The chat to use: the one given, else the connection's default, else a clear error. */
  chatId(chatId: string | undefined): string {
    const chosen = chatId ?? this.defaultChatId;
    if (!chosen)
      throw new TypeError(
        "no chat id: pass chatId or set the connection's chat (TELEGRAM_CHAT_ID)",
      );
    return chosen;
  }

  /** Sends a text message, optionally with markup and an inline keyboard, once the limiter gives it a slot. */
  async sendMessage(options: SendMessage): Promise<Message.TextMessage> {
    const chatId = this.chatId(options.chatId);
    await this.#limiter?.take(chatId, options.signal);
    const other = {
      ...(options.parseMode ? { parse_mode: options.parseMode } : {}),
      ...(options.replyMarkup ? { reply_markup: options.replyMarkup } : {}),
      ...(options.replyToMessageId === undefined
        ? {}
        : {
            reply_parameters: {
              message_id: options.replyToMessageId,
              allow_sending_without_reply: true,
            },
          }),
    };
    const signal = options.signal as Parameters<Api["sendMessage"]>[3];
    return this.#call("sendMessage", (api) =>
      api.sendMessage(chatId, options.text, other, signal),
    );
  }

  /**
   * Edits a message's text and keyboard, or its keyboard alone when no text is given. Resolves `false` when
   * Telegram says the message is not modified (it already reads so): the caller's wish holds, so it is no error.
   */
  async editMessage(options: EditMessage): Promise<boolean> {
    const markup = options.replyMarkup
      ? { reply_markup: options.replyMarkup }
      : {};
    const signal = options.signal as Parameters<Api["editMessageText"]>[4];
    const { chatId, messageId, text } = options;
    const client =
      options.waitOutRateLimits === false ? this.#apiOnce : this.#api;
    try {
      if (text === undefined) {
        await this.#call(
          "editMessageReplyMarkup",
          (api) =>
            api.editMessageReplyMarkup(chatId, messageId, markup, signal),
          client,
        );
      } else {
        const parse = options.parseMode
          ? { parse_mode: options.parseMode }
          : {};
        await this.#call(
          "editMessageText",
          (api) =>
            api.editMessageText(
              chatId,
              messageId,
              text,
              { ...parse, ...markup },
              signal,
            ),
          client,
        );
      }
      return true;
    } catch (error) {
      if (
        error instanceof TelegramError &&
        error.errorCode === 400 &&
        error.description.includes("message is not modified")
      )
        return false;
      throw error;
    }
  }

  /**
   * Answers a callback query so the presser's client stops its spinner; `text` shows as a toast. With
   * `waitOutRateLimits: false` a 429 fails at once instead of being waited out.
   */
  async answerCallbackQuery(
    callbackQueryId: string,
    text?: string,
    options: { readonly waitOutRateLimits?: boolean } = {},
  ): Promise<true> {
    try {
      await this.#call(
        "answerCallbackQuery",
        (api) =>
          api.answerCallbackQuery(
            callbackQueryId,
            text === undefined ? {} : { text },
          ),
        options.waitOutRateLimits === false ? this.#apiOnce : this.#api,
      );
    } catch (error) {
      // Answered already, or past its window: no later answer is taken either.
      if (
        error instanceof TelegramError &&
        error.errorCode === 400 &&
        /query is too old|query id is invalid/i.test(error.description)
      )
        this.#answered.add(callbackQueryId);
      throw error;
    }
    this.#answered.add(callbackQueryId);
    return true;
  }

  /**
   * Whether this hook answered the callback query lately (or Telegram refused its answer for good): a further answer
   * would be refused, so a caller may skip it. False says nothing: another process may have answered it.
   */
  answeredLately(callbackQueryId: string): boolean {
    return this.#answered.has(callbackQueryId);
  }

  /** Replaces a message's inline keyboard, or removes it when `replyMarkup` is absent. */
  editReplyMarkup(
    chatId: string,
    messageId: number,
    replyMarkup?: InlineKeyboardMarkup,
  ): Promise<unknown> {
    return this.#call("editMessageReplyMarkup", (api) =>
      api.editMessageReplyMarkup(
        chatId,
        messageId,
        replyMarkup ? { reply_markup: replyMarkup } : {},
      ),
    );
  }

  /** Replaces a message's text (and drops its keyboard unless one is given). */
  editText(
    chatId: string,
    messageId: number,
    text: string,
    replyMarkup?: InlineKeyboardMarkup,
  ): Promise<unknown> {
    return this.#call("editMessageText", (api) =>
      api.editMessageText(
        chatId,
        messageId,
        text,
        replyMarkup ? { reply_markup: replyMarkup } : {},
      ),
    );
  }

  /** A chat's full information (its title, for naming it to people). */
  getChat(chatId: string): Promise<ChatFullInfo> {
    return this.#call("getChat", (api) => api.getChat(chatId));
  }

  /** Long-polls for updates; `offset` confirms (deletes) every older update for every consumer. */
  getUpdates(
    options: {
      offset?: number;
      timeoutSeconds: number;
      allowedUpdates: string[];
    },
    signal?: AbortSignal,
  ): Promise<Update[]> {
    return this.#call("getUpdates", (api) =>
      api.getUpdates(
        {
          ...(options.offset === undefined ? {} : { offset: options.offset }),
          timeout: options.timeoutSeconds,
          allowed_updates: options.allowedUpdates as never,
        },
        signal as Parameters<Api["getUpdates"]>[1],
      ),
    );
  }

  /** The webhook Telegram posts to (`url` is empty when none is set: then `getUpdates` works). */
  getWebhookInfo(): Promise<WebhookInfo> {
    return this.#call("getWebhookInfo", (api) => api.getWebhookInfo());
  }

  /** Has Telegram post every update of these types to `url`, with `secretToken` in its secret header. */
  setWebhook(
    url: string,
    options: {
      readonly secretToken: string;
      readonly allowedUpdates: readonly string[];
    },
  ): Promise<true> {
    return this.#call("setWebhook", (api) =>
      api.setWebhook(url, {
        secret_token: options.secretToken,
        allowed_updates: [...options.allowedUpdates] as never,
      }),
    );
  }

  /** Removes the webhook, so that `getUpdates` works again; pending updates are kept. */
  deleteWebhook(): Promise<true> {
    return this.#call("deleteWebhook", (api) =>
      api.deleteWebhook({ drop_pending_updates: false }),
    );
  }

  async #call<T>(
    method: string,
    run: (api: Api) => Promise<T>,
    api: Api = this.#api,
  ): Promise<T> {
    try {
      return await run(api);
    } catch (error) {
      if (error instanceof GrammyError) {
        const message = `Telegram refused ${method} (${error.error_code}: ${error.description})`;
        throw new TelegramError(
          redact(message, this.#token),
          method,
          error.error_code,
          error.description,
        );
      }
      if (error instanceof HttpError) {
        const cause =
          error.error instanceof Error
            ? error.error.message
            : String(error.error);
        const message = `could not reach Telegram at ${this.apiRoot} for ${method}: ${cause}`;
        throw new TelegramError(
          redact(message, this.#token),
          method,
          0,
          redact(cause, this.#token),
        );
      }
      throw error;
    }
  }
}

/** The limiter option a connection's `extra.rate_limit` asks for. */
function rateLimit(value: string | undefined): { rateLimit?: boolean } {
  if (value === undefined) return {};
  if (value === "on" || value === "off") return { rateLimit: value === "on" };
  throw new TypeError(
    `the Telegram connection's extra.rate_limit must be "on" or "off", got "${value}"`,
  );
}
