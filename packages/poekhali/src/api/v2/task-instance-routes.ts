import { Hono, type Context } from "hono";
import {
  clearTasks,
  closest,
  markTasks,
  relatives,
  type Dag,
} from "@poekhali/core";
import {
  dateRange,
  intParam,
  ordering,
  pageParams,
  patternMatcher,
  sortBy,
  type Ordering,
} from "./list-query.js";
import { changeRun, refuseWhileGoing } from "./run-changes.js";
import { unrecordedRun, type RunRecord } from "../api-state.js";
import {
  clearTaskInstancesBody,
  patchTaskInstanceBody,
  taskInstancesBatchBody,
} from "./task-instance-bodies.js";
import { V2Error, parseOrThrow } from "./v2-error.js";
import { TaskInstanceState } from "./airflow-v2-contract.js";
import {
  dagOr404,
  dagsOf,
  runFacts,
  runOr404,
  type V2Env,
  type V2Options,
} from "./v2-options.js";
import { recordAction } from "./record-action.js";
import { tryLog } from "../task-log.js";
import {
  taskInstanceResponse,
  taskInstancesOf,
  triesOf,
  type RunFacts,
} from "./views.js";

/** TaskInstanceState: Airflow's task states, as the contract lists them; "no state" is null. */
const TI_STATES: readonly string[] = TaskInstanceState.options;

const TI_ORDER = [
  "id",
  "state",
  "duration",
  "start_date",
  "end_date",
  "map_index",
  "try_number",
  "logical_date",
  "run_after",
  "data_interval_start",
  "data_interval_end",
  "rendered_map_index",
  "operator",
];

type TiView = ReturnType<typeof taskInstanceResponse>;
type Row = { view: TiView; order: string };

/** A repeated query parameter of whole numbers, or null. */
function intsQuery(c: Context<V2Env>, name: string): number[] | null {
  const given = c.req.queries(name);
  if (!given?.length) return null;
  return given.map((raw) => {
    if (!/^-?\d+$/.test(raw))
      throw new V2Error(422, [
        {
          loc: ["query", name],
          msg: "Input should be a valid integer, unable to parse string as an integer",
          type: "int_parsing",
          input: raw,
        },
      ]);
    return Number(raw);
  });
}

/** Every task instance of these runs, viewed, with a key for creation order. */
function rowsOf(runs: readonly (RunFacts & { dag: Dag })[]): Row[] {
  return runs.flatMap((run) =>
    taskInstancesOf(run.dag, run.snapshot).map((ti) => ({
      view: taskInstanceResponse(run.dag, run, ti),
      order: `${run.snapshot.created_at}\u0000${run.dag.id}\u0000${run.snapshot.run_id}\u0000${String(run.dag.tasks.findIndex((t) => t.taskId === ti.task_id)).padStart(6, "0")}`,
    })),
  );
}

/**
 * Task instances under `/api/v2/dags/{dag_id}/dagRuns/{dag_run_id}/taskInstances` (`~` for any DAG or run): list,
 * one, PATCH (a note, a state set by hand), tries, logs and XComs; and `POST /api/v2/dags/{dag_id}/clearTaskInstances`.
 * States set by hand and clears apply to runs that have ended: the run starts again from where it stopped.
 */
