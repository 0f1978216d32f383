// The list: every integration with its token hint, rotation state (countdown), stale badge,
// a filter for rotation-recommended ones, deleted ones on request, and a menu per row.
import { api, getSession } from './api.js';
import { h, show, when, countdown, announce, messageOf } from './ui.js';
import { editDialog } from './edit.js';
import { rotateDialog, cancelRotationDialog, expireNowDialog } from './rotate.js';
import { deleteDialog } from './remove.js';

export const kStaleDays = 90;
const filters = { stale: false, deleted: false };
let ticker = null;

function currentToken(i) { return i.tokens.find((t) => t.state === 'current'); }
function previousToken(i) { return i.tokens.find((t) => t.state === 'previous'); }
function isStale(i) {
  const t = currentToken(i);
  return t && Date.now() - new Date(t.issuedAt) > kStaleDays * 86400 * 1000;
}

function stateCell(i) {
  if (i.status === 'deleted') return h('span', { class: 'badge deleted' }, 'Deleted');
  const prev = previousToken(i);
  const parts = [h('span', { class: 'badge active' }, prev ? 'Rotating' : 'Active')];
  if (prev) {
    parts.push(h('p', { class: 'countdown' }, 'Old token ', prev.hint, ' expires in ',
      h('span', { 'data-expires': prev.expiresAt }, countdown(prev.expiresAt))));
  }
  if (!currentToken(i)) parts.push(h('p', {}, 'No valid token: rotate to issue one.'));
  if (isStale(i)) parts.push(h('span', { class: 'badge stale' }, 'Rotation recommended'));
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

function row(i, refresh) {
  const t = currentToken(i);
  return h('tr', { 'data-id': i.id },
    h('th', { scope: 'row' }, h('span', { class: 'name' }, i.name), h('p', { class: 'muted' }, i.description)),
    h('td', {}, h('details', {}, h('summary', {}, `${i.scopes.length} scope${i.scopes.length === 1 ? '' : 's'}`),
      h('ul', { class: 'scopes' }, i.scopes.map((s) => h('li', {}, s))))),
    h('td', {}, i.createdBy, h('br'), h('span', { class: 'muted' }, when(i.createdAt))),
    h('td', { class: 'hint' }, t ? t.hint : '-'),
    h('td', {}, t ? when(t.issuedAt) : '-'),
    h('td', {}, stateCell(i)),
    h('td', {}, i.status === 'deleted'
      ? h('a', { href: `#/i/${encodeURIComponent(i.id)}/history` }, 'History')
      : menu(i, refresh)));
}

export async function listScreen() {
  const session = getSession();
  const heading = h('h1', {}, 'Private Integrations');
  if (!session.mayManage) {
    show(heading, h('p', { class: 'notice', role: 'note' },
      `You (${session.userId}) may not manage this account's integrations: `,
      session.role === 'admin'
        ? 'an admin withdrew your permission. Ask another admin, or restore it under "Who may manage".'
        : 'a user needs an admin to grant the permission. Ask an admin of the account.'));
    return;
  }
  const table = h('tbody');
  const refresh = async () => {
    const query = {};
    if (filters.stale) query.staleAfterDays = kStaleDays;
    if (filters.deleted) query.includeDeleted = 'true';
    try {
      const items = await api.list(query);
      table.replaceChildren(...items.map((i) => row(i, refresh)));
      if (!items.length) table.append(h('tr', {}, h('td', { colspan: 7 }, filters.stale ? 'No integration needs a rotation.' : 'No integrations yet.')));
      announce(`${items.length} integration${items.length === 1 ? '' : 's'}`);
    } catch (e) {
      table.replaceChildren(h('tr', {}, h('td', { colspan: 7, role: 'alert' }, messageOf(e))));
    }
  };
  const toggle = (key, label, id) => h('label', { for: id, class: 'check' },
    h('input', { type: 'checkbox', id, checked: filters[key], onchange: (e) => { filters[key] = e.target.checked; refresh(); } }), ' ', label);
  show(heading,
    h('p', {}, 'Tokens that let your own apps and scripts call the product on behalf of this account.'),
    h('div', { class: 'toolbar' },
      h('a', { class: 'button primary', href: '#/create' }, 'Create new Integration'),
      toggle('stale', `Only rotation recommended (token older than ${kStaleDays} days)`, 'filter-stale'),
      toggle('deleted', 'Show deleted', 'filter-deleted')),
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
