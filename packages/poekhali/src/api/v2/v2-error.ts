import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { z } from "zod";
import {
  validationItems,
  type Source,
  type ValidationItem,
} from "./validation-error.js";

/** An answer other than 2xx, thrown from a `/api/v2` route and sent as Airflow's `{ "detail": ... }`. */
export class V2Error extends Error {
  override name = "V2Error";
  constructor(
    readonly status: ContentfulStatusCode,
    /** A sentence, Airflow's object detail (409 on a taken run id), or the 422 items. */
    readonly detail: string | Record<string, unknown> | ValidationItem[],
  ) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
}

/** A 422 for one query or path parameter, in the shape FastAPI gives it. */
export const invalidParam = (
  source: Source,
  name: string,
  msg: string,
  type: string,
  input: unknown,
) => new V2Error(422, [{ loc: [source, name], msg, type, input }]);

/** Parses `input` with `schema`, or throws the 422 naming every problem. */
export function parseOrThrow<S extends z.ZodType>(
  source: Source,
  schema: S,
  input: unknown,
): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new V2Error(422, validationItems(source, parsed.error, input));
}

/** The v2 app's error handler: a {@link V2Error} as its `{ detail }`, anything else a 500 that tells nothing inside. */
export function answerError(error: Error, c: Context): Response {
  if (error instanceof V2Error)
    return c.json({ detail: error.detail }, error.status);
  console.error(`[api] ${c.req.method} ${c.req.path} failed:`, error);
  return c.json({ detail: "Internal Server Error" }, 500);
}
