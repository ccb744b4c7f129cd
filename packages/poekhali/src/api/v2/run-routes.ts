import { Hono, type Context } from "hono";
import { ConfError, clearTasks, markTasks, type Dag } from "@poekhali/core";
import { changeRun, refuseWhileGoing } from "./run-changes.js";
import { unrecordedRun, type RunRecord } from "../api-state.js";
import { RunExistsError } from "../dag-runs.js";
import type { V2Env } from "./v2-options.js";
import { runIdProblem } from "../run-id.js";
import { waitFor } from "../../wait-for.js";
import {
  dateParam,
  ordering,
  pageParams,
  patternMatcher,
} from "./list-query.js";
import {
  DAG_RUN_STATES,
  dagRunClearBody,
  dagRunPatchBody,
  dagRunsBatchBody,
  triggerBody,
} from "./run-bodies.js";
import { RUN_ORDER, type Bounds, type RunFilter } from "./run-filter.js";
import { recordAction } from "./record-action.js";
import { listRuns } from "./run-pages.js";
import { V2Error, invalidParam, parseOrThrow } from "./v2-error.js";
import {
  dagOr404,
  dagsOf,
  runFacts,
  runOr404,
  type V2Options,
} from "./v2-options.js";
import {
  dagRunResponse,
  taskInstanceResponse,
  taskInstancesOf,
  tiState,
} from "./views.js";

const RANGED_DATES = [
  "run_after",
  "logical_date",
  "start_date",
  "end_date",
  "updated_at",
];

/** Airflow's generated run id: `manual__` and the time in Python's isoformat (microseconds, `+00:00`). */
const manualRunId = (at: string) =>
  `manual__${new Date(at).toISOString().replace("Z", "000+00:00")}`;

/** A repeated enum query parameter; an unknown value is Airflow's 422 with a sentence. */
function enumQuery(
  c: Context<V2Env>,
  name: string,
  allowed: readonly string[],
): string[] | null {
  const given = c.req.queries(name);
  if (!given || given.length === 0) return null;
  for (const value of given)
    if (!allowed.includes(value))
      throw new V2Error(
        422,
        `Invalid value for ${name}. Valid values are ${allowed.join(", ")}`,
      );
  return given;
}

const bounds = (get: (op: string) => number | null): Bounds => ({
  gte: get("gte"),
  gt: get("gt"),
  lte: get("lte"),
  lt: get("lt"),
});

function durationParam(c: Context, name: string): number | null {
  const raw = c.req.query(name);
  if (raw === undefined || raw === "") return null;
  const value = Number(raw);
  if (Number.isNaN(value))
    throw invalidParam(
      "query",
      name,
      "Input should be a valid number, unable to parse string as a number",
      "float_parsing",
      raw,
    );
  return value;
}

/** A run's settings are checked against the DAG's params, as the worker will: a bad conf is a 400 and nothing runs. */
function checkConf(dag: Dag, conf: Record<string, unknown>) {
  try {
    dag.parseConf(conf);
  } catch (error) {
    if (error instanceof ConfError) throw new V2Error(400, error.message);
    throw error;
  }
}

/**
 * `/api/v2/dags/{dag_id}/dagRuns`: trigger (200, a manual run), list (GET with filters, or `POST ~/dagRuns/list`),
 * one run, PATCH (state, note), DELETE (a finished run) and clear (dry run only: see the route).
 */
