import { Hono, type Context } from "hono";
import { HITLTask, type Dag, type DagRunState } from "@poekhali/core";
import type { DagRuns } from "../api/dag-runs.js";
import { dagLiveParts, dagPage } from "./dag-page.js";
import { LAST_RUNS, dagsPage, type DagSummary } from "./dags-page.js";
import { esc, layout, type NavLinks } from "./layout.js";
import { GRID_PAGE_SIZE, GRID_STATES, type GridQuery } from "./run-grid.js";
import { requiredActionsPages } from "./required-actions-page.js";
import { restateInvocationLink } from "./restate-link.js";
import { runPage } from "./run-page.js";
import { taskPanel } from "./task-panel.js";

// The most runs one page may ask for: enough to look back, few enough to stay fast.
const MAX_GRID_PAGE = 100;

/** What the pages show and link to. */
export interface WebPagesOptions {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  readonly nav: NavLinks;
  /** Which of these DAGs are paused (kept by the REST API); none is when absent. */
  readonly paused?: (dagIds: readonly string[]) => Promise<ReadonlySet<string>>;
  /** A run's note, kept by the REST API; none when absent. */
  readonly runNote?: (dagId: string, runId: string) => Promise<string | null>;
  /** What a person confirms before a run of this DAG starts (it talks to a live service), or null to ask nothing. */
  readonly confirm?: (dag: Dag) => string | null;
}

const notFound = (nav: NavLinks, what: string) =>
  layout(
    "Not found",
    nav,
    `<h1>${esc(what)}</h1><p><a href="/">Back to the DAGs</a></p>`,
  );

/** A grid query from the URL, or the sentence saying which part of it is wrong. */
function gridQuery(c: Context): GridQuery | string {
  const rawOffset = c.req.query("offset") ?? "0";
  const offset = Number(rawOffset);
  if (!/^\d+$/.test(rawOffset) || !Number.isSafeInteger(offset))
    return `offset must be a whole number of runs (0 or more), not “${rawOffset}”`;
  const rawLimit = c.req.query("limit") ?? String(GRID_PAGE_SIZE);
  const limit = Number(rawLimit);
  if (!/^\d+$/.test(rawLimit) || limit < 1 || limit > MAX_GRID_PAGE)
    return `limit must be a whole number of runs from 1 to ${MAX_GRID_PAGE}, not “${rawLimit}”`;
  const states = c.req.queries("state") ?? [];
  const unknown = states.find((s) => !GRID_STATES.includes(s as DagRunState));
  if (unknown !== undefined)
    return `state “${unknown}” is not a run state; use ${GRID_STATES.join(", ")}`;
  const run = c.req.query("run");
  return {
    limit,
    offset,
    states: states as DagRunState[],
    ...(run ? { run } : {}),
  };
}

/**
 * The web UI: the DAG list, a DAG's grid, graph and trigger form, a run's task states, and the JSON their scripts
 * refresh from (`/ui/dags`, `/ui/grid/:dag_id`, as Airflow 3's UI has its own `/ui` routes beside the REST API).
 */
