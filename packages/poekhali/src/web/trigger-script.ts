/**
 * The browser script behind every Trigger: the DAG list's buttons (`button[data-dag-id]`, default params) and the DAG
 * page's form (`#trigger-form`, built from the params, or its JSON view). It asks first when the DAG talks to a live
 * service (`data-confirm`), triggers the run through the REST API and opens the run's page, or shows the API's problem
 * next to the field it names (else in the DAG's `#error-<dag_id>` alert).
 */
export const TRIGGER_SCRIPT = String.raw`
// Airflow 3's error detail: a sentence, a list of {loc, msg} for a body that fails validation, or an object.
function detailText(detail) {
  if (!detail) return '';
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) return detail.map((d) => [(d.loc || []).slice(1).join('.'), d.msg].filter(Boolean).join(': ')).join('; ');
  return detail.message || detail.reason || JSON.stringify(detail);
}
// Resolves true when the person confirms in the page's dialog; the dialog returns the focus where it was.
function askConfirm(text) {
  const dialog = document.getElementById('confirm-trigger');
  if (!dialog) return Promise.resolve(true);
  dialog.querySelector('#confirm-text').textContent = text;
  return new Promise((resolve) => {
    const answer = (event) => {
      const button = event.target.closest('[data-confirm-answer]');
      if (!button) return;
      dialog.removeEventListener('click', answer);
      dialog.close(button.dataset.confirmAnswer);
    };
    dialog.addEventListener('click', answer);
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    dialog.querySelector('[data-confirm-answer="no"]').focus();
  });
}
function clearErrors(scope) {
  for (const e of scope.querySelectorAll('.error')) e.textContent = '';
  for (const e of scope.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
}
// Marks the field a message names and moves the focus there; true when the message named one.
function showFieldError(form, message) {
  // The API says 'conf for DAG "<dag>" is invalid: "<param>" <what is wrong>'; the param is the first name after the DAG's.
  const text = message.replace(/^conf for DAG "[^"]*" is invalid: /, '');
  const named = /^"([^"]+)"/.exec(text);
  const field = named && form.querySelector('[data-param="' + CSS.escape(named[1]) + '"]');
  if (!field || field.closest('[hidden]')) return false;
  form.querySelector('#param-' + CSS.escape(named[1]) + '-error').textContent = text;
  const input = field.matches('input,select,textarea') ? field : field.querySelector('input,select,textarea') || field;
  input.setAttribute('aria-invalid', 'true');
  input.focus();
  return true;
}
// The conf the form's fields make; a field that cannot be read throws {param, message}.
function confFromFields(form) {
  const conf = {};
  for (const field of form.querySelectorAll('[data-param]')) {
    const name = field.dataset.param, kind = field.dataset.kind;
    const input = field.querySelector('input,select,textarea');
    if (kind === 'boolean') { conf[name] = input.checked; continue; }
    if (kind === 'list') {
      const numbers = field.dataset.itemType !== 'string';
      conf[name] = [...field.querySelectorAll('li input')].map((i) => i.value).filter((v) => v !== '')
        .map((v) => numbers ? Number(v) : v);
      continue;
    }
    const raw = input.value;
    if (raw === '' && field.hasAttribute('data-optional')) continue;
    if (kind === 'number') conf[name] = raw === '' ? null : Number(raw);
    else if (kind === 'enum') { if (raw !== '') conf[name] = JSON.parse(raw); }
    else if (kind === 'json') {
      try { conf[name] = JSON.parse(raw); } catch (e) { throw { param: name, message: '"' + name + '" is not JSON: ' + e.message }; }
    } else conf[name] = raw;
  }
  return conf;
}
async function trigger(dagId, conf, form) {
  const out = document.getElementById('error-' + dagId);
  const res = await fetch('/api/v2/dags/' + encodeURIComponent(dagId) + '/dagRuns', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    // Airflow 3's TriggerDAGRunPostBody: a manual run, no logical date.
    body: JSON.stringify({ conf, logical_date: null }) });
  const body = await res.json().catch(() => ({}));
  if (res.ok) {
    location.href = '/dags/' + encodeURIComponent(dagId) + '/runs/' + encodeURIComponent(body.dag_run_id);
    return;
  }
  const message = detailText(body.detail) || res.status + ' ' + res.statusText;
  // Only a refused conf marks a field; a paused DAG or a busy app is not the field's fault.
  const confIsWrong = res.status === 400 || res.status === 422;
  if (form && confIsWrong) {
    if (!form.querySelector('[data-json-view]').hidden) {
      const json = form.querySelector('#conf-json');
      form.querySelector('#conf-json-error').textContent = message;
      json.setAttribute('aria-invalid', 'true'); json.focus();
      return;
    }
    if (showFieldError(form, message)) return;
  }
  out.textContent = message;
}
async function start(dagId, confirmText, scope, read, button) {
  clearErrors(scope);
  let conf;
  try { conf = read(); } catch (e) {
    if (e && e.handled) return;
    if (e && e.param && showFieldError(scope, e.message)) return;
    document.getElementById('error-' + dagId).textContent = e.message || String(e);
    return;
  }
  if (confirmText && !(await askConfirm(confirmText))) { button.focus(); return; }
  button.disabled = true;
  try {
    await trigger(dagId, conf, scope.matches('form') ? scope : null);
  } catch (e) {
    document.getElementById('error-' + dagId).textContent = 'The app did not answer: ' + e.message;
  } finally {
    button.disabled = false;
  }
}
function setView(form, view) {
  const json = form.querySelector('#conf-json');
  if (view === 'json') {
    try { json.value = JSON.stringify(confFromFields(form), null, 2); } catch (e) { /* keep the last JSON */ }
  } else {
    // Back to the form: what the JSON says fills the fields it names.
    try {
      const conf = JSON.parse(json.value || '{}');
      for (const field of form.querySelectorAll('[data-param]')) {
        const name = field.dataset.param, kind = field.dataset.kind, v = conf[name];
        const input = field.querySelector('input,select,textarea');
        if (!(name in conf)) continue;
        if (kind === 'boolean') input.checked = v === true;
        else if (kind === 'list') {
          const list = field.querySelector('ul');
          list.textContent = '';
          for (const item of Array.isArray(v) ? v : []) {
            list.append(field.querySelector('template').content.cloneNode(true));
            list.lastElementChild.querySelector('input').value = String(item);
          }
        } else if (kind === 'enum') input.value = JSON.stringify(v);
        else if (kind === 'json') input.value = JSON.stringify(v);
        else input.value = v === null ? '' : String(v);
      }
    } catch (e) {
      form.querySelector('#conf-json-error').textContent = 'conf is not JSON: ' + e.message;
      return;
    }
  }
  form.querySelector('[data-form-view]').hidden = view !== 'form';
  form.querySelector('[data-json-view]').hidden = view !== 'json';
  for (const b of form.querySelectorAll('[data-view]')) b.setAttribute('aria-pressed', String(b.dataset.view === view));
}
document.addEventListener('click', (event) => {
  const button = event.target.closest('button[data-dag-id]');
  if (button) {
    const row = button.closest('[data-dag-row]') || document;
    void start(button.dataset.dagId, button.dataset.confirm, row, () => ({}), button);
    return;
  }
  const form = event.target.closest('#trigger-form');
  if (!form) return;
  const view = event.target.closest('[data-view]');
  if (view) return setView(form, view.dataset.view);
  if (event.target.closest('[data-add-item]')) {
    const field = event.target.closest('[data-param]');
    const list = field.querySelector('ul');
    list.append(field.querySelector('template').content.cloneNode(true));
    list.lastElementChild.querySelector('input').focus();
    return;
  }
  const remove = event.target.closest('[data-remove-item]');
  if (remove) {
    const field = remove.closest('[data-param]');
    remove.closest('li').remove();
    field.querySelector('[data-add-item]').focus();
  }
});
document.addEventListener('submit', (event) => {
  const form = event.target.closest('#trigger-form');
  if (!form) return;
  event.preventDefault();
  const jsonView = !form.querySelector('[data-json-view]').hidden;
  const read = () => {
    if (!jsonView) return confFromFields(form);
    const text = form.querySelector('#conf-json').value.trim();
    try { return text ? JSON.parse(text) : {}; } catch (e) {
      const json = form.querySelector('#conf-json');
      form.querySelector('#conf-json-error').textContent = 'conf is not JSON: ' + e.message;
      json.setAttribute('aria-invalid', 'true'); json.focus();
      throw { handled: true };
    }
  };
  void start(form.dataset.dagId, form.dataset.confirm, form, read, form.querySelector('button[type=submit]'));
});`;
