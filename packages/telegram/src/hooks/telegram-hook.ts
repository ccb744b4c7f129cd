import { Api, GrammyError, HttpError } from "grammy";
import type { InlineKeyboardMarkup, Message, Update } from "grammy/types";
import { ConnectionError, type Connection } from "@poekhali/core";
import { TelegramError, redact } from "../errors.js";

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
  readonly #token: string;

  constructor(options: TelegramHookOptions) {
    const match = /^(\d+):[A-Za-z0-9_-]{30,}$/.exec(options.token);
    if (!match) throw new TypeError("the Telegram bot token is not shaped like '<bot id>:<secret>' (see @BotFather)");
    this.botId = Number(match[1]);
    this.#token = options.token;
    this.apiRoot = (options.apiRoot ?? TELEGRAM_API_ROOT).replace(/\/+$/, "");
    this.defaultChatId = options.defaultChatId;
    this.#api = new Api(options.token, { apiRoot: this.apiRoot });
  }

  /** Builds a hook from a `telegram` connection: password = token, host = default chat, extra.api_root. */
  static fromConnection(connection: Connection): TelegramHook {
    if (!connection.password) throw new ConnectionError(connection.connId, "has no bot token (password)");
    return new TelegramHook({
      token: connection.password,
      ...(connection.extra.api_root ? { apiRoot: connection.extra.api_root } : {}),
      ...(connection.host ? { defaultChatId: connection.host } : {}),
    });
  }

  /** The chat to use: the one given, else the connection's default, else a clear error. */
  chatId(chatId: string | undefined): string {
    const chosen = chatId ?? this.defaultChatId;
    if (!chosen) throw new TypeError("no chat id: pass chatId or set the connection's chat (TELEGRAM_CHAT_ID)");
    return chosen;
  }

  /** Sends a text message, optionally with an inline keyboard. */
  sendMessage(options: { chatId?: string; text: string; replyMarkup?: InlineKeyboardMarkup }): Promise<Message.TextMessage> {
    return this.#call("sendMessage", (api) =>
      api.sendMessage(this.chatId(options.chatId), options.text, {
        ...(options.replyMarkup ? { reply_markup: options.replyMarkup } : {}),
      }),
    );
  }

  /** Answers a callback query so the presser's client stops its spinner; `text` shows as a toast. */
  answerCallbackQuery(callbackQueryId: string, text?: string): Promise<true> {
    return this.#call("answerCallbackQuery", (api) =>
      api.answerCallbackQuery(callbackQueryId, text === undefined ? {} : { text }),
    );
  }

  /** Replaces a message's inline keyboard, or removes it when `replyMarkup` is absent. */
  editReplyMarkup(chatId: string, messageId: number, replyMarkup?: InlineKeyboardMarkup): Promise<unknown> {
    return this.#call("editMessageReplyMarkup", (api) =>
      api.editMessageReplyMarkup(chatId, messageId, replyMarkup ? { reply_markup: replyMarkup } : {}),
    );
  }

  /** Replaces a message's text (and drops its keyboard unless one is given). */
  editText(chatId: string, messageId: number, text: string, replyMarkup?: InlineKeyboardMarkup): Promise<unknown> {
    return this.#call("editMessageText", (api) =>
      api.editMessageText(chatId, messageId, text, replyMarkup ? { reply_markup: replyMarkup } : {}),
    );
  }

  /** Long-polls for updates; `offset` confirms (deletes) every older update for every consumer. */
  getUpdates(options: { offset?: number; timeoutSeconds: number; allowedUpdates: string[] }, signal?: AbortSignal): Promise<Update[]> {
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

  async #call<T>(method: string, run: (api: Api) => Promise<T>): Promise<T> {
    try {
      return await run(this.#api);
    } catch (error) {
      if (error instanceof GrammyError) {
        const message = `Telegram refused ${method} (${error.error_code}: ${error.description})`;
        throw new TelegramError(redact(message, this.#token), method, error.error_code, error.description);
      }
      if (error instanceof HttpError) {
        const cause = error.error instanceof Error ? error.error.message : String(error.error);
        const message = `could not reach Telegram at ${this.apiRoot} for ${method}: ${cause}`;
        throw new TelegramError(redact(message, this.#token), method, 0, redact(cause, this.#token));
      }
      throw error;
    }
  }
}
