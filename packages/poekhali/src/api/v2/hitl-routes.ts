import { Hono, type Context } from "hono";
import type {
  Dag,
  HITLEntry,
  HITLUser,
  Json,
  TaskInstance,
} from "@poekhali/core";
import { updateHitlDetailPayload } from "./hitl-bodies.js";
import {
  boolParam,
  dateRange,
  intParam,
  ordering,
  pageParams,
  patternMatcher,
  sortBy,
} from "./list-query.js";
import { V2Error, invalidParam, parseOrThrow } from "./v2-error.js";
import {
  dagOr404,
  dagsOf,
  runFacts,
  runOr404,
  type V2Env,
  type V2Options,
} from "./v2-options.js";
import { recordAction } from "./record-action.js";
import {
  taskInstanceResponse,
  taskInstancesOf,
  type RunFacts,
} from "./views.js";

/** Who answers when no password is set: Airflow's all-admins mode answers as its anonymous admin. */
const ANONYMOUS: HITLUser = { id: "Anonymous", name: "Anonymous" };

const HITL_ORDER = [
  "ti_id",
  "subject",
  "responded_at",
  "created_at",
  "responded_by_user_id",
  "responded_by_user_name",
  "dag_id",
  "run_id",
  "task_display_name",
  "run_after",
  "rendered_map_index",
  "task_instance_operator",
  "task_instance_state",
];

/** Airflow's `HITLDetail`: a task's request and, once given, its answer, with the task instance it belongs to. */
export function hitlDetail(
  dag: Dag,
  facts: RunFacts,
  ti: TaskInstance,
  entry: HITLEntry,
) {
  const { request, response } = entry;
  return {
    task_instance: taskInstanceResponse(dag, facts, ti),
    options: request.options,
    subject: request.subject,
    body: request.body,
    defaults: request.defaults,
    multiple: request.multiple,
    params: request.params,
    assigned_users: request.assigned_users,
    created_at: entry.created_at,
    responded_by_user: response?.responded_by_user ?? null,
    responded_at: response?.responded_at ?? null,
    chosen_options: response?.chosen_options ?? null,
    params_input: response?.params_input ?? {},
    response_received: response !== null,
  };
}

type Detail = ReturnType<typeof hitlDetail>;

/** The user a request comes from: the token's (simple auth: id and name are the username), else the anonymous admin. */
function userOf(c: Context<V2Env>): HITLUser {
  const user = c.get("user");
  return user ? { id: user, name: user } : ANONYMOUS;
}

/**
 * Human-in-the-loop under `/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}`: the list of requests (`~` for any DAG or run),
 * one task's request, and its answer by PATCH, which the run's `airflow_hitl` object takes exactly once.
 */
