import type { BotRecord } from "./telegram-state.js";

/** How webhook deliveries back off after a failure: the first delay doubles up to the maximum. */
export interface WebhookRetryOptions {
  /** Delay after the first failure, in milliseconds; defaults to 500. */
  firstDelayMs?: number;
  /** Longest delay between attempts, in milliseconds; defaults to 10 000. */
  maxDelayMs?: number;
}

/** The outcome of one webhook delivery attempt, reported once the queue reflects it. */
export interface WebhookAttempt {
  update_id: number;
  ok: boolean;
  /** Why the attempt failed, as getWebhookInfo's `last_error_message` says. */
  error?: string;
}

/** Delivers one bot's queued updates to its webhook in order, one at a time, retrying with backoff until a 2xx answer. */
export class WebhookDeliverer {
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  private readonly firstDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly bot: BotRecord,
    private readonly now: () => number,
    retry: WebhookRetryOptions = {},
    private readonly attempted: (attempt: WebhookAttempt) => void = () =>
      undefined,
  ) {
    this.firstDelayMs = retry.firstDelayMs ?? 500;
    this.maxDelayMs = retry.maxDelayMs ?? 10_000;
    this.done = this.run();
  }

  /** Stops delivering and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    await this.done;
  }

  private async run(): Promise<void> {
    let failures = 0;
    const stoppedSignal = new Promise<void>((resolve) =>
      this.abort.signal.addEventListener("abort", () => resolve()),
    );
    while (!this.stopped) {
      const webhook = this.bot.webhook;
      const update = this.bot.queue.peek();
      if (webhook === undefined) return;
      if (update === undefined) {
        await Promise.race([this.bot.queue.whenPushed(), stoppedSignal]);
        continue;
      }
      const error = await this.post(webhook.url, webhook.secretToken, update);
      if (error === undefined) {
        if (this.bot.queue.peek() === update) this.bot.queue.shift();
        failures = 0;
        this.attempted({ update_id: update.update_id, ok: true });
        continue;
      }
      if (this.stopped) return;
      webhook.lastErrorDate = Math.floor(this.now() / 1000);
      webhook.lastErrorMessage = error;
      this.attempted({ update_id: update.update_id, ok: false, error });
      await Promise.race([
        delay(Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** failures)),
        stoppedSignal,
      ]);
      failures += 1;
    }
  }

  private async post(
    url: string,
    secretToken: string | undefined,
    update: unknown,
  ): Promise<string | undefined> {
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(secretToken === undefined
            ? {}
            : { "x-telegram-bot-api-secret-token": secretToken }),
        },
        body: JSON.stringify(update),
        signal: this.abort.signal,
      });
      await response.arrayBuffer().catch(() => undefined);
      return response.ok
        ? undefined
        : `Wrong response from the webhook: ${response.status} ${response.statusText}`;
    } catch (error) {
      return `Connection failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
