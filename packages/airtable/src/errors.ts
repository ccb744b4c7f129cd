/** Airtable refused a request or could not be reached; the message says what to do and never holds the token. */
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

/** 401: the token is missing, malformed or revoked. */
export class AirtableAuthenticationError extends AirtableError {
  override name = "AirtableAuthenticationError";
}

/** 403: the token lacks a scope, the base is not shared with it, or the table does not exist. */
export class AirtablePermissionError extends AirtableError {
  override name = "AirtablePermissionError";
}

/** 404: no such base, record or route. */
export class AirtableNotFoundError extends AirtableError {
  override name = "AirtableNotFoundError";
}

/** 422 `INVALID_VALUE_FOR_COLUMN`: a value does not fit its column; `field` and `wantedType` say which and what. */
export class AirtableInvalidValueError extends AirtableError {
  override name = "AirtableInvalidValueError";
  constructor(
    message: string,
    status: number,
    type: string,
    /** The column that refused the value, when Airtable named it. */
    readonly field: string | null,
    /** The column's type from the metadata API, when it could be read. */
    readonly wantedType: string | null,
  ) {
    super(message, status, type);
  }
}

/** 422 `UNKNOWN_FIELD_NAME`: the request names a column the table does not have. */
export class AirtableUnknownFieldError extends AirtableError {
  override name = "AirtableUnknownFieldError";
}

/** Any other 4xx: the request itself is wrong (a bad formula, too many records, an ambiguous upsert). */
export class AirtableRequestError extends AirtableError {
  override name = "AirtableRequestError";
}

/** 429: the base is past 5 requests per second; `retryAfterMs` is how long it stays closed. */
export class AirtableRateLimitError extends AirtableError {
  override name = "AirtableRateLimitError";
  constructor(
    message: string,
    /** From `Retry-After`, else Airtable's documented 30 s. */
    readonly retryAfterMs: number,
  ) {
    super(message, 429, "RATE_LIMIT_REACHED");
  }
}

/** 5xx: Airtable failed; the same request may work later. */
export class AirtableServerError extends AirtableError {
  override name = "AirtableServerError";
}

/** Airtable could not be reached, or did not answer in time; the request may or may not have been applied. */
export class AirtableNetworkError extends AirtableError {
  override name = "AirtableNetworkError";
}

/** The table does not have the columns a task writes, or they have other types; one message names them all. */
export class AirtableSchemaError extends Error {
  override name = "AirtableSchemaError";
  constructor(
    message: string,
    /** Each mismatch: the column, the type found (null when missing) and the types wanted. */
    readonly mismatches: readonly {
      field: string;
      found: string | null;
      wanted: readonly string[];
    }[],
  ) {
    super(message);
  }
}

/** Penalty Airtable documents for going past 5 requests per second. */
export const RATE_LIMIT_PENALTY_MS = 30_000;

const ADVICE: Record<string, string> = {
  AUTHENTICATION_REQUIRED:
    "check AIRTABLE_TOKEN: it must be a valid personal access token (pat…)",
  INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND:
    "check that the token has the scopes this needs (data.records:read, data.records:write, schema.bases:read), that the base is shared with the token, and the table's name",
  NOT_FOUND: "check AIRTABLE_BASE_ID (app…) and that the record exists",
  INVALID_VALUE_FOR_COLUMN:
    "a value does not fit its column's type: text columns take strings, date-time columns ISO 8601 strings",
  UNKNOWN_FIELD_NAME:
    "a field name does not exist in the table: compare it with the table's columns",
  RATE_LIMIT_REACHED:
    "Airtable allows 5 requests per second per base; send writes through the base's writer",
};

/** What an error body says, whatever of Airtable's shapes it has. */
function parseBody(
  status: number,
  body: unknown,
): { type: string; detail: string } {
  let type = `HTTP_${status}`;
  let detail = "";
  if (typeof body === "object" && body !== null) {
    const b = body as {
      error?: unknown;
      errors?: { error?: string; message?: string }[];
    };
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
  return { type, detail };
}

/** Extra facts that sharpen an error: the `Retry-After` header and the refused column's type. */
export interface ErrorFacts {
  readonly retryAfterMs?: number;
  readonly fieldType?: (field: string) => string | null;
}

/** Builds the typed error for a non-2xx answer of Airtable. */
export function airtableErrorFrom(
  status: number,
  body: unknown,
  what: string,
  facts: ErrorFacts = {},
): AirtableError {
  const { type, detail } = parseBody(status, body);
  const head = `Airtable refused ${what} (${status} ${type}${detail ? `: ${detail}` : ""})`;
  const advice = ADVICE[type];
  const message = advice ? `${head}: ${advice}` : head;
  if (status === 429)
    return new AirtableRateLimitError(
      message,
      facts.retryAfterMs ?? RATE_LIMIT_PENALTY_MS,
    );
  if (status === 401)
    return new AirtableAuthenticationError(message, status, type);
  if (status === 403) return new AirtablePermissionError(message, status, type);
  if (status === 404) return new AirtableNotFoundError(message, status, type);
  if (type === "INVALID_VALUE_FOR_COLUMN") {
    const field = /field "([^"]+)"/i.exec(detail)?.[1] ?? null;
    const wanted = field ? (facts.fieldType?.(field) ?? null) : null;
    const which = field
      ? `column "${field}"${wanted ? ` is ${wanted} and wants ${describeType(wanted)}` : " refused the value"}`
      : "a column refused a value";
    return new AirtableInvalidValueError(
      `${head}: ${which}; ${advice ?? ""}`.trim(),
      status,
      type,
      field,
      wanted,
    );
  }
  if (type === "UNKNOWN_FIELD_NAME")
    return new AirtableUnknownFieldError(message, status, type);
  if (status >= 500) return new AirtableServerError(message, status, type);
  return new AirtableRequestError(message, status, type);
}

/** What value a column of an Airtable type takes over the API, for people. */
export function describeType(type: string): string {
  if (
    [
      "singleLineText",
      "multilineText",
      "email",
      "url",
      "phoneNumber",
      "singleSelect",
      "richText",
    ].includes(type)
  )
    return "a string";
  if (["number", "currency", "percent", "duration", "rating"].includes(type))
    return "a number";
  if (type === "dateTime")
    return 'an ISO 8601 string such as "2014-09-05T07:00:00.000Z"';
  if (type === "date") return 'an ISO date string such as "2014-09-05"';
  if (type === "checkbox") return "true or false";
  if (
    [
      "autoNumber",
      "createdTime",
      "formula",
      "rollup",
      "lastModifiedTime",
    ].includes(type)
  )
    return "no value: Airtable computes it";
  return `a ${type} value`;
}
