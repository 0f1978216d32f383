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

const kFocusable = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])';

// Tab from the last control goes to the first, Shift+Tab from the first to the last: showModal()
// makes the page behind inert, but lets Tab leave the page for the browser's own controls.
function keepFocusIn(dialog) {
  dialog.addEventListener('keydown', (e) => {
    if (e.key !== 'Tab') return;
    const controls = [...dialog.querySelectorAll(kFocusable)].filter((el) => el.getClientRects().length > 0);
    if (!controls.length) return;
    const first = controls[0];
    const last = controls[controls.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  });
}

// A modal <dialog>: showModal() makes the page behind it inert and closes it on Escape;
// keepFocusIn() keeps Tab inside it. Resolves with the value passed to close(), or null when
// dismissed.
export function openDialog(title, build) {
  return new Promise((resolve) => {
    const titleId = `dlg-${Math.random().toString(36).slice(2)}`;
    const dialog = h('dialog', { 'aria-labelledby': titleId });
    let result = null;
    const close = (value) => { result = value; dialog.close(); };
    dialog.append(h('h2', { id: titleId }, title), ...[build(close, dialog)].flat());
    keepFocusIn(dialog);
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// The API's error as a message next to what caused it: a field's error under the field when
// the form has it, else an alert at the top of the form.
export function showError(form, error) {
  clearErrors(form);
  const message = messageOf(error);
  const input = error.field ? form.querySelector(`[name="${CSS.escape(error.field)}"]`) : null;
  if (input) {
    const id = `${input.id}-error`;
    input.setAttribute('aria-invalid', 'true');
    // The error joins the field's own description (a hint) rather than replacing it.
    input.dataset.describedBy = input.getAttribute('aria-describedby') || '';
    input.setAttribute('aria-describedby', `${input.dataset.describedBy} ${id}`.trim());
    input.after(h('p', { class: 'field-error', id }, message));
    input.focus();
  } else {
    form.prepend(h('p', { class: 'form-error', role: 'alert' }, message));
  }
}

export function clearErrors(form) {
  for (const old of form.querySelectorAll('.field-error, .form-error')) old.remove();
  for (const input of form.querySelectorAll('[aria-invalid]')) {
    input.removeAttribute('aria-invalid');
    if (input.dataset.describedBy) input.setAttribute('aria-describedby', input.dataset.describedBy);
    else input.removeAttribute('aria-describedby');
    delete input.dataset.describedBy;
  }
}

// Why the session's actor may not manage the account (API.md: an admin granted it, or with no
// grant or withdrawal on record its role is admin), for the screens that need it.
export function mayNotManageNotice(session, what) {
  return h('p', { class: 'notice', role: 'note' },
    `You (${session.userId}) may not manage this account's ${what}: `,
    session.role === 'admin'
      ? 'an admin withdrew your permission. Ask another admin, or restore it under "Who may manage".'
      : 'a user needs an admin to grant the permission. Ask an admin of the account.');
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

// A secret shown once (a token, a webhook's signing secret): a read-only field, a copy button,
// the warning. The caller guards the page while it is shown (guardToken).
export function secretPanel(secret, { id, title, label, storeHint }) {
  const input = h('input', { id, readonly: true, value: secret, class: 'token',
                             autocomplete: 'off', spellcheck: 'false' });
  const copied = h('span', { role: 'status', class: 'copied' });
  return h('section', { class: 'token-panel', 'aria-labelledby': `${id}-title` },
    h('h3', { id: `${id}-title` }, title),
    h('p', { class: 'warning' }, `Copy it now: it cannot be shown again. ${storeHint}`),
    h('label', { for: id }, label),
    input,
    h('button', { type: 'button', onclick: async () => {
      input.select();
      try { await navigator.clipboard.writeText(secret); copied.textContent = 'Copied.'; }
      catch { copied.textContent = 'Selected: press Ctrl+C to copy.'; }
    } }, `Copy ${label.toLowerCase()}`), copied);
}

export const tokenPanel = (token, what = 'token') => secretPanel(token, {
  id: 'new-token', title: `Your new ${what}`, label: 'Token',
  storeHint: 'Store it where your app reads its secrets.' });

// While a token (or another secret shown once) is on screen, leaving the page asks first.
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
