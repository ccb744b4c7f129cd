import type { BotRecord } from "./telegram-state.js";

const MAX_BACKOFF_MS = 10_000;

/** Delivers one bot's queued updates to its webhook in order, retrying with backoff until a 2xx answer. */
export class WebhookDeliverer {
  private stopped = false;
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  constructor(
    private readonly bot: BotRecord,
    private readonly now: () => number,
  ) {
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
        continue;
      }
      if (this.stopped) return;
      webhook.lastErrorDate = Math.floor(this.now() / 1000);
      webhook.lastErrorMessage = error;
      failures += 1;
      await Promise.race([
        delay(Math.min(MAX_BACKOFF_MS, 250 * 2 ** failures)),
        stoppedSignal,
      ]);
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
