import type { Dag, DagRunState } from "@poekhali/core";
import type { RunQuery } from "../dag-runs.js";
import type { Ordering } from "./list-query.js";
import {
  filterRuns,
  publicRun,
  type Bounds,
  type RunFilter,
} from "./run-filter.js";
import { runFacts, type V2Options } from "./v2-options.js";
import { dagRunResponse } from "./views.js";

/** A run list as Airflow answers it: one page, and how many runs the filter takes in all. */
export interface RunList {
  readonly dag_runs: ReturnType<typeof publicRun>[];
  readonly total_entries: number;
}

/** What a run list asks for: the filter and order, the page, and the raw `run_id_pattern` for SQL. */
export interface RunListRequest {
  readonly dags: readonly Dag[];
  readonly filter: RunFilter;
  readonly order: Ordering;
  readonly offset: number;
  readonly limit: number;
  /** The `run_id_pattern` as given; `filter.runId` is its matcher. */
  readonly runIdPattern?: string | undefined;
  /** The `triggering_user_name_pattern` as given; only the API's records know the user, so it is matched in memory. */
  readonly triggeringUserPattern?: string | undefined;
}

// Airflow's orderings Restate's `sys_invocation` can sort by; the rest live in the workflows' state or the API's records.
const SQL_ORDER: Record<string, "created_at" | "dag_id" | "run_id"> = {
  id: "created_at",
  dag_id: "dag_id",
  run_id: "run_id",
  dag_run_id: "run_id",
};

const unbounded = (b: Bounds) =>
  b.gte === null && b.gt === null && b.lte === null && b.lt === null;
const anything = (pattern: string | undefined) =>
  pattern === undefined || pattern === "" || pattern.trim() === "~";

/**
 * The list as Restate's SQL can page it (paging, counting, ordering by `id`, `dag_id` or `run_id`, filtering by state
 * and run id), or null when the request needs what only the runs' kept state or the API's records hold (dates,
 * durations, conf, the triggering user, another order).
 */
export function sqlRunQuery(request: RunListRequest): RunQuery | null {
  const { filter } = request;
  const order: NonNullable<RunQuery["order"]>[number][] = [];
  for (const o of request.order) {
    const key = SQL_ORDER[o.key];
    if (!key) return null;
    order.push({ key, descending: o.descending });
  }
  const manualOnly =
    filter.runTypes === null || filter.runTypes.includes("manual");
  const runIdLike = anything(request.runIdPattern)
    ? null
    : (request.runIdPattern ?? "")
        .split("|")
        .map((term) => term.trim())
        .filter(Boolean)
        .map((term) => `%${term}%`);
  // A backslash escapes in SQL's LIKE but is a plain character in Airflow's pattern: match those in memory.
  if (
    !manualOnly ||
    !anything(request.triggeringUserPattern) ||
    runIdLike?.some((p) => p.includes("\\")) ||
    !Object.values(filter.dates).every(unbounded) ||
    !unbounded(filter.duration) ||
    filter.confContains !== null
  )
    return null;
  return {
    limit: request.limit,
    offset: request.offset,
    states: (filter.states as DagRunState[] | null) ?? null,
    runIdLike,
    order,
  };
}

/**
 * Airflow's run list: paged in Restate's SQL when {@link sqlRunQuery} can express the request (a page then costs the
 * same with 10 runs or 100,000), else every run read, filtered and paged here.
 */
export async function listRuns(
  options: V2Options,
  request: RunListRequest,
): Promise<RunList> {
  const dags = request.dags.filter((d) => request.filter.dagId(d.id));
  const query = sqlRunQuery(request);
  if (!query) {
    const runs = filterRuns(
      await runFacts(options, dags),
      request.filter,
      request.order,
    );
    return {
      dag_runs: runs
        .slice(request.offset, request.offset + request.limit)
        .map(publicRun),
      total_entries: runs.length,
    };
  }
  const page = await options.runs.pageOf(
    dags.map((d) => d.id),
    query,
  );
  // The records of the page's runs only, by their exact keys.
  const records = await options.state.runsOf(page.runs);
  return {
    dag_runs: page.runs.flatMap((snapshot) => {
      const dag = options.dags.get(snapshot.dag_id);
      return dag
        ? [
            dagRunResponse(dag, {
              snapshot,
              record: records.get(dag.id)?.get(snapshot.run_id),
            }),
          ]
        : [];
    }),
    total_entries: page.total,
  };
}
