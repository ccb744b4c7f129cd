/** Base class of every error the emulators throw, so callers can catch them as one family. */
export class EmulatorError extends Error {
  override name = "EmulatorError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A misuse of the programmatic API, such as reusing an id or naming an unknown base. */
export class EmulatorUsageError extends EmulatorError {
  override name = "EmulatorUsageError";
}

/** A request body the emulator cannot read: too large, malformed JSON, form or multipart data. */
export class RequestBodyError extends EmulatorError {
  override name = "RequestBodyError";
  constructor(
    readonly reason: "too_large" | "invalid_json" | "invalid_form",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A Bot API refusal, answered as `{"ok": false, "error_code", "description", "parameters"?}`. */
export class TelegramApiError extends EmulatorError {
  override name = "TelegramApiError";
  constructor(
    readonly errorCode: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(`${errorCode}: ${description}`);
  }
}

/** A refusal of the emulator's control API, answered as `{"ok": false, "description"}`. */
export class ControlApiError extends EmulatorError {
  override name = "ControlApiError";
  constructor(
    readonly status: number,
    readonly description: string,
  ) {
    super(`${status}: ${description}`);
  }
}

/** An Airtable REST refusal, answered with the status and body the real API uses. */
export class AirtableApiError extends EmulatorError {
  override name = "AirtableApiError";
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly headers: Record<string, string> = {},
  ) {
    super(`${status}: ${JSON.stringify(body)}`);
  }
}
