import type { Dag, TaskInstance } from "@poekhali/core";
import type { DagRunView } from "../api/dag-runs.js";
import { esc, scriptJson, stateBadge, when, type NavLinks } from "./layout.js";
import { RUN_PAGE_STYLE } from "./run-page-style.js";
import { RUN_SCRIPT } from "./run-script.js";

/** A task's duration as a person reads it (`850 ms`, `1.6 s`, `2 min 5 s`), or "" until it ends. */
export function took(t: Pick<TaskInstance, "start_date" | "end_date">): string {
  if (!t.start_date || !t.end_date) return "";
  const ms = Math.max(0, Date.parse(t.end_date) - Date.parse(t.start_date));
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** What the run page shows before its script refreshes it. */
export interface RunPageData {
  readonly dag: Dag;
  readonly runId: string;
  readonly found: { run: DagRunView; taskInstances: TaskInstance[] } | null;
  readonly nav: NavLinks;
  /** The run's note (kept by the REST API), if any. */
  readonly note?: string | null;
  /** The run's invocation in the Restate UI, once Restate has one. */
  readonly restateLink?: string | null;
  /** The selected task's panel (see `taskPanel`), or null when none is selected. */
  readonly panel?: { taskId: string; html: string } | null;
}

const utc = (iso: string | null | undefined) => (iso ? `${when(iso)} UTC` : "");

/**
 * The body of `/dags/:dag_id/runs/:run_id`: the run's facts (conf, note, start, end, duration) and actions, a row
 * per task, and the selected task's panel; its script refreshes them until the run ends.
 */
export function runPage({
  dag,
  runId,
  found,
  nav,
  note = null,
  restateLink = null,
  panel = null,
}: RunPageData): string {
  const base = `/dags/${encodeURIComponent(dag.id)}/runs/${encodeURIComponent(runId)}`;
  const api = `/api/v2/dags/${encodeURIComponent(dag.id)}/dagRuns/${encodeURIComponent(runId)}`;
  const byId = new Map(found?.taskInstances.map((t) => [t.task_id, t]));
  const run = found?.run;
  const state = run?.state ?? "…";
  const rows = dag.tasks
    .map((task) => {
      const t = byId.get(task.taskId);
      const selected = panel?.taskId === task.taskId;
      return `<tr data-task="${esc(task.taskId)}"${selected ? ' class="selected"' : ""}>
<td data-label="Task"><a class="task-link" href="${esc(`${base}?task=${encodeURIComponent(task.taskId)}`)}"${selected ? ' aria-current="true"' : ""}><b>${esc(task.taskId)}</b></a><div class="muted small">${esc(task.title)}</div></td>
<td data-label="State" class="st">${stateBadge(t?.state ?? null)}</td><td data-label="Try" class="try">${esc(t?.try_number ?? "")}</td>
<td data-label="Started (UTC)" class="started nowrap">${esc(when(t?.start_date))}</td><td data-label="Ended (UTC)" class="ended nowrap">${esc(when(t?.end_date))}</td>
<td data-label="Took" class="took nowrap">${esc(t ? took(t) : "")}</td><td data-label="Note" class="note">${esc(t?.note ?? "")}</td></tr>`;
    })
    .join("");
  const waiting =
    found?.taskInstances.some((t) => t.state === "deferred") ?? false;
  const hint =
    nav.sandboxChat && nav.sandboxTable
      ? `<div class="card hint" data-while-deferred${waiting ? "" : " hidden"}>Waiting for a press. In the sandbox, open the <a href="${esc(nav.sandboxChat)}" target="_blank" rel="noopener">chat</a>,
pick a user in «Press as» and press the button; the row then shows in the <a href="${esc(nav.sandboxTable)}" target="_blank" rel="noopener">table</a>.</div>`
      : "";
  const conf = run ? JSON.stringify(run.conf, null, 2) : "";
  const journal = restateLink
    ? `<a href="${esc(restateLink)}" target="_blank" rel="noopener">Open this run's invocation in the Restate UI<span class="ext" aria-hidden="true">↗</span></a> (workflow <code>${esc(dag.id)}</code>, key <code>${esc(runId)}</code>): its journal, every step and the awakeable it waits on.`
    : `Each task's journal is in the <a href="${esc(nav.restateUi)}" target="_blank" rel="noopener">Restate UI</a> (workflow <code>${esc(dag.id)}</code>, key <code>${esc(runId)}</code>).`;
  return `<style>${RUN_PAGE_STYLE}</style>
<h1><a href="/dags/${esc(encodeURIComponent(dag.id))}">${esc(dag.id)}</a> / <span class="run-id">${esc(runId)}</span> ${stateBadge(state, 'id="run-state"')}</h1>
<div id="run-meta">
<dl class="facts card">
<div><dt>Started</dt><dd id="run-started">${esc(utc(run?.start_date) || "not yet")}</dd></div>
<div><dt>Ended</dt><dd id="run-ended">${esc(utc(run?.end_date) || "not yet")}</dd></div>
<div><dt>Duration</dt><dd id="run-took">${esc(run ? took(run) : "")}</dd></div>
<div class="wide"><dt>Note</dt><dd><span id="run-note">${note ? esc(note) : '<span class="muted">none</span>'}</span></dd></div>
<div class="wide"><dt>Conf</dt><dd><pre id="run-conf" tabindex="0" aria-label="Conf">${esc(conf)}</pre></dd></div>
</dl>
<div class="actions" role="group" aria-label="Run actions">
<button type="button" data-action="fail" data-when="running queued">Cancel run…</button>
<button type="button" data-action="fail" data-when="success">Mark failed…</button>
<button type="button" data-action="success" data-when="failed">Mark success…</button>
<button type="button" class="secondary" data-action="rerun">Re-run with the same conf…</button>
<button type="button" class="secondary" data-action="note">Edit note…</button>
</div>
<p id="refreshing" class="muted small"${state === "success" || state === "failed" ? " hidden" : ""}>This page refreshes until the run ends.</p>
</div>
<p id="notice" class="error" role="alert"></p>
${hint}<h2>Task instances</h2><div class="scroll"><table id="tasks" class="cards"><thead><tr><th>Task</th><th>State</th><th>Try</th><th>Started (UTC)</th><th>Ended (UTC)</th><th>Took</th><th>Note</th></tr></thead><tbody>${rows}</tbody></table></div>
<section id="task-panel" class="card" aria-label="Task details"${panel ? "" : " hidden"}>${panel?.html ?? ""}</section>
<p class="muted" id="journal">${journal}</p>
<dialog id="confirm" aria-labelledby="confirm-title"><form method="dialog">
<h2 id="confirm-title"></h2><p id="confirm-text"></p>
<div id="note-field" hidden><label for="note-input">Note</label><textarea id="note-input" rows="3"></textarea></div>
<p class="buttons"><button type="submit" value="cancel" class="secondary">Back</button> <button type="submit" value="ok" id="confirm-ok">Confirm</button></p>
</form></dialog>
<script>const RUN = ${scriptJson({ api, base, dagId: dag.id, runId, task: panel?.taskId ?? null, state })};
${RUN_SCRIPT}</script>`;
}
