import type { Dag } from "@poekhali/core";
import type { ApiState, RunRecord } from "../api-state.js";
import type { DagRuns, RunSnapshot } from "../dag-runs.js";
import type { EventLog } from "../event-log.js";
import type { Variables } from "../variables.js";
import { V2Error } from "./v2-error.js";
import type { DagSource, RunFacts } from "./views.js";

/** Routes see the parsed JSON body as `c.get("body")` and, with a password set, the token's user as `c.get("user")`. */
export type V2Env = { Variables: { body: unknown; user: string | undefined } };

/** What `/api/v2` serves from. */
export interface V2Options {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  readonly state: ApiState;
  readonly source: DagSource;
  /** True once the worker is registered and a run can start. */
  readonly ready: () => boolean;
  readonly importErrors: readonly {
    readonly path: string;
    readonly error: string;
  }[];
  /** When the DAGs folder was read: the time of every import error. */
  readonly loadedAt: string;
  /** Airflow Variables, kept in Restate. */
  readonly variables: Variables;
  /** Airflow's event log, kept in Restate: what the API changed by hand, and who. */
  readonly eventLog: EventLog;
}

/** The DAG named in the path, or Airflow's 404. */
export function dagOr404(options: V2Options, dagId: string): Dag {
  const dag = options.dags.get(dagId);
  if (!dag)
    throw new V2Error(404, `The DAG with dag_id: \`${dagId}\` was not found`);
  return dag;
}

/** The DAGs a path's `dag_id` names: all of them for `~`, else the one (404 when unknown). */
export function dagsOf(options: V2Options, dagId: string): Dag[] {
  return dagId === "~"
    ? [...options.dags.values()]
    : [dagOr404(options, dagId)];
}

/** Runs with what the API recorded of them, oldest first (creation order: Airflow's `id`). */
export async function runFacts(
  options: V2Options,
  dags: readonly Dag[],
  runId?: string,
  { records: withRecords = true }: { readonly records?: boolean } = {},
): Promise<(RunFacts & { dag: Dag })[]> {
  const ids = dags.map((d) => d.id);
  const [snapshots, records]: [
    RunSnapshot[],
    Map<string, Map<string, RunRecord>>,
  ] = await Promise.all([
    options.runs.snapshots(ids, runId),
    // Callers that never look at a record (counts, details) do not read every record of their DAGs.
    withRecords
      ? options.state.runs(ids, runId === undefined ? undefined : [runId])
      : new Map<string, Map<string, RunRecord>>(),
  ]);
  return snapshots.flatMap((snapshot) => {
    const dag = options.dags.get(snapshot.dag_id);
    return dag
      ? [
          {
            dag,
            snapshot,
            record: records.get(dag.id)?.get(snapshot.run_id),
          },
        ]
      : [];
  });
}

/** One run, or Airflow's 404 naming it. */
export async function runOr404(options: V2Options, dag: Dag, runId: string) {
  const [found] = await runFacts(options, [dag], runId);
  if (!found)
    throw new V2Error(
      404,
      `The DagRun with dag_id: \`${dag.id}\` and run_id: \`${runId}\` was not found`,
    );
  return found;
}
