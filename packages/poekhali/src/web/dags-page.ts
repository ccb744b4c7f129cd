import type { Dag, DagRunState } from "@poekhali/core";
import { CONFIRM_DIALOG } from "./trigger-form.js";
import { DAG_PAGES_STYLE } from "./dag-pages-style.js";
import { DAGS_SCRIPT } from "./dags-script.js";
import { esc } from "./layout.js";
import { TRIGGER_SCRIPT } from "./trigger-script.js";
import { stateKey } from "./theme.js";

/** How many of each DAG's last runs the list shows as squares. */
export const LAST_RUNS = 10;

/** What the DAG list shows of one DAG beyond its definition, and what `/ui/dags` answers for the live refresh. */
export interface DagSummary {
  readonly dag_id: string;
  readonly is_paused: boolean;
  /** The last runs, newest first. */
  readonly last_runs: readonly { run_id: string; state: DagRunState }[];
}

/** The squares of a DAG's last runs, oldest left as in the grid; each a link named by its run and state. */
export function lastRunSquares(summary: DagSummary): string {
  if (summary.last_runs.length === 0)
    return `<span class="muted small">No runs yet</span>`;
  return [...summary.last_runs]
    .reverse()
    .map(
      (r) =>
        `<a class="s-${stateKey(r.state)}" href="/dags/${esc(encodeURIComponent(summary.dag_id))}/runs/${esc(encodeURIComponent(r.run_id))}" aria-label="run ${esc(r.run_id)}, ${esc(r.state)}" title="${esc(r.run_id)} · ${esc(r.state)}"></a>`,
    )
    .join("");
}

/**
 * The body of `/`: every DAG with its description, tags, last runs, an Active switch (Airflow's pause toggle) and a
 * Trigger button, a search by id or tag, refreshed live by {@link DAGS_SCRIPT}. `confirm` says, for a DAG that talks
 * to a live service, what the person confirms before it runs.
 */
export function dagsPage(
  dags: readonly Dag[],
  summaries: ReadonlyMap<string, DagSummary>,
  confirm: (dag: Dag) => string | null,
): string {
  const rows = dags
    .map((d) => {
      const s = summaries.get(d.id) ?? {
        dag_id: d.id,
        is_paused: false,
        last_runs: [],
      };
      const ask = confirm(d);
      return `<tr data-dag-row="${esc(d.id)}" data-search="${esc([d.id, ...d.tags].join(" ").toLowerCase())}">
<td data-label="DAG"><a href="/dags/${esc(encodeURIComponent(d.id))}"><b>${esc(d.id)}</b></a><div class="muted small">${esc(d.description)}</div></td>
<td data-label="Tags">${d.tags.map((t) => `<span class="tag">${esc(t)}</span>`).join("") || `<span class="muted small">none</span>`}</td>
<td data-label="Last runs"><div class="runs-sq" data-last-runs>${lastRunSquares(s)}</div></td>
<td data-label="Active"><label class="switch"><input type="checkbox" role="switch" data-pause="${esc(d.id)}"${s.is_paused ? "" : " checked"} aria-label="Active, ${esc(d.id)}"> <span data-pause-text>${s.is_paused ? "Paused" : "Active"}</span></label></td>
<td data-label="Run" class="nowrap"><button type="button" data-dag-id="${esc(d.id)}"${ask ? ` data-confirm="${esc(ask)}"` : ""} aria-label="Trigger ${esc(d.id)}">Trigger</button><div class="error" role="alert" id="error-${esc(d.id)}"></div></td></tr>`;
    })
    .join("");
  return `${DAG_PAGES_STYLE}<h1>DAGs</h1>
<div class="toolbar" role="search"><div><label for="dag-search">Search by id or tag</label><input id="dag-search" type="search" autocomplete="off" spellcheck="false" aria-controls="dag-table"></div>
<p class="muted small" id="dag-count" aria-live="polite">${dags.length} DAG${dags.length === 1 ? "" : "s"}</p></div>
<table class="cards" id="dag-table"><thead><tr><th scope="col">DAG</th><th scope="col">Tags</th><th scope="col">Last runs</th><th scope="col">Active</th><th scope="col"><span class="sr-only">Trigger</span></th></tr></thead>
<tbody>${rows || `<tr><td colspan="5" class="muted">No DAGs loaded</td></tr>`}</tbody></table>
<p class="muted" id="no-match" hidden>No DAG matches the search.</p>
<p class="muted small">Trigger runs a DAG with its default params; open a DAG to trigger it with your own.</p>
${CONFIRM_DIALOG}<script>${TRIGGER_SCRIPT}</script><script>${DAGS_SCRIPT}</script>`;
}
