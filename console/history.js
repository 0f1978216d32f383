// One integration's history: its valid tokens now with their last use, its events as a timeline
// (who, when, what changed, request ids), and "as of": the integration as it was at a chosen time.
import { api } from './api.js';
import { h, show, when, showError, messageOf } from './ui.js';
import { lastUse } from './last_use.js';

function describe(e, previousScopes) {
  const d = e.data || {};
  switch (e.type) {
    case 'Created': return [`Created "${d.name}" with scopes ${(d.scopes || []).join(', ')}`];
    case 'ScopesUpdated': {
      const before = new Set(previousScopes || []);
      const after = new Set(d.scopes || []);
      const added = [...after].filter((s) => !before.has(s));
      const removed = [...before].filter((s) => !after.has(s));
      return [`Edited${d.name ? ` (name "${d.name}")` : ''}`,
        added.length ? h('span', { class: 'added' }, ` added: ${added.join(', ')}`) : '',
        removed.length ? h('span', { class: 'removed' }, ` removed: ${removed.join(', ')}`) : ''];
    }
    case 'RotationStarted': return [`Rotated (expire ${d.expire || (d.previousExpiresAt ? 'later' : 'now')})${d.previousExpiresAt ? `; old token valid until ${when(d.previousExpiresAt)}` : ''}`];
    case 'RotationCancelled': return ['Rotation cancelled'];
    case 'Expired': return [`Token ${d.tokenId || ''} expired (${d.reason || 'unknown reason'})`];
    case 'Deleted': return ['Deleted'];
    default: return [e.type];
  }
}

function integrationCard(i) {
  return h('dl', { class: 'card' },
    h('dt', {}, 'Name'), h('dd', {}, i.name),
    h('dt', {}, 'Description'), h('dd', {}, i.description || '-'),
    h('dt', {}, 'Scopes'), h('dd', {}, i.scopes.join(', ')),
    h('dt', {}, 'Status'), h('dd', {}, i.status),
    h('dt', {}, 'Version'), h('dd', {}, String(i.version)),
    h('dt', {}, 'Tokens'), h('dd', {}, i.tokens.map((t) => `${t.hint} (${t.state})`).join(', ') || '-'));
}

// Its valid tokens as they are now, each with its last use.
async function tokensNow(id) {
  let integration;
  try {
    integration = await api.get(id);
  } catch (e) {
    return h('p', { class: 'muted' }, e.status === 404 ? 'Deleted: it has no valid token.' : messageOf(e));
  }
  if (!integration.tokens.length) return h('p', {}, 'No valid token: rotate to issue one.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'tokens-now' },
    h('caption', { class: 'visually-hidden' }, 'Valid tokens'),
    h('thead', {}, h('tr', {}, ['Token', 'State', 'Issued', 'Expires', 'Last use'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, integration.tokens.map((t) => h('tr', {},
      h('td', { class: 'hint' }, t.hint), h('td', {}, t.state), h('td', {}, when(t.issuedAt)),
      h('td', {}, t.expiresAt ? when(t.expiresAt) : 'no deadline'), h('td', {}, lastUse(t)))))));
}

export async function historyScreen(id) {
  const events = await api.events(id);
  const tokens = await tokensNow(id);
  let scopes = [];
  const items = events.map((e) => {
    const text = describe(e, scopes);
    if (e.data && e.data.scopes) scopes = e.data.scopes;
    return h('li', { class: `event ${e.type}` },
      h('time', { datetime: e.at }, when(e.at)), ' ',
      h('strong', {}, e.type), ' by ', `${e.actor.userId} (${e.actor.role})`, h('br'),
      ...text, e.requestId ? h('span', { class: 'muted' }, ` · request ${e.requestId}`) : '');
  });
  const name = events.find((e) => e.type === 'Created')?.data?.name || id;
  const result = h('div', { id: 'as-of-result' });
  const form = h('form', { class: 'inline' },
    h('label', { for: 'as-of' }, 'As of'),
    h('input', { type: 'datetime-local', id: 'as-of', name: 'asOf', step: 1, required: true }),
    h('button', { type: 'submit' }, 'Show'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const at = new Date(form.elements.asOf.value);
    if (isNaN(at)) return showError(form, { status: 400, field: 'asOf', message: 'Pick a date and time.' });
    try {
      const i = await api.get(id, at.toISOString());
      result.replaceChildren(h('h3', {}, `As of ${when(at.toISOString())}`), integrationCard(i));
    } catch (err) {
      result.replaceChildren();
      showError(form, err.status === 404 ? { ...err, message: 'It did not exist at that time (or was deleted by then).', status: 0 } : err);
    }
  });
  show(h('p', {}, h('a', { href: '#/' }, '← Integrations')),
    h('h1', {}, `History of ${name}`),
    h('h2', {}, 'Tokens now'), tokens,
    h('h2', {}, 'As it was'), form, result,
    h('h2', {}, 'Timeline'), h('ol', { class: 'timeline' }, items));
}
