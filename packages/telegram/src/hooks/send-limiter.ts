/** How many messages a bot may send: Telegram's documented limits (https://core.telegram.org/bots/faq). */
export interface SendLimits {
  /** Messages per second across all chats ("about 30"). */
  readonly perSecond: number;
  /** Messages per minute into one group or supergroup (a chat with a negative id). */
  readonly perGroupPerMinute: number;
}

/** Telegram's limits for a bot without paid broadcasts. */
export const TELEGRAM_SEND_LIMITS: SendLimits = {
  perSecond: 30,
  perGroupPerMinute: 20,
};

/** Where a {@link SendLimiter} reads the time and waits; tests pass one whose `sleep` moves a fake time on. */
export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

const systemClock: LimiterClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason as Error);
      const abort = () => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", abort);
        resolve();
      }, ms);
      signal?.addEventListener("abort", abort, { once: true });
    }),
};

/** The send times of the last `limit` messages, to tell how long the next must wait. */
class Window {
  readonly #times: number[] = [];
  constructor(
    readonly limit: number,
    readonly ms: number,
  ) {}

  waitAt(now: number): number {
    while (this.#times.length > 0 && this.#times[0]! + this.ms <= now)
      this.#times.shift();
    return this.#times.length < this.limit
      ? 0
      : this.#times[0]! + this.ms - now;
  }

  record(now: number): void {
    this.#times.push(now);
  }

  get idle(): boolean {
    return this.#times.length === 0;
  }
}

const shared = new Map<string, SendLimiter>();

/**
 * Spaces one bot's sends to stay within Telegram's limits in this process (sliding windows: the bot's last
 * second, and each group's last minute), so a busy run waits instead of earning 429s. A 429 that still comes
 * (other processes, other limits) is honoured by the hook's auto-retry.
 *
 * @example
 * const limiter = new SendLimiter(TELEGRAM_SEND_LIMITS);
 * await limiter.take("-1001234"); // returns once a message to that group may go
 */
export class SendLimiter {
  readonly #bot: Window;
  readonly #groups = new Map<string, Window>();

  constructor(
    readonly limits: SendLimits = TELEGRAM_SEND_LIMITS,
    private readonly clock: LimiterClock = systemClock,
  ) {
    this.#bot = new Window(limits.perSecond, 1_000);
  }

  /** The limiter every hook of this bot (on this API server) shares in this process, with Telegram's limits. */
  static shared(apiRoot: string, botId: number): SendLimiter {
    const key = `${apiRoot} ${botId}`;
    let limiter = shared.get(key);
    if (!limiter) shared.set(key, (limiter = new SendLimiter()));
    return limiter;
  }

  /** Waits until a message to `chatId` may be sent within the limits, and counts it as sent. */
  async take(chatId: string, signal?: AbortSignal): Promise<void> {
    const group = chatId.startsWith("-") ? this.#group(chatId) : undefined;
    for (;;) {
      const now = this.clock.now();
      const wait = Math.max(this.#bot.waitAt(now), group?.waitAt(now) ?? 0);
      if (wait <= 0) {
        this.#bot.record(now);
        group?.record(now);
        return;
      }
      // Others may take the slot while this one sleeps: look again after.
      await this.clock.sleep(wait, signal);
    }
  }

  #group(chatId: string): Window {
    let window = this.#groups.get(chatId);
    if (!window) {
      // Forget groups that sent nothing for a minute, so the map stays as small as the set of busy groups.
      const now = this.clock.now();
      for (const [id, w] of this.#groups)
        if (w.waitAt(now) === 0 && w.idle) this.#groups.delete(id);
      this.#groups.set(
        chatId,
        (window = new Window(this.limits.perGroupPerMinute, 60_000)),
      );
    }
    return window;
  }
}
