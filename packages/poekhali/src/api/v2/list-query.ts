import type { Context } from "hono";
import { V2Error, invalidParam } from "./v2-error.js";

/** Airflow's `[api] maximum_page_limit`: a larger `limit` is cut to it. */
export const MAXIMUM_PAGE_LIMIT = 100;

/** A whole-number query parameter ≥ `min` (422 otherwise), or `fallback` when absent. */
export function intParam(
  c: Context,
  name: string,
  fallback: number,
  min?: number,
): number;
export function intParam(
  c: Context,
  name: string,
  fallback: null,
  min?: number,
): number | null;
export function intParam(
  c: Context,
  name: string,
  fallback: number | null,
  min = 0,
): number | null {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return fallback;
  if (!/^-?\d+$/.test(raw.trim()))
    throw invalidParam(
      "query",
      name,
      "Input should be a valid integer, unable to parse string as an integer",
      "int_parsing",
      raw,
    );
  const value = Number(raw);
  if (value < min)
    throw invalidParam(
      "query",
      name,
      `Input should be greater than or equal to ${min}`,
      "greater_than_equal",
      raw,
    );
  return value;
}

/** A boolean query parameter (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`, as pydantic reads them), or null. */
export function boolParam(c: Context, name: string): boolean | null {
  const raw = c.req.query(name)?.toLowerCase();
  if (raw === undefined || raw === "") return null;
  if (["true", "1", "yes", "on", "t", "y"].includes(raw)) return true;
  if (["false", "0", "no", "off", "f", "n"].includes(raw)) return false;
  throw invalidParam(
    "query",
    name,
    "Input should be a valid boolean, unable to interpret input",
    "bool_parsing",
    raw,
  );
}

/** A date-time query parameter with a time zone (Airflow's AwareDatetime), as epoch milliseconds, or null. */
export function dateParam(c: Context, name: string): number | null {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return null;
  const aware =
    /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(
      raw,
    );
  const at = Date.parse(raw.replace(" ", "T"));
  if (!aware || Number.isNaN(at))
    throw invalidParam(
      "query",
      name,
      "Input should be a valid datetime with a timezone",
      "timezone_aware",
      raw,
    );
  return at;
}

/** `limit` (default 50, Airflow's, which airflowctl pages by; at most {@link MAXIMUM_PAGE_LIMIT}) and `offset`. */
export function pageParams(c: Context): { limit: number; offset: number } {
  return {
    limit: Math.min(intParam(c, "limit", 50), MAXIMUM_PAGE_LIMIT),
    offset: intParam(c, "offset", 0),
  };
}

/** How to order a list: each key an allowed attribute, `-` in front for descending. */
export type Ordering = readonly { key: string; descending: boolean }[];

/** Reads `order_by` criteria (repeated query keys, or one string), refusing a name not in `allowed` with Airflow's 400. */
export function ordering(
  given: readonly string[],
  allowed: readonly string[],
): Ordering {
  return given.map((raw) => {
    const descending = raw.startsWith("-");
    const key = descending ? raw.slice(1) : raw;
    if (!allowed.includes(key))
      throw new V2Error(
        400,
        `Ordering with '${raw}' is disallowed or the attribute does not exist on the model`,
      );
    return { key, descending };
  });
}

type Sortable = string | number | boolean | null | undefined;

/** Sorts by the criteria, nulls last ascending and first descending (as Postgres), then by `tieBreak` for stable pages. */
export function sortBy<T>(
  items: readonly T[],
  order: Ordering,
  value: (item: T, key: string) => Sortable,
  tieBreak: (item: T) => Sortable,
): T[] {
  const compare = (a: Sortable, b: Sortable): number => {
    const aNull = a === null || a === undefined;
    const bNull = b === null || b === undefined;
    if (aNull || bNull) return aNull === bNull ? 0 : aNull ? 1 : -1;
    return a < b ? -1 : a > b ? 1 : 0;
  };
  return [...items].sort((x, y) => {
    for (const { key, descending } of order) {
      const diff = compare(value(x, key), value(y, key));
      if (diff !== 0) return descending ? -diff : diff;
    }
    return compare(tieBreak(x), tieBreak(y));
  });
}

/** Airflow's `*_pattern` match: case-insensitive substring, `%` and `_` as LIKE wildcards, `a | b` for either, `~` for all. */
export function patternMatcher(
  pattern: string | undefined,
): (value: string) => boolean {
  if (pattern === undefined || pattern === "" || pattern.trim() === "~")
    return () => true;
  const terms = pattern
    .split("|")
    .map((term) => term.trim())
    .filter(Boolean);
  const expressions = terms.map(
    (term) =>
      new RegExp(
        term
          .split("")
          .map((ch) =>
            ch === "%"
              ? ".*"
              : ch === "_"
                ? "."
                : ch.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
          )
          .join(""),
        "is",
      ),
  );
  return (value) => expressions.some((e) => e.test(value));
}

/** The `_gte`/`_gt`/`_lte`/`_lt` date-time filters of `field`, as one test (a missing value fails any bound). */
export function dateRange(
  c: Context,
  field: string,
): (iso: string | null) => boolean {
  const gte = dateParam(c, `${field}_gte`);
  const gt = dateParam(c, `${field}_gt`);
  const lte = dateParam(c, `${field}_lte`);
  const lt = dateParam(c, `${field}_lt`);
  if (gte === null && gt === null && lte === null && lt === null)
    return () => true;
  return (iso) => {
    if (iso === null) return false;
    const at = Date.parse(iso);
    return (
      (gte === null || at >= gte) &&
      (gt === null || at > gt) &&
      (lte === null || at <= lte) &&
      (lt === null || at < lt)
    );
  };
}
