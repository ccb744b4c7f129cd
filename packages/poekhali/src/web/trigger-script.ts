/**
 * The browser script behind every Trigger button (`button[data-dag-id]`): reads the conf from the textarea the
 * button names in `data-conf` (if any), triggers a run through the REST API and opens the run's page, or shows the
 * API's problem detail in the DAG's `#error-<dag_id>` alert.
 */
export const TRIGGER_SCRIPT = String.raw`
async function trigger(button) {
  const dagId = button.dataset.dagId;
  const out = document.getElementById('error-' + dagId);
  const confField = button.dataset.conf ? document.getElementById(button.dataset.conf) : null;
  const fail = (message) => {
    out.textContent = message;
    if (confField) { confField.setAttribute('aria-invalid', 'true'); confField.focus(); }
  };
  out.textContent = '';
  if (confField) confField.removeAttribute('aria-invalid');
  let conf = {};
  if (confField && confField.value.trim()) {
    try { conf = JSON.parse(confField.value); } catch (e) { return fail('conf is not JSON: ' + e.message); }
  }
  button.disabled = true;
  try {
    const res = await fetch('/api/v1/dags/' + encodeURIComponent(dagId) + '/dagRuns', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ conf }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) return fail(body.detail || res.status + ' ' + res.statusText);
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
