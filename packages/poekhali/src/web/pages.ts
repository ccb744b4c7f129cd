import { Hono } from "hono";
import type { Dag } from "@poekhali/core";
import type { DagRuns } from "../api/dag-runs.js";
import { esc, layout, type NavLinks } from "./layout.js";

/** What the pages show and link to. */
export interface WebPagesOptions {
  readonly dags: ReadonlyMap<string, Dag>;
  readonly runs: DagRuns;
  readonly nav: NavLinks;
}

// Triggers a run through the REST API and opens its page.
const TRIGGER_SCRIPT = `
async function trigger(dagId, confText) {
  const out = document.getElementById('error-' + dagId);
  let conf = {};
  try { conf = confText ? JSON.parse(confText) : {}; } catch (e) { out.textContent = 'conf is not JSON: ' + e.message; return; }
  const res = await fetch('/api/v1/dags/' + encodeURIComponent(dagId) + '/dagRuns', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conf }) });
  const body = await res.json();
  if (!res.ok) { out.textContent = body.detail || res.statusText; return; }
  location.href = '/dags/' + encodeURIComponent(dagId) + '/runs/' + encodeURIComponent(body.dag_run_id);
}`;

/** The web UI: the DAG list with Trigger buttons, a DAG's runs, a run's task states. */
export function webPages(options: WebPagesOptions): Hono {
  const app = new Hono();
  const { nav } = options;

  app.get("/", (c) => {
    const rows = [...options.dags.values()]
      .map(
        (d) => `<tr><td><a href="/dags/${esc(d.id)}"><b>${esc(d.id)}</b></a><div class="muted">${esc(d.description)}</div></td>
<td>${d.tags.map((t) => `<code>${esc(t)}</code>`).join(" ")}</td><td class="muted">${d.schedule ?? "manual"}</td>
<td><button onclick="trigger('${esc(d.id)}')">Trigger</button><div class="error" id="error-${esc(d.id)}"></div></td></tr>`,
      )
      .join("");
    return c.html(
      layout("DAGs", nav, `<h1>DAGs</h1><table><tr><th>DAG</th><th>Tags</th><th>Schedule</th><th></th></tr>${rows}</table>
<script>${TRIGGER_SCRIPT}</script>`),
    );
  });

  app.get("/dags/:dag_id", async (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag) return c.html(layout("Not found", nav, `<h1>No DAG “${esc(c.req.param("dag_id"))}”</h1>`), 404);
    const runs = await options.runs.list(dag);
    const rows = runs
      .map(
        (r) => `<tr><td><a href="/dags/${esc(dag.id)}/runs/${encodeURIComponent(r.dag_run_id)}">${esc(r.dag_run_id)}</a></td>
<td><span class="state ${esc(r.state)}">${esc(r.state)}</span></td><td class="muted">${esc(r.start_date ?? "")}</td></tr>`,
      )
      .join("");
    return c.html(
      layout(dag.id, nav, `<h1>${esc(dag.id)}</h1><p class="muted">${esc(dag.description)}</p>
<div class="card"><label for="conf">Trigger with conf (JSON, validated against the DAG's params)</label>
<textarea id="conf" rows="4">{}</textarea><p><button onclick="trigger('${esc(dag.id)}', document.getElementById('conf').value)">Trigger</button></p>
<div class="error" id="error-${esc(dag.id)}"></div></div>
<h1>Runs</h1><table><tr><th>Run</th><th>State</th><th>Started</th></tr>${rows || `<tr><td colspan="3" class="muted">No runs yet</td></tr>`}</table>
<script>${TRIGGER_SCRIPT}</script>`),
    );
  });

  app.get("/dags/:dag_id/runs/:run_id", (c) => {
    const dag = options.dags.get(c.req.param("dag_id"));
    if (!dag) return c.html(layout("Not found", nav, `<h1>No DAG “${esc(c.req.param("dag_id"))}”</h1>`), 404);
    const runId = c.req.param("run_id");
    const api = `/api/v1/dags/${encodeURIComponent(dag.id)}/dagRuns/${encodeURIComponent(runId)}`;
    const hint = nav.sandboxChat
      ? `<div class="card">Sandbox: open the <a href="${esc(nav.sandboxChat)}" target="_blank">chat</a>, press «Поехали», then see the row in the <a href="${esc(nav.sandboxTable ?? "")}" target="_blank">table</a>.</div>`
      : "";
    return c.html(
      layout(runId, nav, `<h1><a href="/dags/${esc(dag.id)}">${esc(dag.id)}</a> / ${esc(runId)} <span id="run-state" class="state">…</span></h1>
${hint}<table id="tasks"><tr><th>Task</th><th>State</th><th>Try</th><th>Started</th><th>Ended</th><th>Note</th></tr></table>
<p class="muted">Each task's journal is in the <a href="${esc(nav.restateUi)}" target="_blank">Restate UI</a> (workflow <code>${esc(dag.id)}</code>, key <code>${esc(runId)}</code>).</p>
<script>
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
async function refresh() {
  try {
    const [run, tis] = await Promise.all([fetch(${JSON.stringify(api)}).then(r => r.json()), fetch(${JSON.stringify(api + "/taskInstances")}).then(r => r.json())]);
    const s = document.getElementById('run-state'); s.textContent = run.state; s.className = 'state ' + run.state; s.dataset.state = run.state;
    const rows = (tis.task_instances || []).map(t => '<tr data-task="' + esc(t.task_id) + '"><td><b>' + esc(t.task_id) + '</b></td><td><span class="state ' + esc(t.state) + '">' + esc(t.state) + '</span></td><td>' + t.try_number + '</td><td class="muted">' + esc(t.start_date) + '</td><td class="muted">' + esc(t.end_date) + '</td><td class="muted">' + esc(t.note) + '</td></tr>').join('');
    document.getElementById('tasks').innerHTML = '<tr><th>Task</th><th>State</th><th>Try</th><th>Started</th><th>Ended</th><th>Note</th></tr>' + rows;
    if (run.state === 'success' || run.state === 'failed') return;
  } catch (e) {}
  setTimeout(refresh, 700);
}
refresh();
</script>`),
    );
  });

  return app;
}
