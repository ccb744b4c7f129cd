import { AirtableApiError } from "../errors.js";

/** 401 for a missing or unknown token. */
export const authenticationRequired = () =>
  new AirtableApiError(401, {
    error: {
      type: "AUTHENTICATION_REQUIRED",
      message: "Authentication required",
    },
  });

/** 404 for an unknown base, route or record. */
export const notFound = () => new AirtableApiError(404, { error: "NOT_FOUND" });

/** 403 for a missing scope, a base the token cannot reach, or an unknown table. */
export const invalidPermissions = () =>
  new AirtableApiError(403, {
    error: {
      type: "INVALID_PERMISSIONS_OR_MODEL_NOT_FOUND",
      message:
        "Invalid permissions, or the requested model was not found. Check that both your user and your token have the required permissions, and that the model names and/or ids are correct.",
    },
  });

/** 429 once a base is past 5 requests per second, with the rest of the penalty as `Retry-After` seconds. */
export const rateLimited = (remainingMs: number) =>
  new AirtableApiError(
    429,
    {
      errors: [
        {
          error: "RATE_LIMIT_REACHED",
          message: "Rate limit exceeded. Please try again later",
        },
      ],
    },
    { "retry-after": String(Math.max(1, Math.ceil(remainingMs / 1000))) },
  );

/** A 422 with Airtable's `{"error": {"type", "message"}}` body. */
export const unprocessable = (type: string, message: string) =>
  new AirtableApiError(422, { error: { type, message } });

/** 422 for a request body or query that does not validate. */
export const invalidRequest = () =>
  unprocessable(
    "INVALID_REQUEST_UNKNOWN",
    "Invalid request: parameter validation failed. Check your request data.",
  );

/** 422 for a field name or id the table does not have. */
export const unknownField = (name: string) =>
  unprocessable("UNKNOWN_FIELD_NAME", `Unknown field name: "${name}"`);
