import { Hono, type Context } from "hono";
import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { ConfError, type Dag } from "@poekhali/core";
import type { ApiState } from "./api-state.js";
import { RunExistsError, type DagRuns } from "./dag-runs.js";
import { jsonBody } from "./json-body.js";
import { problem } from "./problem.js";
import { runIdProblem } from "./run-id.js";
import { openApiRoutes } from "./v2/openapi.js";
import { v2Api } from "./v2/v2-api.js";
import type { EventLog } from "./event-log.js";
import type { Variables } from "./variables.js";
import type { DagSource } from "./v2/views.js";

/** What the sandbox's emulators are reachable at (GET /api/v1/sandbox). */
export interface SandboxInfo {
  readonly telegram: {
    readonly api_root: string;
    readonly token: string;
    readonly chat_id: string;
  };
  readonly airtable: {
    readonly endpoint_url: string;
    readonly token: string;
    readonly base_id: string;
    readonly table: string;
  };
}

/** What the REST API serves from. */
export interface RestApiOptions {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  /** True once the worker is registered and a run can start. */
  readonly ready: () => boolean;
  /** Paused DAGs and what the API recorded of runs, kept in Restate for every web instance. */
  readonly state: ApiState;
  /** The DAGs folder and the file of each DAG (for v2's `fileloc`); the folder alone when not given. */
  readonly source?: DagSource;
  readonly sandbox?: SandboxInfo;
  /** Airflow Variables, kept in Restate (`/api/v2/variables`). */
  readonly variables: Variables;
  /** Airflow's event log, kept in Restate (`/api/v2/eventLogs`). */
  readonly eventLog: EventLog;
  /** DAG files that failed to load, with the error, as Airflow's import errors. */
  readonly importErrors?: readonly {
    readonly path: string;
    readonly error: string;
  }[];
}

const triggerBody = z.object({
  dag_run_id: z
    .string()
    .superRefine((id, ctx) => {
      const why = runIdProblem(id);
      if (why) ctx.addIssue({ code: "custom", message: why });
    })
    .optional(),
  // The parsed object itself, not a copy: copying key by key turns a "__proto__" key into the copy's prototype,
  // where the undeclared-key check cannot see it and the run never gets it.
  conf: z
    .custom<Record<string, unknown>>(
      (v) => typeof v === "object" && v !== null && !Array.isArray(v),
      "must be an object of the DAG's params",
    )
    .optional(),
});

/**
 * Routes under a DAG see it as `c.get("dag")`; routes with a body see it parsed as `c.get("body")`; with a password
 * set, the token's user is `c.get("user")`.
 */
type DagEnv = {
  Variables: { dag: Dag; body: unknown; user: string | undefined };
};

