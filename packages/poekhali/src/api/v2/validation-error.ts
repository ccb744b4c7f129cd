import type { Context } from "hono";
import type { z } from "zod";

/** One item of Airflow's 422 `HTTPValidationError.detail`: where (`loc`), what (`msg`) and pydantic's error code (`type`). */
export interface ValidationItem {
  readonly loc: (string | number)[];
  readonly msg: string;
  readonly type: string;
  readonly input?: unknown;
}

/** Where a value came from, as the first element of `loc`. */
export type Source = "body" | "query" | "path";

/** Pydantic's names of JSON types, as its `*_type` error codes use them. */
const PYDANTIC_TYPES: Record<string, string> = {
  record: "dict",
  object: "dict",
  array: "list",
  boolean: "bool",
  number: "float",
  int: "int",
  string: "string",
};

/** Reads a value at a zod issue path. */
function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let here = value;
  for (const key of path) {
    if (typeof here !== "object" || here === null) return undefined;
    here = (here as Record<PropertyKey, unknown>)[key];
  }
  return here;
}

/** The offending value to echo back as `input`, as FastAPI does; only a scalar, so a hostile nest is never re-serialized. */
const echo = (value: unknown) =>
  typeof value === "object" && value !== null ? undefined : value;

/** Turns zod's issues into the items of a 422 answer, with pydantic's error codes where one matches. */
export function validationItems(
  source: Source,
  error: z.ZodError,
  input: unknown,
): ValidationItem[] {
  const items: ValidationItem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.map((p) => (typeof p === "number" ? p : String(p)));
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys)
        items.push({
          loc: [source, ...path, key],
          msg: "Extra inputs are not permitted",
          type: "extra_forbidden",
          input: echo(at(input, [...issue.path, key])),
        });
      continue;
    }
    const found = at(input, issue.path);
    const value = echo(found);
    // An absent field fails a union (any JSON) as it fails a plain type: pydantic calls both "missing".
    const missing =
      (issue.code === "invalid_type" || issue.code === "invalid_union") &&
      found === undefined;
    const type = missing
      ? "missing"
      : issue.code === "invalid_type"
        ? `${PYDANTIC_TYPES[issue.expected] ?? issue.expected}_type`
        : issue.code === "invalid_value"
          ? "enum"
          : issue.code === "too_small"
            ? issue.origin === "string"
              ? "string_too_short"
              : "greater_than_equal"
            : issue.code === "too_big"
              ? issue.origin === "string"
                ? "string_too_long"
                : "less_than_equal"
              : "value_error";
    items.push({
      loc: [source, ...path],
      msg: missing ? "Field required" : issue.message,
      type,
      ...(value === undefined ? {} : { input: value }),
    });
  }
  return items;
}

/** Answers 422 with Airflow's `HTTPValidationError` body: `{ detail: [{ loc, msg, type, input }] }`. */
export const unprocessable = (c: Context, items: ValidationItem[]) =>
  c.json({ detail: items }, 422);

/** Parses `input` with `schema`, or gives the 422 answer naming every problem. */
export function parseOr422<S extends z.ZodType>(
  c: Context,
  source: Source,
  schema: S,
  input: unknown,
): { ok: true; data: z.output<S> } | { ok: false; response: Response } {
  const parsed = schema.safeParse(input);
  if (parsed.success) return { ok: true, data: parsed.data };
  return {
    ok: false,
    response: unprocessable(c, validationItems(source, parsed.error, input)),
  };
}
