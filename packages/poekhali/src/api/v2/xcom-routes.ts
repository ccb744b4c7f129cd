import { Hono } from "hono";
import {
  boolParam,
  intParam,
  pageParams,
  patternMatcher,
  sortBy,
} from "./list-query.js";
import { V2Error } from "./v2-error.js";
import {
  dagOr404,
  dagsOf,
  runFacts,
  runOr404,
  type V2Env,
  type V2Options,
} from "./v2-options.js";
import { taskInstancesOf, xcomResponse } from "./views.js";

/** The one XCom a poekhali task keeps: its output. */
const RETURN_VALUE = "return_value";

/**
 * XComs under `…/taskInstances/{task_id}/xcomEntries` (`~` for any DAG, run or task): the list and one entry by key.
 * A task's output is its XCom `return_value`; tasks of Airflow's TypeScript SDK may write more under keys of their
 * own (`setXCom`), kept by the `airflow_xcom` object.
 */
export function xcomRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const base =
    "/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries";

  app.get(base, async (c) => {
    const dags = dagsOf(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const taskId = c.req.param("task_id");
    const { limit, offset } = pageParams(c);
    const key = c.req.query("xcom_key");
    const mapIndex = intParam(c, "map_index", null, -1);
    const keyMatches = patternMatcher(c.req.query("xcom_key_pattern"));
    const runMatches = patternMatcher(c.req.query("run_id_pattern"));
    const taskMatches = patternMatcher(c.req.query("task_id_pattern"));
    const runs = await runFacts(
      options,
      dags,
      runId === "~" ? undefined : runId,
    );
    if (runId !== "~" && runs.length === 0)
      throw new V2Error(
        404,
        `Dag Run with ID: \`${runId}\` not found for dag: \`${c.req.param("dag_id")}\``,
      );
    const outputs = await options.runs.outputs(
      dags.map((d) => d.id),
      runId === "~" ? undefined : runId,
    );
    const keyed = await options.runs.keyedXComs(
      dags.map((d) => d.id),
      runId === "~" ? undefined : runId,
    );
    const entries = [
      ...outputs.map((o) => ({ ...o, key: RETURN_VALUE })),
      ...keyed,
    ].flatMap((o) => {
      const run = runs.find(
        (r) => r.dag.id === o.dag_id && r.snapshot.run_id === o.run_id,
      );
      if (!run || (taskId !== "~" && o.task_id !== taskId)) return [];
      const ti = taskInstancesOf(run.dag, run.snapshot).find(
        (t) => t.task_id === o.task_id,
      );
      return [xcomResponse(run.dag, run, ti, o.task_id, o.key)];
    });
    const kept = entries.filter(
      (e) =>
        (key === undefined || e.key === key) &&
        (mapIndex === null || e.map_index === mapIndex) &&
        keyMatches(e.key) &&
        runMatches(e.run_id) &&
        taskMatches(e.task_id),
    );
    const order = ["dag_id", "task_id", "run_id", "map_index", "key"].map(
      (k) => ({ key: k, descending: false }),
    );
    const sorted = sortBy(
      kept,
      order,
      (e, k) => (e as unknown as Record<string, string | number>)[k],
      () => null,
    );
    return c.json({
      xcom_entries: sorted.slice(offset, offset + limit),
      total_entries: kept.length,
    });
  });

  app.get(`${base}/:xcom_key`, async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const taskId = c.req.param("task_id");
    const key = c.req.param("xcom_key");
    const mapIndex = intParam(c, "map_index", -1, -1);
    const stringify = boolParam(c, "stringify") ?? false;
    boolParam(c, "deserialize");
    const run = await runOr404(options, dag, runId);
    const notFound = new V2Error(
      404,
      `XCom entry with key: \`${key}\` not found`,
    );
    if (mapIndex !== -1 || !dag.task(taskId)) throw notFound;
    // A task's output is its `return_value`; any other key is one a task wrote with the SDK's setXCom.
    const found =
      key === RETURN_VALUE
        ? await options.runs.xcom(dag, runId, taskId)
        : ((await options.runs.keyedXComs([dag.id], runId)).find(
            (x) => x.task_id === taskId && x.key === key,
          ) ?? null);
    if (!found) throw notFound;
    const ti = taskInstancesOf(dag, run.snapshot).find(
      (t) => t.task_id === taskId,
    );
    const value = stringify
      ? found.value === null
        ? null
        : typeof found.value === "string"
          ? found.value
          : JSON.stringify(found.value)
      : found.value;
    return c.json({ ...xcomResponse(dag, run, ti, taskId, key), value });
  });

  return app;
}
