// One webhook's deliveries: pitd's last 100 attempts (time, event, webhook-id, status or error,
// next retry), newest first, and whether this node delivers it at all.
import { api, getSession } from './api.js';
import { h, show, when, messageOf, mayNotManageNotice } from './ui.js';

function outcome(d) {
  if (d.status !== null && d.status >= 200 && d.status < 300) return h('span', { class: 'badge active' }, `Delivered (${d.status})`);
  const why = d.status !== null ? `HTTP ${d.status}` : d.error || 'failed';
  return h('span', { class: 'badge failed' }, d.status !== null && d.error ? `${why}: ${d.error}` : why);
}

function next(d) {
  if (d.gaveUp) return 'Gave up (24 h of retries)';
  if (!d.nextRetryAt) return '-';
  return h('time', { datetime: d.nextRetryAt }, when(d.nextRetryAt));
}

export async function deliveriesScreen(id) {
  const session = getSession();
  const back = h('p', {}, h('a', { href: '#/webhooks' }, '← Webhooks'));
  const heading = h('h1', {}, `Deliveries of ${id}`);
  if (!session.mayManage) {
    show(back, heading, mayNotManageNotice(session, 'webhooks'));
    return;
  }
  const state = h('p', { class: 'note' });
  const body = h('tbody');
  const refresh = async () => {
    try {
      const list = await api.deliveries(id);
      state.textContent = list.state === 'delivering' ? 'This server delivers this webhook.' : list.message;
      state.className = list.state === 'delivering' ? 'note' : 'warning';
      body.replaceChildren(...[...list.deliveries].reverse().map((d) => h('tr', {},
        h('td', {}, h('time', { datetime: d.at }, when(d.at))),
        h('td', {}, h('code', {}, d.type)),
        h('td', { class: 'hint' }, d.webhookId),
        h('td', {}, outcome(d)),
        h('td', {}, next(d)))));
      if (!list.deliveries.length) body.append(h('tr', {}, h('td', { colspan: 5 }, 'No delivery attempted yet.')));
    } catch (e) {
      const message = e.status === 404 ? 'This webhook does not exist (or was removed).' : messageOf(e);
      body.replaceChildren(h('tr', {}, h('td', { colspan: 5, role: 'alert' }, message)));
    }
  };
  show(back, heading,
    h('p', {}, 'The last 100 attempts, newest first. A retry keeps its webhook-id, so a receiver can drop a duplicate.'),
    state,
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: refresh }, 'Refresh')),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Delivery attempts'),
      h('thead', {}, h('tr', {}, ['When', 'Event', 'webhook-id', 'Outcome', 'Next retry'].map((c) => h('th', { scope: 'col' }, c)))),
      body)));
  await refresh();
}
