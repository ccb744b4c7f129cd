import type { RestateIngress } from "@poekhali/core";
import type { Update } from "grammy/types";
import { TelegramError } from "../errors.js";
import type { TelegramHook } from "../hooks/telegram-hook.js";
import { messageKey, type PressEvent } from "./press.js";
import { ROUTER_NAME } from "./watch.js";

/** Options of an {@link UpdatePoller}. */
export interface UpdatePollerOptions {
  readonly hook: TelegramHook;
  /** Restate's ingress, where each update is handed over before it is confirmed to Telegram. */
  readonly ingress: RestateIngress;
  /** Long-poll length; must stay well under Restate's and proxies' timeouts. 25 s by default. */
  readonly timeoutSeconds?: number;
  readonly log?: (message: string) => void;
}

/**
 * The one long-poller of a bot: it hands every callback query to the router in Restate
 * (idempotency key = update id) and only then advances the offset, which confirms the update
 * to Telegram; a poller killed halfway loses nothing and duplicates nothing.
 */
export class UpdatePoller {
  readonly #options: UpdatePollerOptions;
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;
  #offset: number | undefined;

  constructor(options: UpdatePollerOptions) {
    this.#options = options;
  }

  /** Starts polling in the background. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops polling and waits for the current round to end. */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const log = this.#options.log ?? (() => undefined);
    let failures = 0;
    let reportedConflict = false;
    while (!this.#abort.signal.aborted) {
      try {
        const updates = await this.#options.hook.getUpdates(
          { offset: this.#offset, timeoutSeconds: this.#options.timeoutSeconds ?? 25, allowedUpdates: ["callback_query"] },
          this.#abort.signal,
        );
        const receivedAt = new Date().toISOString();
        for (const update of updates) {
          await this.#handOver(update, receivedAt);
          this.#offset = update.update_id + 1;
        }
        failures = 0;
      } catch (error) {
        if (this.#abort.signal.aborted) break;
        failures++;
        if (error instanceof TelegramError && error.errorCode === 409) {
          if (!reportedConflict) {
            log(
              `Telegram says another consumer holds this bot's updates (${error.description}). ` +
                "Stop the other poller, or delete its webhook (deleteWebhook); polling backs off meanwhile.",
            );
            reportedConflict = true;
          }
        } else {
          log(`polling Telegram failed (${failures} in a row): ${error instanceof Error ? error.message : String(error)}`);
        }
        await pause(Math.min(30_000, 500 * 2 ** Math.min(failures, 6)), this.#abort.signal);
      }
    }
  }

  async #handOver(update: Update, receivedAt: string): Promise<void> {
    const query = update.callback_query;
    const message = query?.message;
    if (!query || !message) return;
    const botId = this.#options.hook.botId;
    const event: PressEvent = {
      update_id: update.update_id,
      callback_query_id: query.id,
      bot_id: botId,
      chat_id: String(message.chat.id),
      message_id: message.message_id,
      data: query.data ?? null,
      from: {
        id: query.from.id,
        first_name: query.from.first_name,
        ...(query.from.username ? { username: query.from.username } : {}),
      },
      received_at: receivedAt,
    };
    await this.#options.ingress.send(
      { service: ROUTER_NAME, handler: "press", key: messageKey(botId, event.chat_id, event.message_id) },
      { ...event, from: { ...event.from } },
      { idempotencyKey: `telegram-update-${botId}-${update.update_id}` },
    );
  }
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
