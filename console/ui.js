// Small DOM helpers shared by the screens: element building (text only, never innerHTML, so
// nothing from the API is ever parsed as markup), dialogs, messages and times.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

export const main = () => document.getElementById('main');

export function show(...children) {
  const m = main();
  m.replaceChildren(...children);
  m.focus();
}

export function announce(text) {
  document.getElementById('status').textContent = text;
}

// A modal <dialog>: showModal() traps focus and closes on Escape. Resolves with the value
// passed to close(), or null when dismissed.
export function openDialog(title, build) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h('dialog', { 'aria-labelledby': titleId });
    let result = null;
    const close = (value) => { result = value; dialog.close(); };
    dialog.append(h('h2', { id: titleId }, title), ...[build(close, dialog)].flat());
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// The API's error as a message next to what caused it: a field's error under the field when
// the form has it, else an alert at the top of the form.
export function showError(form, error) {
  for (const old of form.querySelectorAll('.field-error, .form-error')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
  const message = messageOf(error);
  const input = error.field ? form.querySelector(`[name="${CSS.escape(error.field)}"]`) : null;
  if (input) {
    const id = `${input.id}-error`;
    input.setAttribute('aria-invalid', 'true');
    input.setAttribute('aria-describedby', id);
    input.after(h('p', { class: 'field-error', id }, message));
    input.focus();
  } else {
    form.prepend(h('p', { class: 'form-error', role: 'alert' }, message));
  }
}

export function messageOf(error) {
  switch (error.status) {
    case 401: return 'Your console session has ended. Open a new sign-in link.';
    case 403: return `Not allowed: ${error.message}`;
    case 404: return 'This integration does not exist (or was deleted).';
    case 409: return `Not possible now: ${error.message}`;
    case 412: return 'Someone else changed this integration meanwhile. Its current state is shown; review it and try again.';
    case 503: return 'pitd is unavailable right now. Try again in a moment.';
    default: return error.message || String(error);
  }
}

export function when(iso) {
  if (!iso) return '-';
  const d = new Date(iso);
  return d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });
}

// "6 d 23 h", "3 h 5 min", "42 s": how long until `iso`.
export function countdown(iso, now = Date.now()) {
  let s = Math.max(0, Math.floor((new Date(iso) - now) / 1000));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hr = Math.floor(s / 3600); s -= hr * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d > 0) return `${d} d ${hr} h`;
  if (hr > 0) return `${hr} h ${m} min`;
  if (m > 0) return `${m} min ${s} s`;
  return `${s} s`;
}

// The token, shown once: a read-only field, a copy button, the warning.
export function tokenPanel(token, what = 'token') {
  const input = h('input', { id: 'new-token', readonly: true, value: token, class: 'token',
                             autocomplete: 'off', spellcheck: 'false' });
  const copied = h('span', { role: 'status', class: 'copied' });
  return h('section', { class: 'token-panel', 'aria-labelledby': 'token-title' },
    h('h3', { id: 'token-title' }, `Your new ${what}`),
    h('p', { class: 'warning' }, 'Copy it now: it cannot be shown again. Store it where your app reads its secrets.'),
    h('label', { for: 'new-token' }, 'Token'),
    input,
    h('button', { type: 'button', onclick: async () => {
      input.select();
      try { await navigator.clipboard.writeText(token); copied.textContent = 'Copied.'; }
      catch { copied.textContent = 'Selected: press Ctrl+C to copy.'; }
    } }, 'Copy token'), copied);
}

// While a token is on screen, leaving the page asks first.
let guard = null;
export function guardToken(on) {
  if (on && !guard) {
    guard = (e) => { e.preventDefault(); e.returnValue = ''; };
    window.addEventListener('beforeunload', guard);
  } else if (!on && guard) {
    window.removeEventListener('beforeunload', guard);
    guard = null;
  }
}
export const tokenShown = () => guard !== null;