export function webPages(options: WebPagesOptions): Hono {
  const app = new Hono();
  const { nav } = options;
  const paused = options.paused ?? (() => Promise.resolve(new Set<string>()));
  const confirm = options.confirm ?? (() => null);
  const dags = () => [...options.dags.values()];

  async function summaries(): Promise<Map<string, DagSummary>> {
    const list = dags();
    const ids = list.map((d) => d.id);
    const [latest, pausedNow] = await Promise.all([
      options.runs.latest(ids, LAST_RUNS),
      paused(ids),
    ]);
    return new Map(
      list.map((d) => [
        d.id,
        {
          dag_id: d.id,
          is_paused: pausedNow.has(d.id),
          last_runs: latest.get(d.id) ?? [],
        },
      ]),
    );
  }

  app.get("/", async (c) =>
    c.html(layout("DAGs", nav, dagsPage(dags(), await summaries(), confirm))),
  );

  app.get("/ui/dags", async (c) =>
    c.json({ dags: [...(await summaries()).values()] }),
  );

  /** The page of runs a grid query asks for, and the run the graph is coloured by. */
  async function gridData(dag: Dag, query: GridQuery) {
    const page = await options.runs.page(dag, query);
    const onPage = query.run
      ? page.runs.find((r) => r.run_id === query.run)
      : undefined;
    const selected =
      onPage ??
      (query.run
        ? ((await options.runs.snapshots([dag.id], query.run))[0] ?? null)
        : null);
    return { page, selected };
  }

  app.get("/dags/:dag_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag)
      return c.html(notFound(nav, `No DAG “${c.req.param("dag_id")}”`), 404);
    const query = gridQuery(c);
    if (typeof query === "string")
      return c.html(
        layout(
          dag.id,
          nav,
          `<h1>${esc(dag.id)}</h1><p class="error" role="alert">${esc(query)}</p><p><a href="/dags/${esc(encodeURIComponent(dag.id))}">Show the newest runs</a></p>`,
        ),
        400,
      );
    const [{ page, selected }, pausedNow] = await Promise.all([
      gridData(dag, query),
      paused([dag.id]),
    ]);
    return c.html(
      layout(
        dag.id,
        nav,
        dagPage(dag, {
          page,
          query,
          selected,
          paused: pausedNow.has(dag.id),
          confirm: confirm(dag),
        }),
      ),
    );
  });

  app.get("/ui/grid/:dag_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag)
      return c.json({ detail: `No DAG “${c.req.param("dag_id")}”` }, 404);
    const query = gridQuery(c);
    if (typeof query === "string") return c.json({ detail: query }, 400);
    const { page, selected } = await gridData(dag, query);
    const { grid, graph, cells, counts } = dagLiveParts(
      dag,
      page,
      query,
      selected,
    );
    return c.json({ grid, graph, cells, counts });
  });

  /** A run's facts the run page and its task panel read: the run, its task instances, its invocation. */
  async function runFactsOf(dag: Dag, runId: string) {
    const [found, snapshot] = await Promise.all([
      options.runs.get(dag, runId).catch(() => null),
      options.runs
        .snapshots([dag.id], runId)
        .then((s) => s[0] ?? null)
        .catch(() => null),
    ]);
    return { found, snapshot };
  }

  /** The panel of one task of a run, or null when the run or task is not there. */
  async function panelOf(
    dag: Dag,
    runId: string,
    found: Awaited<ReturnType<DagRuns["get"]>>,
    taskId: string,
  ): Promise<string | null> {
    const ti = found?.taskInstances.find((t) => t.task_id === taskId);
    if (!found || !ti) return null;
    const hitl =
      dag.task(taskId) instanceof HITLTask
        ? await options.runs.hitl.get(dag.id, runId, taskId).catch(() => null)
        : null;
    return taskPanel(options.runs, {
      dag,
      runId,
      conf: found.run.conf,
      ti,
      hitl,
      runEnded: found.run.state === "success" || found.run.state === "failed",
    });
  }

  app.get("/dags/:dag_id/runs/:run_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag)
      return c.html(notFound(nav, `No DAG “${c.req.param("dag_id")}”`), 404);
    const runId = c.req.param("run_id");
    // Rendered with what is known now, so the page reads right before (and without) its script.
    const [{ found, snapshot }, note] = await Promise.all([
      runFactsOf(dag, runId),
      options.runNote?.(dag.id, runId) ?? null,
    ]);
    const taskId = c.req.query("task");
    const html = taskId ? await panelOf(dag, runId, found, taskId) : null;
    return c.html(
      layout(
        runId,
        nav,
        runPage({
          dag,
          runId,
          found,
          nav,
          note,
          restateLink: snapshot
            ? restateInvocationLink(nav.restateUi, snapshot.invocation_id)
            : null,
          panel: taskId && html !== null ? { taskId, html } : null,
        }),
      ),
    );
  });

  app.get("/dags/:dag_id/runs/:run_id/tasks/:task_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag) return c.text(`No DAG “${c.req.param("dag_id")}”`, 404);
    const runId = c.req.param("run_id");
    const found = await options.runs.get(dag, runId).catch(() => null);
    const html = await panelOf(dag, runId, found, c.req.param("task_id"));
    if (html === null)
      return c.text(
        `No task “${c.req.param("task_id")}” in run “${runId}”`,
        404,
      );
    return c.html(html);
  });

  app.route("/", requiredActionsPages(options));

  return app;
}
