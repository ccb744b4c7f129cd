import { Hono } from "hono";
import { z } from "zod";
import {
  boolParam,
  ordering,
  pageParams,
  patternMatcher,
  sortBy,
} from "./list-query.js";
import {
  dagOr404,
  runFacts,
  type V2Env,
  type V2Options,
} from "./v2-options.js";
import { recordAction } from "./record-action.js";
import { V2Error, parseOrThrow } from "./v2-error.js";
import { dagDetailsResponse, dagResponse, taskResponse } from "./views.js";

/** Airflow's `DAGPatchBody`: only `is_paused`, nothing else. */
export const dagPatchBody = z.strictObject({ is_paused: z.boolean() });

const DAG_ORDER = [
  "dag_id",
  "dag_display_name",
  "next_dagrun",
  "state",
  "start_date",
  "last_run_state",
  "last_run_start_date",
];

/** `update_mask` may name only `is_paused` (Airflow's 400 otherwise). */
function checkMask(mask: string[] | undefined) {
  if (mask && mask.some((field) => field !== "is_paused"))
    throw new V2Error(
      400,
      "Only `is_paused` field can be updated through the REST API",
    );
}

/**
 * `/api/v2/dags`: list (limit, offset, order_by, tags, tags_match_mode, owners, dag_id_pattern, paused), one DAG,
 * its details, pausing and unpausing (kept in Restate, for every web instance), and its tasks.
 */
export function dagRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const view = async (dagId: string) => {
    const dag = dagOr404(options, dagId);
    return dagResponse(
      dag,
      await options.state.isPaused(dag.id),
      options.source,
    );
  };

  app.get("/api/v2/dags", async (c) => {
    const { limit, offset } = pageParams(c);
    const order = ordering(c.req.queries("order_by") ?? ["dag_id"], DAG_ORDER);
    const tags = c.req.queries("tags") ?? [];
    const all = c.req.query("tags_match_mode") === "all";
    const owners = c.req.queries("owners") ?? [];
    const idMatches = patternMatcher(c.req.query("dag_id_pattern"));
    const nameMatches = patternMatcher(c.req.query("dag_display_name_pattern"));
    const paused = boolParam(c, "paused");
    const ids = [...options.dags.keys()];
    const pausedNow = await options.state.pausedOf(ids);
    const matching = ids
      .map((id) =>
        dagResponse(dagOr404(options, id), pausedNow.has(id), options.source),
      )
      .filter((d) => {
        const names = d.tags.map((t) => t.name);
        const tagged =
          tags.length === 0 ||
          (all
            ? tags.every((t) => names.includes(t))
            : tags.some((t) => names.includes(t)));
        return (
          tagged &&
          (owners.length === 0 || owners.some((o) => d.owners.includes(o))) &&
          idMatches(d.dag_id) &&
          nameMatches(d.dag_display_name) &&
          (paused === null || d.is_paused === paused)
        );
      });
    const sorted = sortBy(
      matching,
      order,
      (d, key) =>
        key === "dag_id" || key === "dag_display_name" ? d[key] : null,
      (d) => d.dag_id,
    );
    return c.json({
      dags: sorted.slice(offset, offset + limit),
      total_entries: matching.length,
    });
  });

  app.get("/api/v2/dags/:dag_id", async (c) =>
    c.json(await view(c.req.param("dag_id"))),
  );

  app.get("/api/v2/dags/:dag_id/details", async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const [runs, paused] = await Promise.all([
      runFacts(options, [dag], undefined, { records: false }),
      options.state.isPaused(dag.id),
    ]);
    const active = runs.filter((r) =>
      ["queued", "running"].includes(r.snapshot.state),
    ).length;
    return c.json(dagDetailsResponse(dag, paused, options.source, active));
  });

  app.patch("/api/v2/dags/:dag_id", async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    checkMask(c.req.queries("update_mask"));
    const body = parseOrThrow("body", dagPatchBody, c.get("body"));
    // Answered as the object set it: a read of Restate's SQL right after might not show the change yet.
    const paused = await options.state.setPaused(dag.id, body.is_paused);
    await recordAction(c, options, {
      event: "patch_dag",
      dag_id: dag.id,
      extra: body,
    });
    return c.json(dagResponse(dag, paused, options.source));
  });

  app.get("/api/v2/dags/:dag_id/tasks", (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const tasks = dag.tasks.map((t) => taskResponse(dag, t));
    // Any attribute of TaskResponse may order the list (a single `order_by`, not a list, on this route).
    const attributes = tasks[0] ? Object.keys(tasks[0]) : ["task_id"];
    const order = ordering([c.req.query("order_by") ?? "task_id"], attributes);
    const sorted = sortBy(
      tasks,
      order,
      (t, key) => {
        const value = (t as Record<string, unknown>)[key];
        return typeof value === "object"
          ? JSON.stringify(value)
          : (value as string | number | boolean | null);
      },
      (t) => t.task_id,
    );
    return c.json({ tasks: sorted, total_entries: sorted.length });
  });

  app.get("/api/v2/dags/:dag_id/tasks/:task_id", (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const task = dag.task(c.req.param("task_id"));
    if (!task)
      throw new V2Error(
        404,
        `Task with id ${c.req.param("task_id")} not found`,
      );
    return c.json(taskResponse(dag, task));
  });

  return app;
}
