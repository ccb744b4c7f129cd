/**
 * The DAG list's browser script: filters rows by id or tag as the person types, pauses and unpauses through
 * `PATCH /api/v2/dags/{dag_id}`, and refreshes the last runs and switches from `/ui/dags` every few seconds, saying
 * each run's change of state through the page's live region.
 */
export const DAGS_SCRIPT = String.raw`
const search = document.getElementById('dag-search');
const rows = [...document.querySelectorAll('tr[data-dag-row]')];
function filter() {
  const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
  let shown = 0;
  for (const row of rows) {
    const hit = words.every((w) => row.dataset.search.includes(w));
    row.hidden = !hit;
    if (hit) shown++;
  }
  document.getElementById('no-match').hidden = shown > 0 || rows.length === 0;
  document.getElementById('dag-count').textContent = (words.length ? shown + ' of ' : '') + rows.length + ' DAG' + (rows.length === 1 ? '' : 's');
}
search.addEventListener('input', filter);
const KNOWN = new Set(['success','failed','upstream_failed','running','queued','scheduled','skipped','up_for_retry','up_for_reschedule','deferred','awaiting_input']);
const squares = (s) => s.last_runs.length === 0 ? '<span class="muted small">No runs yet</span>' : [...s.last_runs].reverse().map((r) => {
  const a = document.createElement('a');
  a.className = 's-' + (KNOWN.has(r.state) ? r.state : 'none');
  a.href = '/dags/' + encodeURIComponent(s.dag_id) + '/runs/' + encodeURIComponent(r.run_id);
  a.setAttribute('aria-label', 'run ' + r.run_id + ', ' + r.state);
  a.title = r.run_id + ' · ' + r.state;
  return a.outerHTML;
}).join('');
const seen = new Map();
function paint(summaries, speak) {
  for (const s of summaries) {
    const row = document.querySelector('tr[data-dag-row="' + CSS.escape(s.dag_id) + '"]');
    if (!row) continue;
    const box = row.querySelector('[data-last-runs]');
    const html = squares(s);
    if (box.innerHTML !== html && !box.contains(document.activeElement)) box.innerHTML = html;
    const toggle = row.querySelector('[data-pause]');
    if (!toggle.disabled) { toggle.checked = !s.is_paused; row.querySelector('[data-pause-text]').textContent = s.is_paused ? 'Paused' : 'Active'; }
    for (const r of s.last_runs) {
      const key = s.dag_id + '\u0000' + r.run_id;
      if (speak && seen.get(key) !== r.state) announce(s.dag_id + ', run ' + r.run_id + ': ' + r.state);
      seen.set(key, r.state);
    }
  }
}
async function refresh() {
  try {
    const res = await fetch('/ui/dags', { cache: 'no-store', headers: { accept: 'application/json' } });
    if (res.ok && (res.headers.get('content-type') || '').includes('json')) paint((await res.json()).dags, seen.size > 0 || refresh.started);
  } catch (e) { /* the next refresh tries again */ }
  refresh.started = true;
  setTimeout(refresh, document.hidden ? 10000 : 2500);
}
document.addEventListener('change', async (event) => {
  const toggle = event.target.closest('input[data-pause]');
  if (!toggle) return;
  const dagId = toggle.dataset.pause, paused = !toggle.checked;
  const out = document.getElementById('error-' + dagId);
  out.textContent = '';
  toggle.disabled = true;
  try {
    const res = await fetch('/api/v2/dags/' + encodeURIComponent(dagId), {
      method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ is_paused: paused }) });
    if (!res.ok) throw new Error('the app answered ' + res.status);
    toggle.closest('label').querySelector('[data-pause-text]').textContent = paused ? 'Paused' : 'Active';
    announce(dagId + (paused ? ' paused' : ' active'));
  } catch (e) {
    toggle.checked = paused;
    out.textContent = 'Could not ' + (paused ? 'pause ' : 'unpause ') + dagId + ': ' + e.message;
  } finally {
    toggle.disabled = false;
  }
});
refresh();`;
