/**
 * The browser script behind every Trigger button (`button[data-dag-id]`): reads the conf from the textarea the
 * button names in `data-conf` (if any), triggers a run through the REST API and opens the run's page, or shows the
 * API's problem detail in the DAG's `#error-<dag_id>` alert.
 */
export const TRIGGER_SCRIPT = String.raw`
// Airflow 3's error detail: a sentence, a list of {loc, msg} for a body that fails validation, or an object.
function detailText(detail) {
  if (!detail) return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d) => [(d.loc || []).slice(1).join('.'), d.msg].filter(Boolean).join(': ')).join('; ');
  return detail.message || detail.reason || JSON.stringify(detail);
}
async function trigger(button) {
  const dagId = button.dataset.dagId;
  const out = document.getElementById('error-' + dagId);
  const confField = button.dataset.conf ? document.getElementById(button.dataset.conf) : null;
  // Only a refused conf marks the conf field; a paused DAG or a busy app is not the field's fault.
  const fail = (message, confIsWrong = true) => {
    out.textContent = message;
    if (confField && confIsWrong) { confField.setAttribute('aria-invalid', 'true'); confField.focus(); }
  };
  out.textContent = '';
  if (confField) confField.removeAttribute('aria-invalid');
  let conf = {};
  if (confField && confField.value.trim()) {
    try { conf = JSON.parse(confField.value); } catch (e) { return fail('conf is not JSON: ' + e.message); }
  }
  button.disabled = true;
  try {
    // Airflow 3's TriggerDAGRunPostBody: a manual run, no logical date.
    const res = await fetch('/api/v2/dags/' + encodeURIComponent(dagId) + '/dagRuns', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ conf, logical_date: null }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok)
      return fail(detailText(body.detail) || res.status + ' ' + res.statusText, res.status === 400 || res.status === 422);
    location.href = '/dags/' + encodeURIComponent(dagId) + '/runs/' + encodeURIComponent(body.dag_run_id);
  } catch (e) {
    out.textContent = 'The app did not answer: ' + e.message;
  } finally {
    button.disabled = false;
  }
}
document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-dag-id]');
  if (button) void trigger(button);
});`;
