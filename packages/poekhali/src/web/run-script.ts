/**
 * The run page's browser script: refreshes the run's facts and task rows from `/api/v2` until the run ends (saying
 * each change through `announce`), loads a task's panel in place, and runs the actions, each after a confirm dialog,
 * through the same `/api/v2` routes a client uses (so each lands in the event log). `took` and `when` mirror the
 * server's.
 */
export const RUN_SCRIPT = String.raw`
const when = (iso) => iso ? iso.slice(0, 19).replace('T', ' ') : '';
const utc = (iso) => iso ? when(iso) + ' UTC' : '';
function took(t) {
  if (!t.start_date || !t.end_date) return '';
  const ms = Math.max(0, Date.parse(t.end_date) - Date.parse(t.start_date));
  if (ms < 1000) return ms + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
}
const ENDED = ['success', 'failed'];
const FINISHED = ['success', 'failed', 'skipped', 'upstream_failed'];
const notice = document.getElementById('notice');
const panel = document.getElementById('task-panel');
let misses = 0;
let timer = null;
let run = null;
let panelKey = '';
const seen = new Map();
function badge(el, state) {
  const shown = state || 'none';
  el.textContent = shown;
  el.className = 'state s-' + shown;
}
// Airflow's detail: a sentence, a list of {loc, msg} for a body that fails validation, or an object.
function detailText(detail) {
  if (!detail) return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d) => [(d.loc || []).slice(1).join('.'), d.msg].filter(Boolean).join(': ')).join('; ');
  return detail.message || detail.reason || JSON.stringify(detail);
}
function showActions(state) {
  for (const b of document.querySelectorAll('[data-when]')) b.hidden = !b.dataset.when.split(' ').includes(state);
}
function paint(r, tasks) {
  if (run && run.state !== r.state) announce('Run ' + r.state);
  run = r;
  badge(document.getElementById('run-state'), r.state);
  document.getElementById('run-started').textContent = utc(r.start_date) || 'not yet';
  document.getElementById('run-ended').textContent = utc(r.end_date) || 'not yet';
  document.getElementById('run-took').textContent = took(r);
  const note = document.getElementById('run-note');
  if (r.note) note.textContent = r.note; else note.innerHTML = '<span class="muted">none</span>';
  document.getElementById('refreshing').hidden = ENDED.includes(r.state);
  showActions(r.state);
  for (const t of tasks) {
    const row = document.querySelector('tr[data-task="' + CSS.escape(t.task_id) + '"]');
    if (!row) continue;
    const shown = t.state || 'none';
    const before = seen.get(t.task_id);
    if (before !== undefined && before !== shown) announce(t.task_id + ' ' + shown);
    seen.set(t.task_id, shown);
    badge(row.querySelector('.state'), t.state);
    row.querySelector('.try').textContent = String(t.try_number);
    row.querySelector('.started').textContent = when(t.start_date);
    row.querySelector('.ended').textContent = when(t.end_date);
    row.querySelector('.took').textContent = took(t);
    // A note kept from the page's first render (a failure reason) belongs to the state it was written for.
    if (t.note || (before !== undefined && before !== shown)) row.querySelector('.note').textContent = t.note || '';
  }
  for (const hint of document.querySelectorAll('[data-while-deferred]')) hint.hidden = !tasks.some((t) => t.state === 'deferred');
}
async function loadPanel(taskId, force) {
  const res = await fetch(RUN.base + '/tasks/' + encodeURIComponent(taskId), { cache: 'no-store' });
  if (!res.ok) return;
  const html = await res.text();
  if (!force && html === panelKey) return;
  panelKey = html;
  // Keeps the tries a person opened or closed as they were, while the panel shows the same task.
  const open = force ? new Map() : new Map([...panel.querySelectorAll('details.try')].map((d) => [d.dataset.try, d.open]));
  // A refresh must not take the keyboard focus away: it goes back to the same control in the new panel.
  const active = panel.contains(document.activeElement) ? document.activeElement : null;
  const focusAgain = active && (active.dataset.action ? '[data-action="' + active.dataset.action + '"]'
    : active.closest('details.try') ? 'details.try[data-try="' + active.closest('details.try').dataset.try + '"] ' + active.tagName.toLowerCase()
    : active.id ? '#' + CSS.escape(active.id) : null);
  panel.innerHTML = html;
  for (const d of panel.querySelectorAll('details.try')) if (open.has(d.dataset.try)) d.open = open.get(d.dataset.try);
  if (focusAgain) panel.querySelector(focusAgain)?.focus();
  panel.hidden = false;
  if (run) showActions(run.state);
}
async function refresh() {
  timer = null;
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
      const r = await res.json();
      const tis = await (await fetch(RUN.api + '/taskInstances', { cache: 'no-store' })).json();
      const tasks = tis.task_instances || [];
      if (notice.dataset.source === 'refresh') notice.textContent = '';
      paint(r, tasks);
      const selected = tasks.find((t) => t.task_id === RUN.task);
      if (selected) await loadPanel(RUN.task, false);
      if (ENDED.includes(r.state) && (!selected || FINISHED.includes(selected.state))) return;
    } else {
      notice.dataset.source = 'refresh';
      notice.textContent = 'The app answered ' + res.status + '; retrying…';
    }
  } catch (e) {
    notice.dataset.source = 'refresh';
    notice.textContent = 'The app does not answer; retrying…';
  }
  timer = setTimeout(refresh, 1000);
}
function kick() {
  if (timer) clearTimeout(timer);
  void refresh();
}
async function select(taskId) {
  RUN.task = taskId;
  history.replaceState(null, '', RUN.base + '?task=' + encodeURIComponent(taskId));
  for (const row of document.querySelectorAll('tr[data-task]')) {
    const on = row.dataset.task === taskId;
    row.classList.toggle('selected', on);
    const link = row.querySelector('.task-link');
    if (on) link.setAttribute('aria-current', 'true'); else link.removeAttribute('aria-current');
  }
  await loadPanel(taskId, true);
  document.getElementById('panel-title')?.focus();
  kick();
}
// The confirm dialog: resolves true when the person confirms, with the note field's text for a note.
function confirmWith(title, text, note) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const field = document.getElementById('note-field');
  const input = document.getElementById('note-input');
  field.hidden = note === undefined;
  if (note !== undefined) input.value = note;
  document.getElementById('confirm-ok').textContent = title.replace(/[?…]$/, '');
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok' ? { note: input.value } : null), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    (note !== undefined ? input : document.getElementById('confirm-ok')).focus();
  });
}
async function call(method, url, body) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(detailText(answer.detail) || res.status + ' ' + res.statusText);
  return answer;
}
const ACTIONS = {
  async fail() {
    const going = !run || !ENDED.includes(run.state);
    const ok = await confirmWith(going ? 'Cancel this run?' : 'Mark this run failed?', going
      ? 'Its waiting tasks stop waiting (a Telegram button is removed) and the run ends failed.'
      : 'The run is marked failed; its task instances stay as they ended.');
    if (!ok) return;
    await call('PATCH', RUN.api, { state: 'failed' });
    return going ? 'Run cancelled' : 'Run marked failed';
  },
  async success() {
    if (!(await confirmWith('Mark this run success?', 'Every task instance of the run is marked success; nothing runs.'))) return;
    await call('PATCH', RUN.api, { state: 'success' });
    return 'Run marked success';
  },
  async rerun() {
    const conf = run ? run.conf : {};
    if (!(await confirmWith('Re-run with the same conf?', 'A new run of ' + RUN.dagId + ' starts with this conf: ' + JSON.stringify(conf)))) return;
    const created = await call('POST', '/api/v2/dags/' + encodeURIComponent(RUN.dagId) + '/dagRuns', { conf, logical_date: null });
    location.href = '/dags/' + encodeURIComponent(RUN.dagId) + '/runs/' + encodeURIComponent(created.dag_run_id);
    return 'Run ' + created.dag_run_id + ' started';
  },
  async note() {
    const ok = await confirmWith('Save note?', 'The note is kept with the run and shown to everyone.', run && run.note ? run.note : '');
    if (!ok) return;
    await call('PATCH', RUN.api, { note: ok.note });
    return 'Note saved';
  },
  async clear(button) {
    const taskId = button.dataset.task;
    const path = '/api/v2/dags/' + encodeURIComponent(RUN.dagId) + '/clearTaskInstances';
    const body = { dag_run_id: RUN.runId, task_ids: [taskId], include_downstream: true, only_failed: false };
    const dry = await call('POST', path, { ...body, dry_run: true });
    const ids = (dry.task_instances || []).map((t) => t.task_id);
    if (!(await confirmWith('Clear ' + ids.length + (ids.length === 1 ? ' task?' : ' tasks?'), 'These run again, each from its next try: ' + ids.join(', ') + '.'))) return;
    await call('POST', path, { ...body, dry_run: false });
    return 'Cleared ' + ids.join(', ');
  },
};
document.addEventListener('click', async (event) => {
  const link = event.target.closest('a.task-link');
  if (link && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    event.preventDefault();
    await select(link.closest('tr').dataset.task);
    return;
  }
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  notice.textContent = '';
  delete notice.dataset.source;
  button.disabled = true;
  try {
    const done = await ACTIONS[button.dataset.action](button);
    if (done) { announce(done); kick(); }
  } catch (e) {
    notice.textContent = e.message;
  } finally {
    button.disabled = false;
  }
});
showActions(RUN.state);
refresh();`;
