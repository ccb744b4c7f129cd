/** Airtable refused a request or could not be reached; the token is never in the message. */
export class AirtableError extends Error {
  override name = "AirtableError";
  constructor(
    message: string,
    /** The HTTP status, or 0 when the network failed. */
    readonly status: number,
    /** Airtable's error type, e.g. `INVALID_VALUE_FOR_COLUMN`, or `NETWORK_ERROR`. */
    readonly type: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** Whether the same request may work later (rate limit, server error, network). */
  get retryable(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

const ADVICE: Record<string, string> = {
  AUTHENTICATION_REQUIRED: "check AIRTABLE_TOKEN: it must be a personal access token (pat…)",
  INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND:
    "check that the token has the scopes it needs (data.records:write, schema.bases:read), that the base is shared with it, and the table's name",
  NOT_FOUND: "check AIRTABLE_BASE_ID (app…)",
  INVALID_VALUE_FOR_COLUMN: "a value does not fit its column's type: text columns take strings, date columns ISO 8601",
  UNKNOWN_FIELD_NAME: "a field name does not exist in the table: compare with the table's columns",
  RATE_LIMIT_REACHED: "Airtable allows 5 requests per second per base; wait 30 s",
};

/** Builds the error for a non-2xx answer from Airtable's body, whatever of its shapes it has. */
export function airtableErrorFrom(status: number, body: unknown, what: string): AirtableError {
  let type = `HTTP_${status}`;
  let detail = "";
  if (typeof body === "object" && body !== null) {
    const b = body as { error?: unknown; errors?: { error?: string; message?: string }[] };
    if (typeof b.error === "string") type = b.error;
    else if (typeof b.error === "object" && b.error !== null) {
      const e = b.error as { type?: string; message?: string };
      type = e.type ?? type;
      detail = e.message ?? "";
    } else if (Array.isArray(b.errors) && b.errors[0]) {
      type = b.errors[0].error ?? type;
      detail = b.errors[0].message ?? "";
    }
  }
  const advice = ADVICE[type];
  const message = `Airtable refused ${what} (${status} ${type}${detail ? `: ${detail}` : ""})${advice ? `: ${advice}` : ""}`;
  return new AirtableError(message, status, type);
}
