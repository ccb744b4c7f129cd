import type { Dag } from "@poekhali/core";
import type { RunPage, RunSnapshot } from "../api/dag-runs.js";
import { dagGraph } from "./dag-graph.js";
import { DAG_PAGES_STYLE } from "./dag-pages-style.js";
import { DAG_SCRIPT } from "./dag-script.js";
import { esc, scriptJson } from "./layout.js";
import {
  GRID_PAGE_SIZE,
  cellState,
  gridFilter,
  gridSearch,
  runGrid,
  type GridQuery,
} from "./run-grid.js";
import { triggerForm } from "./trigger-form.js";
import { TRIGGER_SCRIPT } from "./trigger-script.js";

/** What the DAG page's live parts are made of: the grid and the graph, rendered again on each refresh. */
export interface DagLiveParts {
  readonly grid: string;
  readonly graph: string;
  /** The run picker of the graph: not refreshed, so it never changes under the person using it. */
  readonly picker: string;
  /** `run_id \0 task_id` → state, for the script to tell what changed. */
  readonly cells: Record<string, string>;
  /** How many runs are in each state, for the filter's counts. */
  readonly counts: RunPage["counts"];
}

/** The grid and the graph of one page of runs; the graph is coloured by `selected` (the newest run when null). */
export function dagLiveParts(
  dag: Dag,
  page: RunPage,
  q: GridQuery,
  selected: RunSnapshot | null,
): DagLiveParts {
  const run = selected ?? page.runs[0] ?? null;
  const states = new Map(
    dag.tasks.map((t) => [t.taskId, run ? cellState(run, t.taskId) : "none"]),
  );
  const cells: Record<string, string> = {};
  for (const r of page.runs)
    for (const t of dag.tasks)
      cells[`${r.run_id}\u0000${t.taskId}`] = cellState(r, t.taskId);
  const choices = page.runs
    .map(
      (r) =>
        `<option value="${esc(r.run_id)}"${r.run_id === run?.run_id ? " selected" : ""}>${esc(r.run_id)} (${esc(r.state)})</option>`,
    )
    .join("");
  const picker = run
    ? `<form method="get" class="toolbar" action="#graph">${q.limit !== GRID_PAGE_SIZE ? `<input type="hidden" name="limit" value="${q.limit}">` : ""}${q.offset ? `<input type="hidden" name="offset" value="${q.offset}">` : ""}${q.states.map((s) => `<input type="hidden" name="state" value="${s}">`).join("")}
<div><label for="graph-run">Colour by run</label><select id="graph-run" name="run">${choices}${run && !page.runs.some((r) => r.run_id === run.run_id) ? `<option selected value="${esc(run.run_id)}">${esc(run.run_id)} (${esc(run.state)})</option>` : ""}</select></div>
<button type="submit" class="secondary">Show</button></form>`
    : "";
  return {
    grid: runGrid(dag, page, q),
    graph: dagGraph(dag, states, run ? `run ${run.run_id}` : "no run yet"),
    picker,
    cells,
    counts: page.counts,
  };
}

/**
 * The body of `/dags/:dag_id`: the DAG's description and tags, the grid of runs × tasks (paged on the server, filtered
 * by run state), the graph coloured by a run, and the trigger form; {@link DAG_SCRIPT} refreshes the grid and graph.
 */
export function dagPage(
  dag: Dag,
  options: {
    readonly page: RunPage;
    readonly query: GridQuery;
    readonly selected: RunSnapshot | null;
    readonly paused: boolean;
    readonly confirm: string | null;
  },
): string {
  const { page, query } = options;
  const parts = dagLiveParts(dag, page, query, options.selected);
  const live = `/ui/grid/${encodeURIComponent(dag.id)}${gridSearch(query)}`;
  return `${DAG_PAGES_STYLE}<div class="dag-head"><h1>${esc(dag.id)}</h1>${options.paused ? `<span class="tag">Paused: triggers are refused</span>` : ""}</div>
<p class="muted">${esc(dag.description)}</p><p>${dag.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join("")}</p>
<div class="section-grid"><div><h2 id="grid" tabindex="-1">Grid</h2>${gridFilter(dag, page, query)}<div id="grid-live">${parts.grid}</div>
<h2 id="graph" tabindex="-1">Graph</h2>${parts.picker}<div id="graph-live">${parts.graph}</div></div>
<div>${triggerForm(dag, options.confirm)}</div></div>
<script>const GRID = ${scriptJson({ api: live, cells: parts.cells })};</script>
<script>${TRIGGER_SCRIPT}</script><script>${DAG_SCRIPT}</script>`;
}