export function runRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const base = "/api/v2/dags/:dag_id/dagRuns";

  app.post(base, async (c) => {
    const dagId = c.req.param("dag_id");
    const dag = options.dags.get(dagId);
    if (!dag) throw new V2Error(404, `DAG with dag_id: '${dagId}' not found`);
    const body = parseOrThrow("body", triggerBody, c.get("body"));
    if (await options.state.isPaused(dag.id))
      throw new V2Error(
        409,
        `DAG with dag_id: '${dag.id}' is paused and starts no new runs; unpause it first (PATCH /api/v2/dags/${dag.id} {"is_paused": false})`,
      );
    const conf = body.conf ?? {};
    checkConf(dag, conf);
    const now = new Date().toISOString();
    const runAfter = body.run_after
      ? new Date(body.run_after).toISOString()
      : now;
    const logicalDate = body.logical_date
      ? new Date(body.logical_date).toISOString()
      : null;
    const runId = body.dag_run_id ?? manualRunId(logicalDate ?? runAfter);
    const why = runIdProblem(runId);
    if (why) throw new V2Error(400, `dag_run_id: ${why}`);
    if (!options.ready())
      throw new V2Error(
        503,
        "the worker is not registered yet; retry in a moment",
      );
    try {
      await options.runs.trigger(dag, runId, conf, logicalDate ?? undefined);
    } catch (error) {
      if (error instanceof RunExistsError)
        throw new V2Error(409, {
          reason: "Unique constraint violation",
          statement: "hidden",
          orig_error: "hidden",
          message: `A DAG run with dag_run_id '${runId}' already exists for DAG '${dag.id}'`,
        });
      throw error;
    }
    const record: RunRecord = {
      logical_date: logicalDate,
      run_after: runAfter,
      queued_at: now,
      triggered_by: "rest_api",
      triggering_user_name: c.get("user") ?? null,
      note: body.note ?? null,
      data_interval:
        body.data_interval_start && body.data_interval_end
          ? [
              new Date(body.data_interval_start).toISOString(),
              new Date(body.data_interval_end).toISOString(),
            ]
          : logicalDate
            ? // schedule=None (Airflow's NullTimetable): a run at a logical date covers exactly that instant.
              [logicalDate, logicalDate]
            : null,
      partition_key: body.partition_key ?? null,
    };
    // Best-effort: the run has started, and a client retrying a 500 would start another.
    await options.state.recordTrigger(dag.id, runId, record);
    const snapshot = {
      dag_id: dag.id,
      run_id: runId,
      invocation_id: "",
      state: "queued" as const,
      conf,
      created_at: now,
      start_date: null,
      end_date: null,
      task_instances: null,
    };
    await recordAction(c, options, {
      event: "trigger_dag_run",
      dag_id: dag.id,
      run_id: runId,
      logical_date: logicalDate,
      extra: body,
    });
    return c.json(dagRunResponse(dag, { snapshot, record }));
  });

  app.get(base, async (c) => {
    const dags = dagsOf(options, c.req.param("dag_id"));
    const { limit, offset } = pageParams(c);
    const order = ordering(c.req.queries("order_by") ?? ["id"], RUN_ORDER);
    const dates = Object.fromEntries(
      RANGED_DATES.map((f) => [f, bounds((op) => dateParam(c, `${f}_${op}`))]),
    );
    const filter: RunFilter = {
      states: enumQuery(c, "state", DAG_RUN_STATES),
      runTypes: enumQuery(c, "run_type", [
        "backfill",
        "scheduled",
        "manual",
        "asset_triggered",
        "asset_materialization",
      ]),
      dagId: patternMatcher(c.req.query("dag_id_pattern")),
      runId: patternMatcher(c.req.query("run_id_pattern")),
      triggeringUser: patternMatcher(
        c.req.query("triggering_user_name_pattern"),
      ),
      dates,
      duration: bounds((op) => durationParam(c, `duration_${op}`)),
      confContains: c.req.query("conf_contains") || null,
    };
    return c.json(
      await listRuns(options, {
        dags,
        filter,
        order,
        offset,
        limit,
        runIdPattern: c.req.query("run_id_pattern"),
        triggeringUserPattern: c.req.query("triggering_user_name_pattern"),
      }),
    );
  });

  app.post(`${base}/list`, async (c) => {
    const dagId = c.req.param("dag_id");
    if (dagId !== "~")
      throw invalidParam(
        "path",
        "dag_id",
        "Input should be '~'",
        "literal_error",
        dagId,
      );
    const body = parseOrThrow("body", dagRunsBatchBody, c.get("body") ?? {});
    const field = body as unknown as Record<
      string,
      string | number | null | undefined
    >;
    const at = (name: string) => {
      const value = field[name];
      return typeof value === "string" ? Date.parse(value) : null;
    };
    const dags = body.dag_ids
      ? [...options.dags.values()].filter((d) => body.dag_ids?.includes(d.id))
      : [...options.dags.values()];
    const filter: RunFilter = {
      states: body.states
        ? body.states.filter((s): s is NonNullable<typeof s> => s !== null)
        : null,
      runTypes: null,
      dagId: () => true,
      runId: () => true,
      triggeringUser: () => true,
      dates: Object.fromEntries(
        ["run_after", "logical_date", "start_date", "end_date"].map((f) => [
          f,
          bounds((op) => at(`${f}_${op}`)),
        ]),
      ),
      duration: bounds((op) => {
        const value = field[`duration_${op}`];
        return typeof value === "number" ? value : null;
      }),
      confContains: body.conf_contains ?? null,
    };
    const order = ordering([body.order_by ?? "id"], RUN_ORDER);
    return c.json(
      await listRuns(options, {
        dags,
        filter,
        order,
        offset: body.page_offset,
        limit: body.page_limit,
      }),
    );
  });

  app.get(`${base}/:dag_run_id`, async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    return c.json(
      dagRunResponse(
        dag,
        await runOr404(options, dag, c.req.param("dag_run_id")),
      ),
    );
  });

  app.patch(`${base}/:dag_run_id`, async (c) => {
    const dagId = c.req.param("dag_id");
    const dag = options.dags.get(dagId);
    if (!dag) throw new V2Error(404, `Dag with id ${dagId} was not found`);
    const runId = c.req.param("dag_run_id");
    const found = await runOr404(options, dag, runId);
    const body = parseOrThrow("body", dagRunPatchBody, c.get("body"));
    const mask = c.req.queries("update_mask");
    const applies = (field: "state" | "note") =>
      field in body && (mask === undefined || mask.includes(field));
    const current = found.snapshot.state;
    const wanted = applies("state") ? (body.state ?? null) : null;
    const going = current === "queued" || current === "running";
    // Everything is checked before anything changes: a refused state leaves the note alone too.
    if (wanted !== null && wanted !== current && wanted !== "failed")
      refuseWhileGoing(runId, current, `sets a run's state to ${wanted}`);
    if (wanted !== null && wanted !== current && !going) {
      // Airflow's marks: success marks every task instance success; failed keeps them as they ended; queued
      // evaluates the run again as its task instances stand.
      const at = new Date().toISOString();
      await changeRun(
        options,
        dag,
        runId,
        (state) =>
          wanted === "success"
            ? {
                state: markTasks(
                  state,
                  new Set(dag.tasks.map((t) => t.taskId)),
                  "success",
                  at,
                ),
              }
            : wanted === "failed"
              ? { state, endAs: "failed" }
              : { state },
        wanted !== "queued",
      );
    }
    if (wanted === "failed" && going) {
      await options.runs.cancel(dag, runId);
      // The cancellation unwinds the run's workflow; answer once it has really ended.
      await waitFor(
        `run ${runId} to end after its cancellation`,
        30_000,
        async () => {
          const [now] = await runFacts(options, [dag], runId);
          return now?.snapshot.state === "failed";
        },
      );
    }
    let noted: RunRecord | undefined;
    if (applies("note")) {
      noted = await options.state.setRunNote(
        dag.id,
        runId,
        body.note ?? null,
        unrecordedRun(found.snapshot),
      );
    }
    await recordAction(c, options, {
      event: "patch_dag_run",
      dag_id: dag.id,
      run_id: runId,
      extra: body,
    });
    const now = await runOr404(options, dag, runId);
    // The note as the object set it: a read of Restate's SQL right after might not show it yet.
    return c.json(dagRunResponse(dag, noted ? { ...now, record: noted } : now));
  });

  app.delete(`${base}/:dag_run_id`, async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const found = await runOr404(options, dag, runId);
    if (found.snapshot.state === "queued" || found.snapshot.state === "running")
      throw new V2Error(
        400,
        `run '${runId}' is still ${found.snapshot.state}: set its state to "failed" (PATCH) first, then delete it`,
      );
    await options.runs.purge(dag, runId);
    await options.state.deleteRun(dag.id, runId);
    await recordAction(c, options, {
      event: "delete_dag_run",
      dag_id: dag.id,
      run_id: runId,
    });
    return c.body(null, 204);
  });

  app.post(`${base}/:dag_run_id/clear`, async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const found = await runOr404(options, dag, runId);
    const body = parseOrThrow("body", dagRunClearBody, c.get("body") ?? {});
    const cleared = taskInstancesOf(dag, found.snapshot).filter(
      (ti) =>
        !body.only_failed ||
        ["failed", "upstream_failed"].includes(tiState(ti) ?? ""),
    );
    if (body.dry_run)
      return c.json({
        task_instances: cleared.map((ti) =>
          taskInstanceResponse(dag, found, ti),
        ),
        total_entries: cleared.length,
      });
    if (cleared.length === 0) return c.json(dagRunResponse(dag, found));
    refuseWhileGoing(runId, found.snapshot.state, "clears task instances");
    const ids = new Set(cleared.map((ti) => ti.task_id));
    await changeRun(
      options,
      dag,
      runId,
      (state) => ({ state: clearTasks(state, ids) }),
      false,
    );
    await recordAction(c, options, {
      event: "clear_dag_run",
      dag_id: dag.id,
      run_id: runId,
      extra: body,
    });
    return c.json(dagRunResponse(dag, await runOr404(options, dag, runId)));
  });

  return app;
}
