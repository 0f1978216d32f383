// The console's entry: signs the page in (GET /console/session), then routes by the URL's hash
// (#/, #/create, #/i/<id>/history, #/audit, #/managers, #/webhooks, #/webhooks/<id>/deliveries)
// to one screen module each.
import { api, getSession, loadSession } from './api.js';
import { h, show, guardToken, tokenShown, messageOf } from './ui.js';
import { listScreen } from './list.js';
import { createScreen } from './create.js';
import { historyScreen } from './history.js';
import { auditScreen } from './audit.js';
import { managersScreen } from './managers.js';
import { webhooksScreen } from './webhooks.js';
import { deliveriesScreen } from './webhook_deliveries.js';

const routes = [
  [/^#?\/?$/, () => listScreen()],
  [/^#\/create$/, () => createScreen()],
  [/^#\/i\/([^/]+)\/history$/, (m) => historyScreen(decodeURIComponent(m[1]))],
  [/^#\/audit$/, () => auditScreen()],
  [/^#\/managers$/, () => managersScreen()],
  [/^#\/webhooks$/, () => webhooksScreen()],
  [/^#\/webhooks\/([^/]+)\/deliveries$/, (m) => deliveriesScreen(decodeURIComponent(m[1]))],
];

let current = location.hash;

async function route() {
  if (tokenShown() && location.hash !== current) {
    if (!confirm('This secret is shown only once. Leave without copying it?')) {
      history.replaceState(null, '', current || '#/');
      return;
    }
    guardToken(false);
  }
  current = location.hash;
  for (const [pattern, screen] of routes) {
    const m = location.hash.match(pattern);
    if (m) {
      try { await screen(m); } catch (e) { show(h('p', { class: 'form-error', role: 'alert' }, messageOf(e))); }
      return;
    }
  }
  show(h('h1', {}, 'Not found'), h('p', {}, h('a', { href: '#/' }, 'Back to the integrations')));
}

async function start() {
  try {
    await loadSession();
  } catch (e) {
    document.getElementById('signout').hidden = true;
    show(h('h1', {}, 'Signed out'),
      h('p', {}, 'Your console session has ended or was never opened. Open a new sign-in link from the product, or run ', h('code', {}, 'pitctl console'), '.'));
    return;
  }
  const s = getSession();
  document.getElementById('who').textContent = `${s.userId} (${s.role}) · ${s.accountId}`;
  document.getElementById('signout').addEventListener('click', async () => {
    await api.signOut();
    location.reload();
  });
  window.addEventListener('hashchange', route);
  await route();
}

start();
