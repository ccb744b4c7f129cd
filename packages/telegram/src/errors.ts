/** Telegram refused a call (Bot API `ok: false`) or could not be reached; the bot token is never in the message. */
export class TelegramError extends Error {
  override name = "TelegramError";
  constructor(
    message: string,
    /** The Bot API method that failed. */
    readonly method: string,
    /** Telegram's `error_code` (an HTTP status), or 0 when the network failed. */
    readonly errorCode: number,
    /** Telegram's `description`, e.g. "Bad Request: chat not found". */
    readonly description: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether trying the same call later may work (rate limits, server errors, the network). */
  get retryable(): boolean {
    return (
      this.errorCode === 0 || this.errorCode === 429 || this.errorCode >= 500
    );
  }
}

/** Removes every occurrence of a secret from a text (error messages can echo URLs). */
export function redact(text: string, secret: string | undefined): string {
  return secret ? text.split(secret).join("<redacted>") : text;
}