export function taskInstanceRoutes(options: V2Options): Hono<V2Env> {
  const app = new Hono<V2Env>();
  const base = "/api/v2/dags/:dag_id/dagRuns/:dag_run_id/taskInstances";

  /** The run and task instance the path names, or Airflow's 404. */
  const one = async (c: Context<V2Env>) => {
    const dag = dagOr404(options, c.req.param("dag_id") ?? "");
    const runId = c.req.param("dag_run_id") ?? "";
    const taskId = c.req.param("task_id") ?? "";
    const facts = await runOr404(options, dag, runId);
    const ti = taskInstancesOf(dag, facts.snapshot).find(
      (t) => t.task_id === taskId,
    );
    if (!ti)
      throw new V2Error(
        404,
        `The Task Instance with dag_id: \`${dag.id}\`, run_id: \`${runId}\` and task_id: \`${taskId}\` was not found`,
      );
    const mapIndex = intParam(c, "map_index", -1, -1);
    if (mapIndex !== -1)
      throw new V2Error(
        404,
        `Task instance ${taskId} has no map index ${mapIndex}: poekhali does not map tasks`,
      );
    return { dag, facts, ti };
  };

  app.get(base, async (c) => {
    const dags = dagsOf(options, c.req.param("dag_id"));
    const runId = c.req.param("dag_run_id");
    const runs = await runFacts(
      options,
      dags,
      runId === "~" ? undefined : runId,
    );
    if (runId !== "~" && runs.length === 0)
      throw new V2Error(404, `DagRun with run_id: \`${runId}\` was not found`);
    const { limit, offset } = pageParams(c);
    const order = ordering(
      c.req.queries("order_by") ?? ["map_index"],
      TI_ORDER,
    );
    const states = c.req.queries("state");
    for (const s of states ?? [])
      if (![...TI_STATES, "none", "no_status"].includes(s))
        throw new V2Error(
          422,
          `Invalid value for state. Valid values are ${[...TI_STATES, "no_status"].join(", ")}`,
        );
    const wantsState = (state: string | null) =>
      !states?.length ||
      states.some((s) =>
        s === "none" || s === "no_status" ? state === null : s === state,
      );
    const taskId = c.req.query("task_id");
    const tries = intsQuery(c, "try_number");
    const maps = intsQuery(c, "map_index");
    const list = (name: string) => c.req.queries(name) ?? null;
    const pools = list("pool");
    const queues = list("queue");
    const operators = list("operator");
    const names = patternMatcher(c.req.query("task_display_name_pattern"));
    const dagIds = patternMatcher(c.req.query("dag_id_pattern"));
    const runIds = patternMatcher(c.req.query("run_id_pattern"));
    const ranges = ["start_date", "end_date", "logical_date", "run_after"].map(
      (f) => [f, dateRange(c, f)] as const,
    );
    const rows = rowsOf(runs).filter(
      ({ view }) =>
        (taskId === undefined || view.task_id === taskId) &&
        wantsState(view.state) &&
        (tries === null || tries.includes(view.try_number)) &&
        (maps === null || maps.includes(view.map_index)) &&
        (pools === null || pools.includes(view.pool)) &&
        (queues === null || queues.includes(view.queue)) &&
        (operators === null || operators.includes(view.operator ?? "")) &&
        names(view.task_display_name) &&
        dagIds(view.dag_id) &&
        runIds(view.dag_run_id) &&
        ranges.every(([f, within]) =>
          within((view as unknown as Record<string, string | null>)[f] ?? null),
        ),
    );
    const sorted = sortRows(rows, order);
    return c.json({
      task_instances: sorted.slice(offset, offset + limit).map((r) => r.view),
      total_entries: rows.length,
    });
  });

  app.post(`${base}/list`, async (c) => {
    for (const name of ["dag_id", "dag_run_id"]) {
      const given = c.req.param(name) ?? "";
      if (given !== "~")
        throw new V2Error(422, [
          {
            loc: ["path", name],
            msg: "Input should be '~'",
            type: "literal_error",
            input: given,
          },
        ]);
    }
    const body = parseOrThrow(
      "body",
      taskInstancesBatchBody,
      c.get("body") ?? {},
    );
    const field = body as unknown as Record<string, unknown>;
    const within = (name: string, value: number | null) =>
      ["gte", "gt", "lte", "lt"].every((op) => {
        const bound = field[`${name}_${op}`];
        if (bound === null || bound === undefined) return true;
        if (value === null) return false;
        const b = typeof bound === "string" ? Date.parse(bound) : Number(bound);
        return op === "gte"
          ? value >= b
          : op === "gt"
            ? value > b
            : op === "lte"
              ? value <= b
              : value < b;
      });
    const at = (iso: string | null) => (iso === null ? null : Date.parse(iso));
    const dags = [...options.dags.values()].filter(
      (d) => !body.dag_ids || body.dag_ids.includes(d.id),
    );
    const runs = (await runFacts(options, dags)).filter(
      (r) => !body.dag_run_ids || body.dag_run_ids.includes(r.snapshot.run_id),
    );
    const order = ordering(
      [body.order_by ?? "map_index"],
      ["id", "state", "duration", "start_date", "end_date", "map_index"],
    );
    const rows = rowsOf(runs).filter(
      ({ view }) =>
        (!body.task_ids || body.task_ids.includes(view.task_id)) &&
        (!body.state || body.state.includes(view.state)) &&
        (!body.pool || body.pool.includes(view.pool)) &&
        (!body.queue || body.queue.includes(view.queue)) &&
        (!body.executor || body.executor.includes(view.executor ?? "")) &&
        within("run_after", at(view.run_after)) &&
        within("logical_date", at(view.logical_date)) &&
        within("start_date", at(view.start_date)) &&
        within("end_date", at(view.end_date)) &&
        within("duration", view.duration),
    );
    const sorted = sortRows(rows, order);
    return c.json({
      task_instances: sorted
        .slice(body.page_offset, body.page_offset + body.page_limit)
        .map((r) => r.view),
      total_entries: rows.length,
    });
  });

  app.get(`${base}/:task_id`, async (c) => {
    const { dag, facts, ti } = await one(c);
    return c.json(taskInstanceResponse(dag, facts, ti));
  });

  app.patch(`${base}/:task_id`, async (c) => {
    const { dag, facts, ti } = await one(c);
    const body = parseOrThrow("body", patchTaskInstanceBody, c.get("body"));
    let marked = new Set([ti.task_id]);
    const mask = c.req.queries("update_mask");
    const applies = (field: "new_state" | "note") =>
      field in body && (mask === undefined || mask.includes(field));
    if (applies("new_state")) {
      if (body.new_state == null)
        throw new V2Error(422, "'new_state' should not be empty");
      const current = taskInstanceResponse(dag, facts, ti).state;
      if (current === body.new_state)
        throw new V2Error(
          409,
          `Task id ${ti.task_id} is already in ${current} state`,
        );
      if (body.include_future || body.include_past)
        throw new V2Error(
          400,
          "Cannot use include_past or include_future with no logical_date(e.g. manually or asset-triggered).",
        );
      refuseWhileGoing(
        facts.snapshot.run_id,
        facts.snapshot.state,
        "sets a task instance's state",
      );
      const to = body.new_state;
      marked = relatives(dag, [ti.task_id], {
        upstream: body.include_upstream,
        downstream: body.include_downstream,
      });
      const at = new Date().toISOString();
      await changeRun(
        options,
        dag,
        facts.snapshot.run_id,
        (state) => ({ state: markTasks(state, marked, to, at) }),
        true,
      );
    }
    let noted: RunRecord | undefined;
    if (applies("note")) {
      noted = await options.state.setTaskNote(
        dag.id,
        facts.snapshot.run_id,
        ti.task_id,
        body.note ?? null,
        unrecordedRun(facts.snapshot),
      );
    }
    await recordAction(c, options, {
      event: "patch_task_instance",
      dag_id: dag.id,
      run_id: facts.snapshot.run_id,
      task_id: ti.task_id,
      map_index: -1,
      extra: body,
    });
    const read = await runOr404(options, dag, facts.snapshot.run_id);
    // The note as the object set it: a read of Restate's SQL right after might not show it yet.
    const after = noted ? { ...read, record: noted } : read;
    const changed = taskInstancesOf(dag, after.snapshot).filter((t) =>
      marked.has(t.task_id),
    );
    return c.json({
      task_instances: changed.map((t) => taskInstanceResponse(dag, after, t)),
      total_entries: changed.length,
    });
  });

  app.get(`${base}/:task_id/tries`, async (c) => {
    const { dag, facts, ti } = await one(c);
    const tries = triesOf(dag, facts, ti);
    return c.json({ task_instances: tries, total_entries: tries.length });
  });

  app.get(`${base}/:task_id/tries/:try_number`, async (c) => {
    const { dag, facts, ti } = await one(c);
    const n = c.req.param("try_number");
    const found = triesOf(dag, facts, ti).find(
      (t) => String(t.try_number) === n,
    );
    if (!found)
      throw new V2Error(
        404,
        `The Task Instance with dag_id: \`${dag.id}\`, run_id: \`${facts.snapshot.run_id}\`, task_id: \`${ti.task_id}\`, try_number: \`${n}\` and map_index: \`-1\` was not found`,
      );
    return c.json(found);
  });

  app.get(`${base}/:task_id/logs/:try_number`, async (c) => {
    const raw = c.req.param("try_number");
    if (!/^\d+$/.test(raw))
      throw new V2Error(422, [
        {
          loc: ["path", "try_number"],
          msg: "Input should be a valid integer, unable to parse string as an integer",
          type: "int_parsing",
          input: raw,
        },
      ]);
    const { dag, facts, ti } = await one(c).catch((error: unknown) => {
      if (error instanceof V2Error && error.status === 404)
        throw new V2Error(404, "TaskInstance not found");
      throw error;
    });
    const tryNumber = Number(raw);
    if (tryNumber < 1 || tryNumber > ti.try_number)
      throw new V2Error(404, "TaskInstance not found");
    const lines = await tryLog(
      options.runs,
      dag,
      facts.snapshot.conf,
      facts.snapshot.run_id,
      ti,
      tryNumber,
    );
    const token = c.req.query("token");
    let from = 0;
    if (token) {
      const read = readToken(token);
      if (read === null)
        throw new V2Error(
          400,
          "Bad Signature. Please use only the tokens provided by the API.",
        );
      from = read;
    }
    const finished =
      tryNumber < ti.try_number ||
      ["success", "failed", "skipped", "upstream_failed"].includes(ti.state);
    const messages = [
      ...(from === 0
        ? [
            {
              event: "::group::Log message source details",
              sources: [
                `restate: workflow ${dag.id}/${facts.snapshot.run_id}, state log:${ti.task_id}:${tryNumber}`,
              ],
            },
            { event: "::endgroup::" },
          ]
        : []),
      ...lines.slice(from).map(structured),
    ];
    const continuation = finished
      ? null
      : Buffer.from(JSON.stringify({ lines: lines.length })).toString(
          "base64url",
        );
    if (c.req.header("accept") === "application/x-ndjson") {
      if (continuation) c.header("Airflow-Continuation-Token", continuation);
      return c.body(
        messages.map((m) => JSON.stringify(m)).join("\n") + "\n",
        200,
        {
          "content-type": "application/x-ndjson",
        },
      );
    }
    return c.json({ content: messages, continuation_token: continuation });
  });

  // Airflow's route for one index of a mapped task; poekhali never maps a task, so only -1 (unmapped) names one.
  app.get(`${base}/:task_id/:map_index{-?[0-9]+}`, async (c) => {
    const { dag, facts, ti } = await one(c);
    const mapIndex = c.req.param("map_index");
    if (mapIndex !== "-1")
      throw new V2Error(
        404,
        `Task instance ${ti.task_id} has no map index ${mapIndex}: poekhali does not map tasks`,
      );
    return c.json(taskInstanceResponse(dag, facts, ti));
  });

  app.post("/api/v2/dags/:dag_id/clearTaskInstances", async (c) => {
    const dag = dagOr404(options, c.req.param("dag_id"));
    const body = parseOrThrow(
      "body",
      clearTaskInstancesBody,
      c.get("body") ?? {},
    );
    let runs = await runFacts(options, [dag], body.dag_run_id ?? undefined);
    if (body.dag_run_id && runs.length === 0)
      throw new V2Error(
        404,
        `Dag Run id ${body.dag_run_id} not found in dag ${dag.id}`,
      );
    if (
      (body.include_past || body.include_future) &&
      runs.some((r) => r.record?.logical_date == null)
    )
      throw new V2Error(
        400,
        "Cannot use include_past or include_future with no logical_date(e.g. manually or asset-triggered).",
      );
    const start = body.start_date ? Date.parse(body.start_date) : null;
    const end = body.end_date ? Date.parse(body.end_date) : null;
    runs = runs.filter((r) => {
      const at = Date.parse(r.record?.logical_date ?? r.snapshot.created_at);
      return (start === null || at >= start) && (end === null || at <= end);
    });
    const named =
      body.task_ids?.map((t) => (typeof t === "string" ? t : t[0])) ?? null;
    const unknown = (named ?? []).filter((id) => !dag.task(id));
    if (unknown.length > 0)
      throw new V2Error(
        404,
        unknown
          .map((id) => {
            const near = closest(
              id,
              dag.tasks.map((t) => t.taskId),
            );
            return `Task '${id}' not found in DAG '${dag.id}'${near ? ` (did you mean '${near}'?)` : ""}`;
          })
          .join("; "),
      );
    // Airflow takes the named tasks with their relatives first, then keeps those in the states asked for.
    const wanted =
      named &&
      relatives(dag, named, {
        upstream: body.include_upstream,
        downstream: body.include_downstream,
      });
    const picked = (rows: Row[]) =>
      rows.filter(
        ({ view }) =>
          (wanted === null || wanted.has(view.task_id)) &&
          (!body.only_failed ||
            ["failed", "upstream_failed"].includes(view.state ?? "")) &&
          (!body.only_running || view.state === "running"),
      );
    const rows = picked(rowsOf(runs));
    if (body.dry_run || rows.length === 0)
      return c.json({
        task_instances: rows.map((r) => r.view),
        total_entries: rows.length,
      });
    const byRun = new Map<string, Set<string>>();
    for (const { view } of rows)
      byRun.set(
        view.dag_run_id,
        (byRun.get(view.dag_run_id) ?? new Set()).add(view.task_id),
      );
    // Every run is checked before any changes: a refusal leaves them all as they were.
    for (const run of runs)
      if (byRun.has(run.snapshot.run_id))
        refuseWhileGoing(
          run.snapshot.run_id,
          run.snapshot.state,
          "clears task instances",
        );
    for (const [runId, ids] of byRun)
      await changeRun(
        options,
        dag,
        runId,
        (state) => ({ state: clearTasks(state, ids) }),
        false,
      );
    for (const runId of byRun.keys())
      await recordAction(c, options, {
        event: "post_clear_task_instances",
        dag_id: dag.id,
        run_id: runId,
        extra: body,
      });
    const after = new Set(
      rows.map((r) => `${r.view.dag_run_id}\u0000${r.view.task_id}`),
    );
    const now = rowsOf(
      await runFacts(options, [dag], body.dag_run_id ?? undefined),
    ).filter((r) => after.has(`${r.view.dag_run_id}\u0000${r.view.task_id}`));
    return c.json({
      task_instances: now.map((r) => r.view),
      total_entries: now.length,
    });
  });

  return app;
}

