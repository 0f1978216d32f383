// The account's audit trail, a page at a time (after/next), filtered by time range and event
// type (audit_pages.js: pitd filters the time, the console the type).
import { api } from './api.js';
import { h, show, when, showError } from './ui.js';
import { auditPage } from './audit_pages.js';

const kTypes = ['Created', 'ScopesUpdated', 'RotationStarted', 'RotationCancelled', 'Expired', 'Deleted', 'PermissionChanged', 'WebhookSubscribed', 'WebhookRemoved'];

export async function auditScreen() {
  const body = h('tbody');
  const pager = h('div', { class: 'actions' });
  const searched = h('p', { class: 'muted', role: 'status' });
  const form = h('form', { class: 'filters' },
    h('label', { for: 'audit-since' }, 'From'), h('input', { type: 'datetime-local', id: 'audit-since', name: 'since' }),
    h('label', { for: 'audit-until' }, 'Until'), h('input', { type: 'datetime-local', id: 'audit-until', name: 'until' }),
    h('label', { for: 'audit-type' }, 'Event type'),
    h('select', { id: 'audit-type', name: 'type' }, h('option', { value: '' }, 'All'), kTypes.map((t) => h('option', { value: t }, t))),
    h('label', { for: 'audit-limit' }, 'Per page'),
    h('select', { id: 'audit-limit', name: 'limit' }, [20, 50, 100].map((n) => h('option', { value: n }, n))),
    h('button', { type: 'submit' }, 'Apply'));
  // The filters of the pages being walked: read once at Apply, so that editing the form without
  // applying it does not change what Next and Previous page mean.
  let filters = null;
  const readFilters = () => {
    const f = { limit: Number(form.elements.limit.value), type: form.elements.type.value };
    for (const k of ['since', 'until']) if (form.elements[k].value) f[k] = new Date(form.elements[k].value).toISOString();
    return f;
  };
  const starts = [0];  // the `after` of each page shown so far, for Previous page
  const load = async (after) => {
    try {
      const page = await auditPage(api.audit, { ...filters, after });
      body.replaceChildren(...page.events.map((e) => h('tr', {},
        h('td', {}, String(e.seq)), h('td', {}, h('time', { datetime: e.at }, when(e.at))), h('td', {}, e.type),
        h('td', {}, e.streamId), h('td', {}, `${e.actor.userId} (${e.actor.role})`), h('td', { class: 'muted' }, e.requestId || ''))));
      if (!page.events.length) body.append(h('tr', {}, h('td', { colspan: 6 }, 'No events on this page.')));
      searched.textContent = page.searchedTo === null ? ''
        : `Searched the trail up to event ${page.searchedTo}; Next page searches further.`;
      pager.replaceChildren(
        h('button', { type: 'button', disabled: starts.length < 2, onclick: () => { starts.pop(); load(starts[starts.length - 1]); } }, 'Previous page'),
        h('button', { type: 'button', disabled: page.next === null, onclick: () => { starts.push(page.next); load(page.next); } }, 'Next page'));
    } catch (err) { showError(form, err); }
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); filters = readFilters(); starts.length = 1; load(0); });
  show(h('h1', {}, 'Audit'), h('p', {}, 'Everything that happened in this account, oldest first.'), form,
    h('div', { class: 'table-wrap' }, h('table', {}, h('caption', { class: 'visually-hidden' }, 'Audit events'),
      h('thead', {}, h('tr', {}, ['Seq', 'When', 'Type', 'Stream', 'Who', 'Request'].map((c) => h('th', { scope: 'col' }, c)))), body)),
    searched, pager);
  filters = readFilters();
  await load(0);
}
