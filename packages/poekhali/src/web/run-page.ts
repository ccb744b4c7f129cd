import type { Dag, TaskInstance } from "@poekhali/core";
import type { DagRunView } from "../api/dag-runs.js";
import { esc, scriptJson, when, type NavLinks } from "./layout.js";

/** A task's duration as a person reads it (`850 ms`, `1.6 s`, `2 min 5 s`), or "" until it ends. */
export function took(t: Pick<TaskInstance, "start_date" | "end_date">): string {
  if (!t.start_date || !t.end_date) return "";
  const ms = Math.max(0, Date.parse(t.end_date) - Date.parse(t.start_date));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

// Refreshes the run's state and its task rows in place until the run ends; `took` and `when` mirror the server's.
const RUN_SCRIPT = String.raw`
const when = (iso) => iso ? iso.slice(0, 19).replace('T', ' ') : '';
function took(t) {
  if (!t.start_date || !t.end_date) return '';
  const ms = Math.max(0, Date.parse(t.end_date) - Date.parse(t.start_date));
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}
const notice = document.getElementById('notice');
let misses = 0;
function paint(run, tasks) {
  const badge = document.getElementById('run-state');
  badge.textContent = run.state; badge.className = 'state ' + run.state;
  document.getElementById('run-started').textContent = run.start_date ? when(run.start_date) + ' UTC' : 'not yet';
  for (const t of tasks) {
    const row = document.querySelector('tr[data-task="' + CSS.escape(t.task_id) + '"]');
    if (!row) continue;
    const state = row.querySelector('.state');
    // Airflow 3's API says null for a task not yet scheduled to run; poekhali calls that state scheduled.
    const shown = t.state || 'scheduled';
    state.textContent = shown; state.className = 'state ' + shown;
    row.querySelector('.try').textContent = String(t.try_number);
    const started = row.querySelector('.started');
    started.textContent = when(t.start_date); started.title = t.start_date || '';
    row.querySelector('.took').textContent = took(t);
    row.querySelector('.note').textContent = t.note || '';
  }
  for (const hint of document.querySelectorAll('[data-while-deferred]')) hint.hidden = !tasks.some((t) => t.state === 'deferred');
}
async function refresh() {
  try {
    const res = await fetch(RUN.api, { cache: 'no-store' });
    if (res.status === 404) {
      // A run triggered a moment ago may not be visible yet; after a few tries it is not there.
      if (++misses >= 10) {
        notice.textContent = 'There is no run “' + RUN.runId + '” of ' + RUN.dagId + '.';
        for (const id of ['run-state', 'run-meta', 'tasks', 'journal']) document.getElementById(id).hidden = true;
        return;
      }
    } else if (res.ok) {
      const run = await res.json();
      const tis = await (await fetch(RUN.api + '/taskInstances', { cache: 'no-store' })).json();
      notice.textContent = '';
      paint(run, tis.task_instances || []);
      if (run.state === 'success' || run.state === 'failed') { document.getElementById('refreshing').hidden = true; return; }
    } else {
      notice.textContent = 'The app answered ' + res.status + '; retrying…';
    }
  } catch (e) {
    notice.textContent = 'The app does not answer; retrying…';
  }
  setTimeout(refresh, 700);
}
refresh();`;

/** What the run page shows before its script refreshes it. */
export interface RunPageData {
  readonly dag: Dag;
  readonly runId: string;
  readonly found: { run: DagRunView; taskInstances: TaskInstance[] } | null;
  readonly nav: NavLinks;
}

/** The body of `/dags/:dag_id/runs/:run_id`: the run's state and a row per task, refreshed until the run ends. */
export function runPage({ dag, runId, found, nav }: RunPageData): string {
  const api = `/api/v2/dags/${encodeURIComponent(dag.id)}/dagRuns/${encodeURIComponent(runId)}`;
  const byId = new Map(found?.taskInstances.map((t) => [t.task_id, t]));
  const state = found?.run.state ?? "…";
  const ended = state === "success" || state === "failed";
  const started = found?.run.start_date
    ? `${when(found.run.start_date)} UTC`
    : "not yet";
  const rows = dag.tasks
    .map((task) => {
      const t = byId.get(task.taskId);
      return `<tr data-task="${esc(task.taskId)}"><td><b>${esc(task.taskId)}</b><div class="muted small">${esc(task.title)}</div></td>
<td><span class="state ${esc(t?.state ?? "")}">${esc(t?.state ?? "…")}</span></td><td class="try">${esc(t?.try_number ?? "")}</td>
<td class="started nowrap muted" title="${esc(t?.start_date ?? "")}">${esc(when(t?.start_date))}</td><td class="took nowrap muted">${esc(t ? took(t) : "")}</td>
<td class="note muted">${esc(t?.note ?? "")}</td></tr>`;
    })
    .join("");
  const waiting =
    found?.taskInstances.some((t) => t.state === "deferred") ?? false;
  const hint =
    nav.sandboxChat && nav.sandboxTable
      ? `<div class="card hint" data-while-deferred${waiting ? "" : " hidden"}>Waiting for a press. In the sandbox, open the <a href="${esc(nav.sandboxChat)}" target="_blank" rel="noopener">chat</a>,
pick a user in «Press as» and press the button; the row then shows in the <a href="${esc(nav.sandboxTable)}" target="_blank" rel="noopener">table</a>.</div>`
      : "";
  return `<h1><a href="/dags/${esc(dag.id)}">${esc(dag.id)}</a> / ${esc(runId)} <span id="run-state" class="state ${esc(state)}">${esc(state)}</span></h1>
<p class="muted" id="run-meta">Started <span id="run-started">${esc(started)}</span><span id="refreshing"${ended ? " hidden" : ""}> · this page refreshes until the run ends</span></p>
<p id="notice" class="error" role="alert"></p>
${hint}<table id="tasks"><tr><th>Task</th><th>State</th><th>Try</th><th>Started (UTC)</th><th>Took</th><th>Note</th></tr>${rows}</table>
<p class="muted" id="journal">Each task's journal is in the <a href="${esc(nav.restateUi)}" target="_blank" rel="noopener">Restate UI</a> (workflow <code>${esc(dag.id)}</code>, key <code>${esc(runId)}</code>).</p>
<script>const RUN = ${scriptJson({ api, dagId: dag.id, runId })};
${RUN_SCRIPT}</script>`;
}
