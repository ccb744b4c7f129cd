/**
 * The Required actions page's browser script: answers a request through `/api/v2` (`PATCH …/hitlDetails`, so the
 * answer lands in the event log as the person's), and refreshes the list every few seconds while nobody is typing
 * in it.
 */
export const REQUIRED_ACTIONS_SCRIPT = String.raw`
const list = document.getElementById('requests');
let last = list.innerHTML;
function detailText(detail) {
  if (!detail) return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d) => [(d.loc || []).slice(1).join('.'), d.msg].filter(Boolean).join(': ')).join('; ');
  return detail.message || detail.reason || JSON.stringify(detail);
}
list.addEventListener('submit', async (event) => {
  const form = event.target.closest('form[data-task]');
  if (!form) return;
  event.preventDefault();
  const out = form.querySelector('.error');
  out.textContent = '';
  const chosen = [...form.querySelectorAll('input[name=choice]:checked')].map((i) => i.value);
  if (chosen.length === 0) { out.textContent = 'Choose an option first.'; return; }
  const params = {};
  for (const input of form.querySelectorAll('input[data-param]')) {
    if (!input.dataset.json) { params[input.dataset.param] = input.value; continue; }
    try { params[input.dataset.param] = JSON.parse(input.value); } catch (e) {
      out.textContent = input.dataset.param + ' is not JSON: ' + e.message;
      input.setAttribute('aria-invalid', 'true'); input.focus(); return;
    }
  }
  const button = form.querySelector('button[type=submit]');
  button.disabled = true;
  try {
    const url = '/api/v2/dags/' + encodeURIComponent(form.dataset.dag) + '/dagRuns/' + encodeURIComponent(form.dataset.run) +
      '/taskInstances/' + encodeURIComponent(form.dataset.task) + '/-1/hitlDetails';
    const res = await fetch(url, { method: 'PATCH', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chosen_options: chosen, params_input: params }) });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) { out.textContent = detailText(body.detail) || res.status + ' ' + res.statusText; return; }
    const done = document.createElement('p');
    done.className = 'answered';
    done.tabIndex = -1;
    done.textContent = 'Answered: ' + chosen.join(', ') + '.';
    form.replaceWith(done);
    done.focus();
    announce('Answered ' + form.dataset.task + ': ' + chosen.join(', '));
    last = list.innerHTML;
  } finally {
    button.disabled = false;
  }
});
async function refresh() {
  try {
    // A form being filled in is not swapped from under the person.
    if (!list.contains(document.activeElement) || document.activeElement === document.body) {
      const res = await fetch(REQUIRED.list, { cache: 'no-store' });
      if (res.ok) {
        const html = await res.text();
        if (html !== last) { list.innerHTML = html; last = html; announce('The list of required actions changed'); }
      }
    }
  } catch (e) { /* the next refresh tries again */ }
  setTimeout(refresh, 3000);
}
setTimeout(refresh, 3000);`;
