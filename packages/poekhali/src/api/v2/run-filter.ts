import type { Dag } from "@poekhali/core";
import { sortBy, type Ordering } from "./list-query.js";
import { dagRunResponse, type RunFacts } from "./views.js";

/** A run's Airflow view, with the DAG it belongs to. */
export type RunView = ReturnType<typeof dagRunResponse> & {
  readonly created: string;
};

/** Bounds of a range filter, as epoch milliseconds or seconds (durations). */
export interface Bounds {
  readonly gte: number | null;
  readonly gt: number | null;
  readonly lte: number | null;
  readonly lt: number | null;
}

/** Which runs a list answers with. */
export interface RunFilter {
  readonly states: readonly string[] | null;
  readonly runTypes: readonly string[] | null;
  readonly dagId: (id: string) => boolean;
  readonly runId: (id: string) => boolean;
  readonly triggeringUser: (name: string) => boolean;
  /** Date ranges by field: run_after, logical_date, start_date, end_date, updated_at. */
  readonly dates: Readonly<Record<string, Bounds>>;
  readonly duration: Bounds;
  readonly confContains: string | null;
}

/** The fields a run list may be ordered by (Airflow's allow-list; `dag_run_id` is `run_id`). */
export const RUN_ORDER = [
  "id",
  "state",
  "dag_id",
  "run_id",
  "dag_run_id",
  "logical_date",
  "run_after",
  "start_date",
  "end_date",
  "updated_at",
  "conf",
  "duration",
];

const within = (b: Bounds, value: number | null) =>
  (b.gte === null && b.gt === null && b.lte === null && b.lt === null) ||
  (value !== null &&
    (b.gte === null || value >= b.gte) &&
    (b.gt === null || value > b.gt) &&
    (b.lte === null || value <= b.lte) &&
    (b.lt === null || value < b.lt));

const updatedAt = (r: RunView) => r.end_date ?? r.start_date ?? r.queued_at;

/** Views the runs, keeps those the filter takes, orders them; `total_entries` is the length before paging. */
export function filterRuns(
  runs: readonly (RunFacts & { dag: Dag })[],
  filter: RunFilter,
  order: Ordering,
): RunView[] {
  const views = runs.map((r) => ({
    ...dagRunResponse(r.dag, r),
    created: r.snapshot.created_at,
  }));
  const kept = views.filter((r) => {
    const dates: Record<string, string | null> = {
      run_after: r.run_after,
      logical_date: r.logical_date,
      start_date: r.start_date,
      end_date: r.end_date,
      updated_at: updatedAt(r),
    };
    return (
      (filter.states === null || filter.states.includes(r.state)) &&
      (filter.runTypes === null || filter.runTypes.includes(r.run_type)) &&
      filter.dagId(r.dag_id) &&
      filter.runId(r.dag_run_id) &&
      (filter.triggeringUser === undefined ||
        filter.triggeringUser(r.triggering_user_name ?? "")) &&
      Object.entries(filter.dates).every(([field, bounds]) => {
        const iso = dates[field] ?? null;
        return within(bounds, iso === null ? null : Date.parse(iso));
      }) &&
      within(filter.duration, r.duration) &&
      (filter.confContains === null ||
        JSON.stringify(r.conf).includes(filter.confContains))
    );
  });
  return sortBy(
    kept,
    order,
    (r, key) => {
      switch (key) {
        case "id":
          return r.created;
        case "run_id":
        case "dag_run_id":
          return r.dag_run_id;
        case "updated_at":
          return updatedAt(r);
        case "conf":
          return JSON.stringify(r.conf);
        default:
          return (
            (r as unknown as Record<string, string | number | null>)[key] ??
            null
          );
      }
    },
    (r) => `${r.created}\u0000${r.dag_id}\u0000${r.dag_run_id}`,
  );
}

/** The view without the field used only for ordering. */
export const publicRun = ({ created: _created, ...run }: RunView) => run;