/** Airflow-shaped REST API: `/healthz`, Airflow 2's `/api/v1/dags/...` and Airflow 3's `/api/v2/...` with its OpenAPI document. */
export function restApi(options: RestApiOptions): Hono<DagEnv> {
  const app = new Hono<DagEnv>();
  const loadedAt = new Date().toISOString();
  // Every route under a DAG finds it here, or answers 404 naming it.
  const findDag = createMiddleware<DagEnv>(async (c, next) => {
    const dag = options.dags.get(c.req.param("dag_id") ?? "");
    if (!dag)
      return problem(
        c,
        404,
        "DAG not found",
        `no DAG "${c.req.param("dag_id")}"`,
      );
    c.set("dag", dag);
    await next();
  });
  // A run id in the path is checked as one in a body is: "." and ".." never reach Restate's URLs.
  const checkRunId = createMiddleware<DagEnv>(async (c, next) => {
    const why = runIdProblem(c.req.param("dag_run_id") ?? "");
    if (why) return problem(c, 400, "Bad request", `dag_run_id: ${why}`);
    await next();
  });
  app.use("/api/*", jsonBody());
  app.route("/", openApiRoutes());
  app.route(
    "/",
    v2Api({
      dags: options.dags,
      runs: options.runs,
      state: options.state,
      source: options.source ?? { folder: ".", files: new Map() },
      ready: options.ready,
      importErrors: options.importErrors ?? [],
      loadedAt,
      variables: options.variables,
      eventLog: options.eventLog,
    }),
  );
  app.use("/api/v1/dags/:dag_id", findDag);
  app.use("/api/v1/dags/:dag_id/*", findDag);
  app.use("/api/v1/dags/:dag_id/dagRuns/:dag_run_id", checkRunId);
  app.use("/api/v1/dags/:dag_id/dagRuns/:dag_run_id/*", checkRunId);

  app.get("/healthz", (c) =>
    options.ready()
      ? c.json({ status: "ok" })
      : c.json({ status: "starting" }, 503),
  );

  app.get("/api/v1/dags", async (c) => {
    const paused = await options.state.pausedOf([...options.dags.keys()]);
    const dags = [...options.dags.values()].map((d) =>
      dagView(d, paused.has(d.id)),
    );
    return c.json({ dags, total_entries: dags.length });
  });

  app.get("/api/v1/dags/:dag_id", async (c) => {
    const dag = c.get("dag");
    return c.json(dagView(dag, await options.state.isPaused(dag.id)));
  });

  app.get("/api/v1/dags/:dag_id/dagRuns", async (c) => {
    const dag = c.get("dag");
    const runs = await options.runs.list(dag);
    return c.json({ dag_runs: runs, total_entries: runs.length });
  });

  app.post("/api/v1/dags/:dag_id/dagRuns", async (c) => {
    const dag = c.get("dag");
    const body = triggerBody.safeParse(c.get("body"));
    if (!body.success) {
      const issue = body.error.issues[0];
      return problem(
        c,
        400,
        "Bad request",
        `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
      );
    }
    if (await options.state.isPaused(dag.id))
      return problem(
        c,
        409,
        "Conflict",
        `DAG "${dag.id}" is paused and starts no new runs; unpause it first`,
      );
    const conf = body.data.conf ?? {};
    try {
      dag.parseConf(conf);
    } catch (error) {
      if (error instanceof ConfError)
        return problem(c, 400, "Bad request", error.message);
      throw error;
    }
    if (!options.ready())
      return problem(
        c,
        503,
        "Not ready",
        "the worker is not registered yet; retry in a moment",
      );
    const runId = body.data.dag_run_id ?? `manual__${new Date().toISOString()}`;
    try {
      const run = await options.runs.trigger(dag, runId, conf);
      const now = new Date().toISOString();
      // Best-effort: the run has started, and a client retrying a 500 would start another.
      await options.state.recordTrigger(dag.id, runId, {
        logical_date: null,
        run_after: now,
        queued_at: now,
        triggered_by: "rest_api",
        triggering_user_name: null,
        note: null,
      });
      await options.eventLog.record({
        ...v1Entry(c, "trigger_dag_run", runId),
        extra: JSON.stringify(body.data),
      });
      return c.json(run);
    } catch (error) {
      if (error instanceof RunExistsError)
        return problem(c, 409, "Conflict", error.message);
      throw error;
    }
  });

  app.get("/api/v1/dags/:dag_id/dagRuns/:dag_run_id", async (c) => {
    const dag = c.get("dag");
    const found = await options.runs.get(dag, c.req.param("dag_run_id"));
    return found
      ? c.json(found.run)
      : problem(
          c,
          404,
          "DAG run not found",
          `no run "${c.req.param("dag_run_id")}"`,
        );
  });

  app.patch("/api/v1/dags/:dag_id/dagRuns/:dag_run_id", async (c) => {
    const dag = c.get("dag");
    const body = c.get("body") as { state?: unknown } | null;
    if (body?.state !== "failed")
      return problem(
        c,
        400,
        "Bad request",
        'state: only "failed" is supported: it cancels the run',
      );
    const runId = c.req.param("dag_run_id");
    const found = await options.runs.get(dag, runId);
    if (!found)
      return problem(c, 404, "DAG run not found", `no run "${runId}"`);
    if (found.run.state === "success" || found.run.state === "failed") {
      return problem(
        c,
        409,
        "Conflict",
        `run "${runId}" already ended ${found.run.state}`,
      );
    }
    await options.runs.cancel(dag, runId);
    await options.eventLog.record({
      ...v1Entry(c, "patch_dag_run", runId),
      extra: JSON.stringify({ state: "failed" }),
    });
    return c.json({ ...found.run, state: "failed" });
  });

  app.get("/api/v1/importErrors", (c) => {
    const list = (options.importErrors ?? []).map((e, i) => ({
      import_error_id: i + 1,
      filename: e.path,
      stack_trace: e.error,
    }));
    return c.json({ import_errors: list, total_entries: list.length });
  });

  app.get(
    "/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/xcomEntries/:key",
    async (c) => {
      const dag = c.get("dag");
      if (c.req.param("key") !== "return_value")
        return problem(
          c,
          404,
          "XCom not found",
          'tasks keep one XCom: "return_value", their output',
        );
      const { dag_run_id, task_id } = {
        dag_run_id: c.req.param("dag_run_id"),
        task_id: c.req.param("task_id"),
      };
      const found = await options.runs.xcom(dag, dag_run_id, task_id);
      if (!found)
        return problem(
          c,
          404,
          "XCom not found",
          `task "${task_id}" of run "${dag_run_id}" has no output (yet)`,
        );
      return c.json({
        key: "return_value",
        dag_id: dag.id,
        dag_run_id,
        task_id,
        value: found.value,
      });
    },
  );

  app.get(
    "/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances/:task_id/logs/:try_number",
    async (c) => {
      const dag = c.get("dag");
      const tryNumber = Number(c.req.param("try_number"));
      if (!Number.isInteger(tryNumber) || tryNumber < 1)
        return problem(
          c,
          400,
          "Bad request",
          "try_number must be a whole number ≥ 1",
        );
      const lines = await options.runs.logs(
        dag,
        c.req.param("dag_run_id"),
        c.req.param("task_id"),
        tryNumber,
      );
      if (lines === null)
        return problem(
          c,
          404,
          "Log not found",
          "no log kept for that run, task and try",
        );
      const content = lines.join("\n");
      return c.req.header("accept")?.includes("application/json")
        ? c.json({ content, continuation_token: null })
        : c.text(content);
    },
  );

  app.get(
    "/api/v1/dags/:dag_id/dagRuns/:dag_run_id/taskInstances",
    async (c) => {
      const dag = c.get("dag");
      const found = await options.runs.get(dag, c.req.param("dag_run_id"));
      if (!found)
        return problem(
          c,
          404,
          "DAG run not found",
          `no run "${c.req.param("dag_run_id")}"`,
        );
      return c.json({
        task_instances: found.taskInstances,
        total_entries: found.taskInstances.length,
      });
    },
  );

  app.get("/api/v1/sandbox", (c) =>
    options.sandbox
      ? c.json(options.sandbox)
      : problem(
          c,
          404,
          "Not in sandbox mode",
          "TELEGRAM_BOT_TOKEN is set: this is a live deployment",
        ),
  );

  return app;
}

function dagView(dag: Dag, paused: boolean) {
  return {
    dag_id: dag.id,
    description: dag.description,
    is_paused: paused,
    schedule_interval: null,
    tags: dag.tags.map((name) => ({ name })),
    params: z.toJSONSchema(dag.paramsSchema, {
      io: "input",
      unrepresentable: "any",
    }),
    tasks: dag.tasks.map((t) => ({
      task_id: t.taskId,
      title: t.title,
      downstream_of: t.upstreamTaskIds,
    })),
  };
}

/** An event log entry for a change made through `/api/v1`, by the token's user (Airflow's `Anonymous` without one). */
function v1Entry(c: Context<DagEnv>, event: string, runId: string) {
  return {
    when: new Date().toISOString(),
    event,
    owner: c.get("user") ?? "Anonymous",
    dag_id: c.get("dag").id,
    run_id: runId,
    task_id: null,
    map_index: null,
    try_number: null,
    logical_date: null,
  };
}
