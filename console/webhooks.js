// The account's webhooks (API.md "Token hygiene"): the list (URL, event types, created), Add
// and Replace (webhook_form.js), Remove with a confirmation, and each one's deliveries
// (webhook_deliveries.js). Managing them needs "may manage", as the integrations do.
import { api, getSession } from './api.js';
import { h, show, when, openDialog, showError, announce, messageOf, mayNotManageNotice } from './ui.js';
import { webhookDialog } from './webhook_form.js';

function removeDialog(webhook) {
  return openDialog(`Remove webhook ${webhook.id}`, (close) => {
    const form = h('form', { method: 'dialog' },
      h('p', { class: 'warning' }, `Nothing more is sent to ${webhook.url}; deliveries waiting for a retry are dropped. The subscription stays in the audit.`),
      h('div', { class: 'actions' },
        h('button', { type: 'button', onclick: () => close(null) }, 'Keep it'),
        h('button', { type: 'submit', class: 'danger' }, 'Remove webhook')));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      try {
        await api.removeWebhook(webhook.id, webhook.version);
        announce(`Webhook ${webhook.id} removed`);
        close(true);
      } catch (err) {
        showError(form, err.status === 412 || err.status === 404
          ? { status: 0, message: 'Someone else changed or removed this webhook meanwhile. Close this and review the list.' } : err);
      }
    });
    return form;
  });
}

function row(w, refresh, taken) {
  const act = (fn) => async () => { if (await fn()) refresh(); };
  return h('tr', { 'data-id': w.id },
    h('th', { scope: 'row' }, w.id),
    h('td', { class: 'url' }, w.url),
    h('td', {}, h('details', {}, h('summary', {}, `${w.events.length} event type${w.events.length === 1 ? '' : 's'}`),
      h('ul', { class: 'scopes' }, w.events.map((t) => h('li', {}, h('code', {}, t)))))),
    h('td', {}, h('time', { datetime: w.createdAt }, when(w.createdAt))),
    h('td', {}, h('div', { class: 'row-actions' },
      h('a', { href: `#/webhooks/${encodeURIComponent(w.id)}/deliveries`, 'aria-label': `Deliveries of ${w.id}` }, 'Deliveries'),
      h('button', { type: 'button', 'aria-label': `Replace ${w.id}`, onclick: act(() => webhookDialog(w, taken())) }, 'Replace'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${w.id}`, onclick: act(() => removeDialog(w)) }, 'Remove'))));
}

export async function webhooksScreen() {
  const session = getSession();
  const heading = h('h1', {}, 'Webhooks');
  const intro = h('p', {}, 'pitd tells your endpoints when an integration or a token changes, and reminds them before a rotation is due. ',
    'Each delivery is a POST signed per Standard Webhooks; failed ones are retried with growing delays for 24 hours.');
  if (!session.mayManage) {
    show(heading, intro, mayNotManageNotice(session, 'webhooks'));
    return;
  }
  const body = h('tbody');
  let ids = [];
  const refresh = async () => {
    try {
      const hooks = await api.webhooks();
      ids = hooks.map((w) => w.id);
      body.replaceChildren(...hooks.map((w) => row(w, refresh, () => ids)));
      if (!hooks.length) body.append(h('tr', {}, h('td', { colspan: 5 }, 'No webhooks yet.')));
      announce(`${hooks.length} webhook${hooks.length === 1 ? '' : 's'}`);
    } catch (e) {
      body.replaceChildren(h('tr', {}, h('td', { colspan: 5, role: 'alert' }, messageOf(e))));
    }
  };
  show(heading, intro,
    h('div', { class: 'toolbar' },
      h('button', { type: 'button', class: 'primary', onclick: async () => { if (await webhookDialog(null, ids)) refresh(); } }, 'Add a webhook')),
    h('div', { class: 'table-wrap' }, h('table', {},
      h('caption', { class: 'visually-hidden' }, 'Webhooks'),
      h('thead', {}, h('tr', {}, ['Id', 'URL', 'Events', 'Created', h('span', { class: 'visually-hidden' }, 'Actions')].map((c) => h('th', { scope: 'col' }, c)))),
      body)));
  await refresh();
}
