import type { Dag, DagRunState } from "@poekhali/core";
import type { RunPage, RunSnapshot } from "../api/dag-runs.js";
import { esc, when } from "./layout.js";
import { stateKey } from "./theme.js";

/** How many runs one page of the grid shows unless the URL asks for another number (`limit`). */
export const GRID_PAGE_SIZE = 25;

/** The run states a grid may be filtered by. */
export const GRID_STATES: readonly DagRunState[] = [
  "queued",
  "running",
  "success",
  "failed",
];

/** Which page of runs the grid shows: its size, where it starts (newest first), and the states it keeps. */
export interface GridQuery {
  readonly limit: number;
  readonly offset: number;
  readonly states: readonly DagRunState[];
  /** The run the graph is coloured by; the newest on the page when none. */
  readonly run?: string;
}

/** The query string of a grid page (for links and the live refresh). */
export function gridSearch(q: GridQuery): string {
  const params = new URLSearchParams();
  if (q.limit !== GRID_PAGE_SIZE) params.set("limit", String(q.limit));
  if (q.offset > 0) params.set("offset", String(q.offset));
  for (const s of q.states) params.append("state", s);
  if (q.run) params.set("run", q.run);
  const text = params.toString();
  return text ? `?${text}` : "";
}

/** A task instance's state in a run: Airflow says "no status" for one not yet scheduled. */
export function cellState(run: RunSnapshot, taskId: string): string {
  const ti = run.task_instances?.find((t) => t.task_id === taskId);
  if (!ti) return run.state === "queued" ? "queued" : "none";
  return ti.state;
}

const runHref = (dag: Dag, runId: string) =>
  `/dags/${encodeURIComponent(dag.id)}/runs/${encodeURIComponent(runId)}`;

/**
 * The grid of a page of runs: runs as columns (oldest left, newest right, as Airflow 3 draws them), tasks as rows,
 * one coloured cell per task instance whose accessible name says task, run and state, and links to older and newer
 * pages. It scrolls inside its own box, never the page.
 */
export function runGrid(dag: Dag, page: RunPage, q: GridQuery): string {
  const runs = [...page.runs].reverse();
  const head = runs
    .map(
      (r) =>
        `<th scope="col" class="run-col"><a class="bar s-${stateKey(r.state)}" href="${runHref(dag, r.run_id)}" aria-label="run ${esc(r.run_id)}, ${esc(r.state)}" title="${esc(r.run_id)} · ${esc(r.state)} · ${esc(when(r.created_at))} UTC"></a></th>`,
    )
    .join("");
  const rows = dag.tasks
    .map((task) => {
      const cells = runs
        .map((r) => {
          const state = cellState(r, task.taskId);
          const name = `${task.taskId}, ${r.run_id}, ${state}`;
          return `<td><a class="cell sq s-${stateKey(state)}" data-cell="${esc(`${r.run_id}\u0000${task.taskId}`)}" data-state="${esc(state)}" href="${runHref(dag, r.run_id)}?task=${encodeURIComponent(task.taskId)}" aria-label="${esc(name)}" title="${esc(name)}"></a></td>`;
        })
        .join("");
      return `<tr><th scope="row" class="task">${esc(task.taskId)}</th>${cells}</tr>`;
    })
    .join("");
  const shownFrom = page.total === 0 ? 0 : q.offset + 1;
  const shownTo = q.offset + page.runs.length;
  const older =
    shownTo < page.total
      ? `<a class="button secondary" rel="next" href="${gridSearch({ ...q, offset: q.offset + q.limit, run: undefined })}#grid">Older runs</a>`
      : "";
  const newer =
    q.offset > 0
      ? `<a class="button secondary" rel="prev" href="${gridSearch({ ...q, offset: Math.max(0, q.offset - q.limit), run: undefined })}#grid">Newer runs</a>`
      : "";
  const table =
    runs.length === 0
      ? `<p class="muted">${q.states.length ? "No runs in these states." : "No runs yet."}</p>`
      : `<div class="scroll grid-box"><table class="grid"><caption class="sr-only">Runs of ${esc(dag.id)} as columns, oldest first; tasks as rows</caption>
<thead><tr><th scope="col" class="task">Task</th>${head}</tr></thead><tbody>${rows}</tbody></table></div>`;
  return `${table}<nav class="pager" aria-label="Run pages">${older}${page.total === 0 ? "" : `<span class="muted small" id="grid-range">Runs ${shownFrom}–${shownTo} of ${page.total}, newest right</span>`}${newer}</nav>`;
}

/** The state filter of the grid: a checkbox per run state with its count, applied by a GET. */
export function gridFilter(dag: Dag, page: RunPage, q: GridQuery): string {
  const boxes = GRID_STATES.map(
    (s) =>
      `<label class="check"><input type="checkbox" name="state" value="${s}"${q.states.includes(s) ? " checked" : ""}> <span class="sq s-${s}" aria-hidden="true"></span> ${s} <span class="muted">(<span data-count="${s}">${page.counts[s]}</span>)</span></label>`,
  ).join("");
  return `<form class="filters" method="get" action="/dags/${esc(encodeURIComponent(dag.id))}#grid"><fieldset><legend>Show runs that are</legend>${boxes}
${q.limit !== GRID_PAGE_SIZE ? `<input type="hidden" name="limit" value="${q.limit}">` : ""}<button type="submit" class="secondary">Filter</button></fieldset></form>`;
}
