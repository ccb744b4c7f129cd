import type { IncomingMessage, ServerResponse } from "node:http";
import {
  ControlApiError,
  EmulatorUsageError,
  RequestBodyError,
  TelegramApiError,
} from "../errors.js";
import { startHttpServer } from "../http/http-server.js";
import type { HttpServer } from "../http/http-server.js";
import { readParams } from "../http/request-body.js";
import { sendJson } from "../http/respond.js";
import { botMethods } from "./bot-methods.js";
import type { BotMethod } from "./bot-methods.js";
import { handleTelegramControl } from "./control-api.js";
import { TelegramState } from "./telegram-state.js";
import type { BotRecord } from "./telegram-state.js";
import { WebhookDeliverer } from "./webhook-deliverer.js";
import { webhookMethods } from "./webhook-methods.js";

/** Options of {@link TelegramEmulator.start}. */
export interface TelegramEmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Clock in milliseconds, injectable to test the 15 s and 24 h limits. */
  now?: () => number;
}

/**
 * A local Telegram Bot API server: `{apiRoot}/bot{token}/{method}` plus a control API under `/_emulator/`.
 *
 * @example
 * const telegram = await TelegramEmulator.start();
 * const bot = telegram.createBot({ username: "poekhali_bot" });
 * const api = new Api(bot.token, { apiRoot: telegram.apiRoot });
 */
export class TelegramEmulator {
  /** Base URL for Bot API clients, without a trailing slash. */
  readonly apiRoot: string;
  private readonly methods: Record<string, BotMethod>;
  private readonly deliverers = new Map<number, WebhookDeliverer>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: HttpServer,
    private readonly state: TelegramState,
  ) {
    this.apiRoot = server.url;
    this.methods = {
      ...botMethods,
      ...webhookMethods({ changed: (bot) => this.webhookChanged(bot) }),
    };
  }

  /** Starts an emulator listening on a local port. */
  static async start(
    options: TelegramEmulatorOptions = {},
  ): Promise<TelegramEmulator> {
    const state = new TelegramState(options.now ?? Date.now);
    // No request is handled before the constructor below runs: it follows the listen callback synchronously.
    const server = await startHttpServer(
      (req, res) => emulator.handle(req, res),
      options,
    );
    const emulator = new TelegramEmulator(server, state);
    return emulator;
  }

  /** Creates a bot and returns its id, token and username. */
  createBot(options: { username?: string; firstName?: string } = {}): {
    id: number;
    token: string;
    username: string;
  } {
    const bot = this.state.addBot(options);
    return { id: bot.user.id, token: bot.token, username: bot.user.username };
  }

  /** Creates a chat every bot may post to; groups get negative ids, supergroups -100…. */
  createChat(options: {
    type: "private" | "group" | "supergroup";
    title?: string;
    id?: number;
  }): { id: number } {
    return { id: this.state.addChat(options).chat.id };
  }

  /** Registers a test user who can press buttons through the control API and the chat page. */
  createUser(options: { id?: number; username?: string; firstName: string }): {
    id: number;
    username?: string;
    first_name: string;
    is_bot: false;
  } {
    const user = this.state.addUser(options);
    return { ...user, is_bot: false };
  }

  /** Resolves once a `getUpdates` long poll of that bot is waiting, so tests can act without sleeping. */
  whenPolling(botId: number): Promise<void> {
    const bot = this.state.bots.get(botId);
    if (bot === undefined)
      return Promise.reject(new EmulatorUsageError(`unknown bot ${botId}`));
    return bot.queue.whenPolling();
  }

  /** Stops the server, ending pending long polls and webhook deliveries; safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const bot of this.state.bots.values()) bot.queue.endPolls();
      await Promise.all(
        [...this.deliverers.values()].map((deliverer) => deliverer.stop()),
      );
      this.deliverers.clear();
      await this.server.close();
    })();
    return this.closing;
  }

  private async webhookChanged(bot: BotRecord): Promise<void> {
    await this.deliverers.get(bot.user.id)?.stop();
    this.deliverers.delete(bot.user.id);
    if (bot.webhook !== undefined && this.closing === undefined) {
      this.deliverers.set(
        bot.user.id,
        new WebhookDeliverer(bot, this.state.now),
      );
    }
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    try {
      if (url.pathname.startsWith("/_emulator/")) {
        await handleTelegramControl(this.state, req, res, url.pathname);
        return;
      }
      const match = /^\/bot([^/]*)\/([^/]+)\/?$/.exec(url.pathname);
      if (match === null) throw new TelegramApiError(404, "Not Found");
      const bot = this.state.botByToken(decodeURIComponent(match[1] ?? ""));
      if (bot === undefined) throw new TelegramApiError(401, "Unauthorized");
      const method = this.methods[(match[2] ?? "").toLowerCase()];
      if (method === undefined) throw new TelegramApiError(404, "Not Found");
      const params = await readParams(req, url);
      const aborted = new AbortController();
      res.once("close", () => aborted.abort());
      const result: unknown = await method({
        bot,
        params,
        state: this.state,
        signal: aborted.signal,
      });
      sendJson(res, 200, { ok: true, result });
    } catch (error) {
      if (error instanceof ControlApiError) {
        sendJson(res, error.status, {
          ok: false,
          description: error.description,
        });
      } else if (error instanceof TelegramApiError) {
        sendJson(res, error.errorCode, {
          ok: false,
          error_code: error.errorCode,
          description: error.description,
          ...(error.parameters === undefined
            ? {}
            : { parameters: error.parameters }),
        });
      } else if (error instanceof RequestBodyError) {
        const status = error.reason === "too_large" ? 413 : 400;
        const description =
          status === 413
            ? "Request Entity Too Large"
            : `Bad Request: ${error.message}`;
        const body = url.pathname.startsWith("/_emulator/")
          ? { ok: false, description }
          : { ok: false, error_code: status, description };
        sendJson(res, status, body);
      } else {
        throw error;
      }
    }
  }
}