/** How many lines a continuation token says were sent, or null when it is not one of ours. */
function readToken(token: string): number | null {
  try {
    const read = JSON.parse(
      Buffer.from(token, "base64url").toString("utf8"),
    ) as { lines?: unknown };
    return typeof read.lines === "number" &&
      Number.isInteger(read.lines) &&
      read.lines >= 0
      ? read.lines
      : null;
  } catch {
    return null;
  }
}

/** A kept log line (`<ISO time> <LEVEL> <message>`) as Airflow's StructuredLogMessage. */
function structured(line: string): {
  event: string;
  timestamp?: string;
  level?: string;
} {
  const parsed =
    /^(\d{4}-\d\d-\d\dT[\d:.]+Z) (INFO|WARN|ERROR) ([\s\S]*)$/.exec(line);
  if (!parsed) return { event: line };
  const [, timestamp = "", level = "", event = ""] = parsed;
  return {
    timestamp,
    level: level === "WARN" ? "warning" : level.toLowerCase(),
    event,
  };
}

/** Task instance rows in the order asked for: by a field of their view (`id` keeps their own order). */
function sortRows(rows: Row[], order: Ordering): Row[] {
  return sortBy(
    rows,
    order,
    ({ view }, key) =>
      key === "id"
        ? null
        : ((view as unknown as Record<string, string | number | null>)[key] ??
          null),
    (r) => r.order,
  );
}
