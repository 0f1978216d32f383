// The list: every integration with its token hint and last use, rotation state (countdown),
// stale and unused badges, filters for rotation-recommended and unused ones (pitd's
// staleAfterDays and unusedForDays, combined), deleted ones on request, and a menu per row.
import { api, getSession } from './api.js';
import { h, show, when, countdown, announce, messageOf, showError, clearErrors, mayNotManageNotice } from './ui.js';
import { lastUse, unusedBadge } from './last_use.js';
import { editDialog } from './edit.js';
import { rotateDialog, cancelRotationDialog, expireNowDialog } from './rotate.js';
import { deleteDialog } from './remove.js';

export const kStaleDays = 90;
// The unused filter's days until the admin picks others; also where the "Unused for N days"
// badge starts.
export const kUnusedDays = 30;
const filters = { stale: false, deleted: false, unused: false, unusedDays: kUnusedDays };
let ticker = null;

function currentToken(i) { return i.tokens.find((t) => t.state === 'current'); }
function previousToken(i) { return i.tokens.find((t) => t.state === 'previous'); }
function isStale(i) {
  const t = currentToken(i);
  return t && Date.now() - new Date(t.issuedAt) > kStaleDays * 86400 * 1000;
}

function stateCell(i, unusedDays) {
  if (i.status === 'deleted') return h('span', { class: 'badge deleted' }, 'Deleted');
  const prev = previousToken(i);
  const parts = [h('span', { class: 'badge active' }, prev ? 'Rotating' : 'Active')];
  if (prev) {
    parts.push(h('p', { class: 'countdown' }, 'Old token ', prev.hint, ' expires in ',
      h('span', { 'data-expires': prev.expiresAt }, countdown(prev.expiresAt)), ' · ', lastUse(prev)));
  }
  if (!currentToken(i)) parts.push(h('p', {}, 'No valid token: rotate to issue one.'));
  if (isStale(i)) parts.push(h('span', { class: 'badge stale' }, 'Rotation recommended'));
  parts.push(unusedBadge(i, unusedDays));
  return parts;
}

function menu(i, refresh) {
  const act = (fn) => async () => { if (await fn(i)) refresh(); };
  const rotating = !!i.rotation;
  return h('details', { class: 'menu' },
    h('summary', { 'aria-label': `Actions for ${i.name}` }, '⋯'),
    h('ul', { role: 'list' },
      h('li', {}, h('button', { type: 'button', onclick: act(editDialog) }, 'Edit')),
      !rotating && h('li', {}, h('button', { type: 'button', onclick: act((x) => rotateDialog(x, 'later')) }, 'Rotate and expire this token later')),
      h('li', {}, h('button', { type: 'button', onclick: act((x) => rotateDialog(x, 'now')) }, 'Rotate and expire this token now')),
      rotating && h('li', {}, h('button', { type: 'button', onclick: act(cancelRotationDialog) }, 'Cancel rotation')),
      rotating && h('li', {}, h('button', { type: 'button', onclick: act(expireNowDialog) }, 'Expire old token now')),
      h('li', {}, h('a', { href: `#/i/${encodeURIComponent(i.id)}/history` }, 'History')),
      h('li', {}, h('button', { type: 'button', class: 'danger', onclick: act(deleteDialog) }, 'Delete'))));
}

function row(i, refresh, unusedDays) {
  const t = currentToken(i);
  return h('tr', { 'data-id': i.id },
    h('th', { scope: 'row' }, h('span', { class: 'name' }, i.name), h('p', { class: 'muted' }, i.description)),
    h('td', {}, h('details', {}, h('summary', {}, `${i.scopes.length} scope${i.scopes.length === 1 ? '' : 's'}`),
      h('ul', { class: 'scopes' }, i.scopes.map((s) => h('li', {}, s))))),
    h('td', {}, i.createdBy, h('br'), h('span', { class: 'muted' }, when(i.createdAt))),
    h('td', {}, h('span', { class: 'hint' }, t ? t.hint : '-'), t && h('br'), t && lastUse(t)),
    h('td', {}, t ? when(t.issuedAt) : '-'),
    h('td', {}, stateCell(i, unusedDays)),
    h('td', {}, i.status === 'deleted'
      ? h('a', { href: `#/i/${encodeURIComponent(i.id)}/history` }, 'History')
      : menu(i, refresh)));
}

