/**
 * The DAG page's browser script: every few seconds it reads the grid and graph again from `/ui/grid/{dag_id}` (the
 * same page of runs, filters and selected run), swaps them in when a state changed, keeps the focus on the cell it was
 * on, and says what changed through the page's live region.
 */
export const DAG_SCRIPT = String.raw`
let cells = GRID.cells;
function focusKey() {
  const el = document.activeElement;
  if (!el || !el.closest('#grid-live')) return null;
  return el.getAttribute('data-cell') ? '[data-cell="' + CSS.escape(el.getAttribute('data-cell')) + '"]'
    : el.getAttribute('aria-label') ? '[aria-label="' + CSS.escape(el.getAttribute('aria-label')) + '"]' : null;
}
function changes(next) {
  const said = [];
  for (const [key, state] of Object.entries(next)) {
    if (cells[key] === state) continue;
    const [run, task] = key.split('\u0000');
    said.push(task + ' of ' + run + ': ' + state);
  }
  if (Object.keys(next).some((k) => !(k in cells))) said.unshift('a new run');
  return said;
}
async function refreshGrid() {
  try {
    const res = await fetch(GRID.api, { cache: 'no-store', headers: { accept: 'application/json' } });
    if (res.ok && (res.headers.get('content-type') || '').includes('json')) {
      const parts = await res.json();
      for (const [state, n] of Object.entries(parts.counts || {})) {
        const count = document.querySelector('[data-count="' + state + '"]');
        if (count) count.textContent = String(n);
      }
      const said = changes(parts.cells);
      if (said.length > 0 || Object.keys(parts.cells).length !== Object.keys(cells).length) {
        const key = focusKey();
        document.getElementById('grid-live').innerHTML = parts.grid;
        document.getElementById('graph-live').innerHTML = parts.graph;
        if (key) { const again = document.querySelector('#grid-live ' + key); if (again) again.focus(); }
        cells = parts.cells;
        if (said.length > 0) announce(said.slice(0, 3).join('; ') + (said.length > 3 ? '; and ' + (said.length - 3) + ' more' : ''));
      }
    }
  } catch (e) { /* the next refresh tries again */ }
  setTimeout(refreshGrid, document.hidden ? 10000 : 2000);
}
setTimeout(refreshGrid, 2000);`;
