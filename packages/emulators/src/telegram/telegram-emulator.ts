import type { IncomingMessage, ServerResponse } from "node:http";
import { EmulatorUsageError } from "../errors.js";
import { startHttpServer } from "../http/http-server.js";
import type { HttpServer } from "../http/http-server.js";
import { botMethods } from "./bot-methods.js";
import type { BotMethod } from "./bot-methods.js";
import { serveBotApi } from "./bot-api-route.js";
import type { BotCall } from "./call-log.js";
import { handleTelegramControl } from "./control-api.js";
import type { TelegramFault } from "./fault-plan.js";
import { TelegramState } from "./telegram-state.js";
import type { BotRecord } from "./telegram-state.js";
import { postUserMessage } from "./user-messages.js";
import type { PostedUserMessage } from "./user-messages.js";
import { WebhookDeliverer } from "./webhook-deliverer.js";
import type {
  WebhookAttempt,
  WebhookRetryOptions,
} from "./webhook-deliverer.js";
import { webhookMethods } from "./webhook-methods.js";
import { sendTelegramError } from "./wire-errors.js";
import { StateFile } from "../state/state-file.js";
import { restoreTelegram, snapshotTelegram } from "./telegram-snapshot.js";

/** Options of {@link TelegramEmulator.start}. */
export interface TelegramEmulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to listen on; defaults to 127.0.0.1. */
  host?: string;
  /** Clock in milliseconds, injectable to test the 15 s and 24 h limits. */
  now?: () => number;
  /** How long after a press `answerCallbackQuery` is accepted, in milliseconds; defaults to Telegram's 15 000. */
  answerWindowMs?: number;
  /** Backoff of webhook deliveries after a failure; tests shorten it. */
  webhookRetry?: WebhookRetryOptions;
  /**
   * A JSON file that keeps bots, chats, messages, users, pending updates and id counters across restarts, as
   * the real service keeps them: read at start when it exists, replaced atomically before each answer that
   * follows a change. Recorded calls and pending faults are not kept.
   */
  stateFile?: string;
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
  private readonly webhookWatchers = new Map<
    number,
    ((attempt: WebhookAttempt) => void)[]
  >();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: HttpServer,
    private readonly state: TelegramState,
    private readonly webhookRetry: WebhookRetryOptions,
    private readonly stateFile: StateFile | undefined,
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
    const state = new TelegramState(
      options.now ?? Date.now,
      options.answerWindowMs,
    );
    const stateFile =
      options.stateFile === undefined
        ? undefined
        : new StateFile(options.stateFile, "Telegram emulator");
    if (stateFile !== undefined) restoreTelegram(state, stateFile);
    // No request is handled before the constructor below runs: it follows the listen callback synchronously.
    const server = await startHttpServer(
      (req, res) => emulator.handle(req, res),
      { ...options, beforeAnswer: () => emulator.save() },
    );
    const emulator = new TelegramEmulator(
      server,
      state,
      options.webhookRetry ?? {},
      stateFile,
    );
    // Webhooks set before a restart go on delivering, as Telegram's do.
    for (const bot of state.bots.values())
      if (bot.webhook !== undefined) await emulator.webhookChanged(bot);
    return emulator;
  }

  /** Creates a bot and returns its id, token and username; its update ids start at `firstUpdateId` (100000001). */
  createBot(
    options: {
      username?: string;
      firstName?: string;
      firstUpdateId?: number;
    } = {},
  ): {
    id: number;
    token: string;
    username: string;
  } {
    const bot = this.state.addBot(options);
    this.save();
    return { id: bot.user.id, token: bot.token, username: bot.user.username };
  }

  /** Finds a bot by its username, as one created before a restart. */
  findBot(
    username: string,
  ): { id: number; token: string; username: string } | undefined {
    for (const bot of this.state.bots.values())
      if (bot.user.username === username)
        return {
          id: bot.user.id,
          token: bot.token,
          username: bot.user.username,
        };
    return undefined;
  }

  /** Finds a group or supergroup by its title, as one created before a restart. */
  findChat(title: string): { id: number } | undefined {
    for (const { chat } of this.state.chats.values())
      if (chat.title === title) return { id: chat.id };
    return undefined;
  }

  /** Tells whether a user with this id exists. */
  hasUser(id: number): boolean {
    return this.state.users.has(id);
  }

  /** Creates a chat every bot may post to; groups get negative ids, supergroups -100…. */
  createChat(options: {
    type: "private" | "group" | "supergroup";
    title?: string;
    id?: number;
  }): { id: number } {
    const { chat } = this.state.addChat(options);
    this.save();
    return { id: chat.id };
  }

  /** Registers a test user who can press buttons through the control API and the chat page. */
  createUser(options: {
    id?: number;
    username?: string;
    firstName: string;
    /** The user's app language as Telegram sends it in `language_code` ("ru", "en"). */
    languageCode?: string;
  }): {
    id: number;
    username?: string;
    first_name: string;
    language_code?: string;
    is_bot: false;
  } {
    const user = this.state.addUser(options);
    this.save();
    return { ...user, is_bot: false };
  }

  /** Resolves once a `getUpdates` long poll of that bot is waiting, so tests can act without sleeping. */
  whenPolling(botId: number): Promise<void> {
    const bot = this.state.bots.get(botId);
    if (bot === undefined)
      return Promise.reject(new EmulatorUsageError(`unknown bot ${botId}`));
    return bot.queue.whenPolling();
  }

  private bot(botId: number): BotRecord {
    const bot = this.state.bots.get(botId);
    if (bot === undefined) throw new EmulatorUsageError(`unknown bot ${botId}`);
    return bot;
  }

  /** Posts a test user's text message, or a reply, and queues it as a `message` update for `botId` or every bot. */
  postUserMessage(input: {
    chatId: number;
    fromId: number;
    text: string;
    replyToMessageId?: number;
    botId?: number;
  }): PostedUserMessage {
    const from = this.state.users.get(input.fromId);
    if (from === undefined)
      throw new EmulatorUsageError(`unknown user ${input.fromId}`);
    const posted = postUserMessage(this.state, { ...input, from });
    this.save();
    return posted;
  }

  /** Makes the next calls of a bot's method fail or hang, as the control API's faults route does. */
  injectFault(botId: number, fault: TelegramFault): void {
    this.bot(botId).faults.add(fault);
  }

  /** Lists every call a bot made (optionally of one method), oldest first. */
  calls(botId: number, method?: string): BotCall[] {
    return this.bot(botId).calls.list(method);
  }

  /** Resolves at a bot's next call of a method, so tests can await a retry without sleeping. */
  whenCalled(botId: number, method: string): Promise<BotCall> {
    return this.bot(botId).calls.whenCalled(method);
  }

  /** Resolves after a bot's next webhook delivery attempt, with its outcome, so tests can await retries without sleeping. */
  whenWebhookAttempt(botId: number): Promise<WebhookAttempt> {
    this.bot(botId);
    return new Promise((resolve) => {
      const watchers = this.webhookWatchers.get(botId) ?? [];
      watchers.push(resolve);
      this.webhookWatchers.set(botId, watchers);
    });
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
      this.save();
    })();
    return this.closing;
  }

  /** Writes the state file (if there is one) when the state changed since it was last written. */
  private save(): void {
    this.stateFile?.save(snapshotTelegram(this.state));
  }

  private async webhookChanged(bot: BotRecord): Promise<void> {
    await this.deliverers.get(bot.user.id)?.stop();
    this.deliverers.delete(bot.user.id);
    if (bot.webhook !== undefined && this.closing === undefined) {
      this.deliverers.set(
        bot.user.id,
        new WebhookDeliverer(
          bot,
          this.state.now,
          this.webhookRetry,
          (error) => {
            // A delivered update leaves the queue: keep that, or a restart would deliver it again. Should the
            // write fail, the next answer writes it; the delivery loop must go on.
            try {
              this.save();
            } catch {
              // Written with the next change.
            }
            const watchers = this.webhookWatchers.get(bot.user.id) ?? [];
            this.webhookWatchers.delete(bot.user.id);
            for (const watcher of watchers) watcher(error);
          },
        ),
      );
    }
  }

  private async handle(
    req: IncomingMessage,
    res: ServerResponse,
  ): Promise<void> {
    const url = new URL(req.url ?? "/", "http://emulator");
    const control = url.pathname.startsWith("/_emulator/");
    try {
      if (control) await handleTelegramControl(this.state, req, res, url);
      else await serveBotApi(this.state, this.methods, req, res, url);
    } catch (error) {
      if (!sendTelegramError(res, error, control)) throw error;
    }
  }
}