export function hitlRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const runBase = "/api/v2/dags/:dag_id/dagRuns/:dag_run_id";
  const one = `${runBase}/taskInstances/:task_id/:map_index/hitlDetails`;

  app.get(`${runBase}/hitlDetails`, async (c) => {
    const dags = dagsOf(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const run = runId === "~" ? undefined : runId;
    const { limit, offset } = pageParams(c);
    const order = ordering(c.req.queries("order_by") ?? ["ti_id"], HITL_ORDER);
    const taskId = c.req.query("task_id");
    const mapIndex = intParam(c, "map_index", null, -1);
    const states = c.req.queries("state");
    const received = boolParam(c, "response_received");
    const byIds = c.req.queries("responded_by_user_id");
    const byNames = c.req.queries("responded_by_user_name");
    const dagMatches = patternMatcher(c.req.query("dag_id_pattern"));
    const taskMatches = patternMatcher(c.req.query("task_id_pattern"));
    const subjectMatches = patternMatcher(c.req.query("subject_search"));
    const bodyMatches = patternMatcher(c.req.query("body_search"));
    const created = dateRange(c, "created_at");
    const [runs, rows] = await Promise.all([
      runFacts(options, dags, run),
      options.runs.hitl.list(
        dags.map((d) => d.id),
        run,
      ),
    ]);
    const details = rows.flatMap((row) => {
      const facts = runs.find(
        (r) => r.dag.id === row.dag_id && r.snapshot.run_id === row.run_id,
      );
      const ti =
        facts &&
        taskInstancesOf(facts.dag, facts.snapshot).find(
          (t) => t.task_id === row.task_id,
        );
      return facts && ti ? [hitlDetail(facts.dag, facts, ti, row.entry)] : [];
    });
    const kept = details.filter((d) => {
      const by = d.responded_by_user;
      return (
        (taskId === undefined || d.task_instance.task_id === taskId) &&
        (mapIndex === null || mapIndex === -1) &&
        (!states?.length || states.includes(String(d.task_instance.state))) &&
        (received === null || d.response_received === received) &&
        (!byIds?.length || (by !== null && byIds.includes(by.id))) &&
        (!byNames?.length || (by !== null && byNames.includes(by.name))) &&
        dagMatches(d.task_instance.dag_id) &&
        taskMatches(d.task_instance.task_id) &&
        subjectMatches(d.subject) &&
        bodyMatches(d.body ?? "") &&
        created(d.created_at)
      );
    });
    const sorted = sortBy(kept, order, valueOf, (d) => d.task_instance.id);
    return c.json({
      hitl_details: sorted.slice(offset, offset + limit),
      total_entries: kept.length,
    });
  });

  /** The run, task instance and request the path names, or Airflow's 404 (422 for a map index not a number). */
  const find = async (c: Context<V2Env>) => {
    const dag = dagOr404(options, c.req.param("dag_id") ?? "");
    const runId = c.req.param("dag_run_id") ?? "";
    const taskId = c.req.param("task_id") ?? "";
    const rawIndex = c.req.param("map_index") ?? "";
    if (!/^-?\d+$/.test(rawIndex))
      throw invalidParam(
        "path",
        "map_index",
        "Input should be a valid integer, unable to parse string as an integer",
        "int_parsing",
        rawIndex,
      );
    const facts = await runOr404(options, dag, runId);
    const ti = taskInstancesOf(dag, facts.snapshot).find(
      (t) => t.task_id === taskId,
    );
    if (!ti || Number(rawIndex) !== -1)
      throw new V2Error(
        404,
        `The Task Instance with dag_id: \`${dag.id}\`, run_id: \`${runId}\`, task_id: \`${taskId}\` and map_index: \`${rawIndex}\` was not found`,
      );
    const entry = await options.runs.hitl.get(dag.id, runId, taskId);
    const view = taskInstanceResponse(dag, facts, ti);
    if (!entry)
      throw new V2Error(
        404,
        `Human-in-the-loop detail does not exist for Task Instance with id ${view.id}`,
      );
    return { dag, facts, ti, entry };
  };

  app.get(one, async (c) => {
    const { dag, facts, ti, entry } = await find(c);
    return c.json(hitlDetail(dag, facts, ti, entry));
  });

  app.patch(one, async (c) => {
    const { dag, facts } = await find(c);
    const body = parseOrThrow("body", updateHitlDetailPayload, c.get("body"));
    const result = await options.runs.hitl.answer(
      dag.id,
      facts.snapshot.run_id,
      {
        task_id: c.req.param("task_id"),
        chosen_options: body.chosen_options,
        params_input: body.params_input as Record<string, Json>,
        user: userOf(c),
        channel: "api",
      },
    );
    if (!result.ok) throw new V2Error(result.status, result.detail);
    const { response } = result;
    await recordAction(c, options, {
      event: "update_hitl_detail",
      dag_id: dag.id,
      run_id: facts.snapshot.run_id,
      task_id: c.req.param("task_id"),
      map_index: -1,
      extra: {
        chosen_options: response.chosen_options,
        params_input: response.params_input,
      },
    });
    return c.json({
      responded_by: response.responded_by_user ?? ANONYMOUS,
      responded_at: response.responded_at,
      chosen_options: response.chosen_options,
      params_input: response.params_input,
    });
  });

  return app;
}

/** A detail's value for an `order_by` key. */
function valueOf(d: Detail, key: string): string | number | boolean | null {
  const ti = d.task_instance;
  switch (key) {
    case "ti_id":
      return ti.id;
    case "responded_by_user_id":
      return d.responded_by_user?.id ?? null;
    case "responded_by_user_name":
      return d.responded_by_user?.name ?? null;
    case "dag_id":
      return ti.dag_id;
    case "run_id":
      return ti.dag_run_id;
    case "task_display_name":
      return ti.task_display_name;
    case "run_after":
      return ti.run_after;
    case "rendered_map_index":
      return ti.rendered_map_index;
    case "task_instance_operator":
      return ti.operator;
    case "task_instance_state":
      return ti.state;
    default:
      return (d as unknown as Record<string, string | null>)[key] ?? null;
  }
}
