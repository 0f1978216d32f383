// The account's audit trail, a page at a time (after/next), filtered by time range (by pitd)
// and by event type (on the page shown).
import { api } from './api.js';
import { h, show, when, showError } from './ui.js';

const kTypes = ['Created', 'ScopesUpdated', 'RotationStarted', 'RotationCancelled', 'Expired', 'Deleted', 'PermissionChanged'];

export async function auditScreen() {
  const body = h('tbody');
  const pager = h('div', { class: 'actions' });
  const form = h('form', { class: 'filters' },
    h('label', { for: 'audit-since' }, 'From'), h('input', { type: 'datetime-local', id: 'audit-since', name: 'since' }),
    h('label', { for: 'audit-until' }, 'Until'), h('input', { type: 'datetime-local', id: 'audit-until', name: 'until' }),
    h('label', { for: 'audit-type' }, 'Event type'),
    h('select', { id: 'audit-type', name: 'type' }, h('option', { value: '' }, 'All'), kTypes.map((t) => h('option', { value: t }, t))),
    h('label', { for: 'audit-limit' }, 'Per page'),
    h('select', { id: 'audit-limit', name: 'limit' }, [20, 50, 100].map((n) => h('option', { value: n }, n))),
    h('button', { type: 'submit' }, 'Apply'));
  const pages = [0];
  const load = async (after) => {
    const query = { limit: form.elements.limit.value };
    if (after) query.after = after;
    for (const k of ['since', 'until']) if (form.elements[k].value) query[k] = new Date(form.elements[k].value).toISOString();
    try {
      const page = await api.audit(query);
      const type = form.elements.type.value;
      const events = page.events.filter((e) => !type || e.type === type);
      body.replaceChildren(...events.map((e) => h('tr', {},
        h('td', {}, String(e.seq)), h('td', {}, h('time', { datetime: e.at }, when(e.at))), h('td', {}, e.type),
        h('td', {}, e.streamId), h('td', {}, `${e.actor.userId} (${e.actor.role})`), h('td', { class: 'muted' }, e.requestId || ''))));
      if (!events.length) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No events on this page.')));
      pager.replaceChildren(
        h('button', { type: 'button', disabled: pages.length < 2, onclick: () => { pages.pop(); load(pages[pages.length - 1]); } }, 'Previous page'),
        h('button', { type: 'button', disabled: page.next === null, onclick: () => { pages.push(page.next); load(page.next); } }, 'Next page'));
    } catch (err) { showError(form, err); }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); pages.length = 1; load(0); });
  show(h('h1', {}, 'Audit'), h('p', {}, 'Everything that happened in this account, oldest first.'), form,
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Audit events'),
      h('thead', {}, h('tr', {}, ['Seq', 'When', 'Type', 'Stream', 'Who', 'Request'].map((c) => h('th', { scope: 'col' }, c)))), body)), pager);
  await load(0);
}
