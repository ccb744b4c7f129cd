import { Hono, type Context } from "hono";
import type { EventLogEntry } from "@poekhali/core";
import {
  dateParam,
  intParam,
  ordering,
  pageParams,
  patternMatcher,
  sortBy,
} from "./list-query.js";
import { V2Error, invalidParam } from "./v2-error.js";
import type { V2Env, V2Options } from "./v2-options.js";

/** The attributes a list may be ordered by (Airflow's; `id`, `dttm` and `when` name the same as in its table). */
const EVENT_LOG_ORDER = [
  "id",
  "dttm",
  "dag_id",
  "task_id",
  "run_id",
  "event",
  "logical_date",
  "owner",
  "extra",
  "when",
  "event_log_id",
];

/** The entry's value for an `order_by` attribute. */
function orderValue(entry: EventLogEntry, key: string) {
  switch (key) {
    case "id":
    case "event_log_id":
      return entry.event_log_id;
    case "dttm":
    case "when":
      return entry.when;
    case "dag_id":
    case "task_id":
    case "run_id":
    case "event":
    case "logical_date":
    case "owner":
    case "extra":
      return entry[key];
    default:
      return null;
  }
}

/** Airflow's `EventLogResponse` for an entry (display names are the ids here, as everywhere in poekhali). */
function eventLogResponse(entry: EventLogEntry) {
  return {
    event_log_id: entry.event_log_id,
    when: entry.when,
    dag_id: entry.dag_id,
    task_id: entry.task_id,
    run_id: entry.run_id,
    map_index: entry.map_index,
    try_number: entry.try_number,
    event: entry.event,
    logical_date: entry.logical_date,
    owner: entry.owner,
    extra: entry.extra,
    dag_display_name: entry.dag_id,
    task_display_name: entry.task_id,
  };
}

/** A repeated query parameter (`included_events=a&included_events=b`), or null when absent. */
const listParam = (c: Context, name: string) => {
  const given = c.req.queries(name);
  return given && given.length > 0 ? given : null;
};

/** Whether an entry passes the query's exact filters, patterns and time bounds (Airflow's: `before`/`after` strict). */
function entryFilter(c: Context): (entry: EventLogEntry) => boolean {
  const exact = (["dag_id", "task_id", "run_id", "owner", "event"] as const)
    .map((name) => [name, c.req.query(name)] as const)
    .filter(([, value]) => value !== undefined && value !== "");
  const mapIndex = intParam(c, "map_index", null, -1);
  const tryNumber = intParam(c, "try_number", null);
  const included = listParam(c, "included_events");
  const excluded = listParam(c, "excluded_events");
  const before = dateParam(c, "before");
  const after = dateParam(c, "after");
  const patterns = (["dag_id", "task_id", "run_id", "owner", "event"] as const)
    .map((name) => [name, c.req.query(`${name}_pattern`)] as const)
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([name, value]) => [name, patternMatcher(value)] as const);
  return (entry) => {
    const when = Date.parse(entry.when);
    return (
      exact.every(([name, value]) => entry[name] === value) &&
      (mapIndex === null || entry.map_index === mapIndex) &&
      (tryNumber === null || entry.try_number === tryNumber) &&
      (included === null || included.includes(entry.event)) &&
      (excluded === null || !excluded.includes(entry.event)) &&
      (before === null || when < before) &&
      (after === null || when > after) &&
      patterns.every(([name, matches]) => {
        const value = entry[name];
        return value !== null && matches(value);
      })
    );
  };
}

/**
 * `/api/v2/eventLogs`: the list (exact filters, `*_pattern`, included/excluded events, before/after, limit, offset,
 * order_by) and one entry by its integer id. Entries live in Restate (see `EventLog`).
 */
export function eventLogRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const base = "/api/v2/eventLogs";

  app.get(base, async (c) => {
    const { limit, offset } = pageParams(c);
    const order = ordering(
      c.req.queries("order_by") ?? ["id"],
      EVENT_LOG_ORDER,
    );
    const keep = entryFilter(c);
    const having = Object.fromEntries(
      (["dag_id", "task_id", "run_id", "owner", "event"] as const)
        .map((name) => [name, c.req.query(name)] as const)
        .filter(([, value]) => value !== undefined && value !== ""),
    );
    const matching = (await options.eventLog.list(having)).filter(keep);
    const sorted = sortBy(matching, order, orderValue, (e) => e.event_log_id);
    return c.json({
      event_logs: sorted.slice(offset, offset + limit).map(eventLogResponse),
      total_entries: matching.length,
    });
  });

  app.get(`${base}/:event_log_id`, async (c) => {
    const raw = c.req.param("event_log_id");
    if (!/^-?\d+$/.test(raw))
      throw invalidParam(
        "path",
        "event_log_id",
        "Input should be a valid integer, unable to parse string as an integer",
        "int_parsing",
        raw,
      );
    const entry = await options.eventLog.get(Number(raw));
    if (!entry)
      throw new V2Error(404, `The Event Log with id: \`${raw}\` not found`);
    return c.json(eventLogResponse(entry));
  });

  return app;
}