export async function listScreen() {
  const session = getSession();
  const heading = h('h1', {}, 'Private Integrations');
  if (!session.mayManage) {
    show(heading, mayNotManageNotice(session, 'integrations'));
    return;
  }
  const table = h('tbody');
  // The unused filter: its days go to pitd as typed, and pitd's 400 (unusedForDays) appears at
  // the field; the list then stays as it was.
  const days = h('input', { type: 'number', id: 'unused-days', name: 'unusedForDays', min: 0, step: 1,
                            inputmode: 'numeric', value: filters.unusedDays, class: 'days' });
  const unusedForm = h('form', { class: 'inline', novalidate: true, 'aria-label': 'Unused filter' },
    h('label', { for: 'filter-unused', class: 'check' },
      h('input', { type: 'checkbox', id: 'filter-unused', checked: filters.unused }), ' Only never used / unused for'),
    h('label', { for: 'unused-days', class: 'visually-hidden' }, 'Days unused'), days, h('span', { 'aria-hidden': 'true' }, 'days'),
    h('button', { type: 'submit' }, 'Apply'));
  let badgeDays = filters.unused ? Number(filters.unusedDays) : kUnusedDays;
  const refresh = async () => {
    const query = {};
    if (filters.stale) query.staleAfterDays = kStaleDays;
    if (filters.deleted) query.includeDeleted = 'true';
    if (filters.unused) {
      if (days.value.trim() === '') return showError(unusedForm, { status: 400, field: 'unusedForDays', message: 'Give a number of days.' });
      query.unusedForDays = days.value.trim();
    }
    try {
      const items = await api.list(query);
      clearErrors(unusedForm);
      if (filters.unused) badgeDays = Number(query.unusedForDays);
      filters.unusedDays = days.value.trim();
      table.replaceChildren(...items.map((i) => row(i, refresh, badgeDays)));
      if (!items.length) {
        table.append(h('tr', {}, h('td', { colspan: 7 }, filters.unused ? `No integration is unused for ${query.unusedForDays} days.`
          : filters.stale ? 'No integration needs a rotation.' : 'No integrations yet.')));
      }
      announce(`${items.length} integration${items.length === 1 ? '' : 's'}`);
    } catch (e) {
      if (e.field === 'unusedForDays') return showError(unusedForm, e);
      table.replaceChildren(h('tr', {}, h('td', { colspan: 7, role: 'alert' }, messageOf(e))));
    }
  };
  unusedForm.elements[0].addEventListener('change', (e) => { filters.unused = e.target.checked; refresh(); });
  unusedForm.addEventListener('submit', (e) => { e.preventDefault(); filters.unused = unusedForm.elements[0].checked = true; refresh(); });
  const toggle = (key, label, id) => h('label', { for: id, class: 'check' },
    h('input', { type: 'checkbox', id, checked: filters[key], onchange: (e) => { filters[key] = e.target.checked; refresh(); } }), ' ', label);
  show(heading,
    h('p', {}, 'Tokens that let your own apps and scripts call the product on behalf of this account. ',
      'Notifications of their changes go to the account\'s ', h('a', { href: '#/webhooks' }, 'webhooks'), '.'),
    h('div', { class: 'toolbar' },
      h('a', { class: 'button primary', href: '#/create' }, 'Create new Integration'),
      toggle('stale', `Only rotation recommended (token older than ${kStaleDays} days)`, 'filter-stale'),
      toggle('deleted', 'Show deleted', 'filter-deleted'),
      unusedForm),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Integrations'),
      h('thead', {}, h('tr', {}, ['Name', 'Scopes', 'Created by', 'Token', 'Last rotation', 'State', h('span', { class: 'visually-hidden' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
      table)));
  await refresh();
  clearInterval(ticker);
  ticker = setInterval(() => {
    for (const el of document.querySelectorAll('[data-expires]')) el.textContent = countdown(el.dataset.expires);
  }, 1000);
}
