// The account's webhooks in the console (API.md "Token hygiene"): list, add with the signing
// secret shown once, replace, remove, and the deliveries, end to end against a pitd that may
// deliver to loopback (--webhooks-allow-private) and a receiver the test runs, which checks every
// signature with the reference Standard Webhooks library and the secret the console showed.
import { test, expect } from '@playwright/test';
import { createServer } from 'node:http';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { startPitd, stopPitd } from './pitd.mjs';
import { state, shots, freshAccount, apiOn, signInOn, api, signIn, expectAccessible,
         expectSecretNowhereButScreen, tabTo } from './helpers.mjs';

// A receiver on a free loopback port: answers each request with the next of `statuses` (the
// last one repeating) and keeps what it received.
async function startReceiver(statuses) {
  const received = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(statuses[Math.min(received.length, statuses.length) - 1]);
      res.end();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received, stop: () => new Promise((r) => server.close(r)) };
}

// Every file of a data dir holds no `secret` (the write-ahead log is not compressed: an event or
// a value holding it would show here).
function expectNotOnDisk(dir, secret) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) expectNotOnDisk(path, secret);
    else expect(readFileSync(path).includes(secret), `${name} holds the secret`).toBe(false);
  }
}

test.describe('with a pitd that delivers to loopback', () => {
  let server = null;
  let receiver = null;
  test.beforeEach(async () => {
    server = await startPitd({ args: ['--webhooks-allow-private', '--webhook-retry-scale-for-tests', '0.01'] });
  });
  test.afterEach(async () => {
    if (server) await stopPitd(server);
    if (receiver) await receiver.stop();
    server = receiver = null;
  });

  test('webhooks: add shows the signing secret once, deliveries show a failed attempt and its retry, replace keeps the secret, remove asks first', async ({ page }) => {
    const account = freshAccount();
    receiver = await startReceiver([500, 204]);
    await signInOn(server, page, account);
    // Reachable from the settings page by keyboard.
    await tabTo(page, page.getByRole('main').getByRole('link', { name: 'webhooks' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Webhooks' })).toBeVisible();
    await expect(page.getByText('No webhooks yet.')).toBeVisible();
    await expectAccessible(page, 'webhooks (empty)');
    await page.getByRole('button', { name: 'Add a webhook' }).click();
    const dialog = page.getByRole('dialog');
    await expect(dialog.getByRole('group', { name: 'Events to send' })).toContainText('Reminders');
    await expectAccessible(page, 'add webhook dialog');
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    await expect(page.getByLabel('Id', { exact: true })).toHaveAttribute('aria-invalid', 'true');
    await page.getByLabel('Id', { exact: true }).fill('ops');
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    await expect(page.getByLabel('URL')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByLabel('URL')).toHaveAttribute('aria-describedby', 'wh-url-hint wh-url-error');  // the hint stays
    await page.getByLabel('URL').fill(receiver.url);
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    await expect(dialog.locator('fieldset[name=events]')).toHaveAttribute('aria-invalid', 'true');
    await expect(dialog.locator('#wh-events-error')).toHaveText('Pick at least one event.');
    await expect(page.getByLabel('URL')).toHaveAttribute('aria-describedby', 'wh-url-hint');  // its error gone
    await expectAccessible(page, 'add webhook dialog with an error');
    await page.getByLabel('integration.created').check();
    await page.getByLabel('token.rotated').check();
    await page.screenshot({ path: `${shots}webhook-add.png` });
    await dialog.getByRole('button', { name: 'Add webhook' }).click();
    // The secret, once.
    await expect(dialog).toContainText('it cannot be shown again');
    const secret = await page.locator('#new-secret').inputValue();
    expect(/^whsec_[A-Za-z0-9+/=]{40,}$/.test(secret), 'a signing secret is shown').toBe(true);
    await expect(page.getByRole('button', { name: 'Copy signing secret' })).toBeVisible();
    await page.screenshot({ path: `${shots}webhook-secret.png`, mask: [page.locator('#new-secret')] });  // no secret on disk
    await expectAccessible(page, 'webhook secret');
    await expectSecretNowhereButScreen(page, secret);
    // Escape and leaving the page ask first; dismissing stays.
    page.once('dialog', (d) => d.dismiss());
    await page.keyboard.press('Escape');
    expect(await page.locator('#new-secret').inputValue() === secret, 'the secret is still shown').toBe(true);
    await dialog.getByRole('button', { name: 'Done, I copied it' }).click();
    await expect(page.locator('#new-secret')).toHaveCount(0);
    const row = page.locator('tr', { hasText: receiver.url });
    await expect(row.locator('th')).toHaveText('ops');
    await expect(row).toContainText('2 event types');
    expect((await page.locator('body').innerText()).includes(secret), 'the secret is still in the page').toBe(false);
    await expectSecretNowhereButScreen(page, secret);
    const listed = await apiOn(server, 'GET', `/v1/accounts/${account}/webhooks`);
    expect(listed.body.webhooks.map((w) => [w.id, w.url, w.events])).toEqual([['ops', receiver.url, ['integration.created', 'token.rotated']]]);
    expect(JSON.stringify(listed.body).includes(secret), 'the list holds the secret').toBe(false);
    await expectAccessible(page, 'webhooks list');
    await page.screenshot({ path: `${shots}webhook-list.png` });

    // A delivery: answered 500, then retried with the same webhook-id and answered 204; the
    // receiver verifies it with the secret the console showed.
    const made = await apiOn(server, 'POST', `/v1/accounts/${account}/integrations`, { name: 'Hooked', scopes: ['contacts.readonly'] });
    await expect.poll(() => receiver.received.length, { timeout: 10_000 }).toBe(2);
    const [first, retry] = receiver.received;
    expect(retry.headers['webhook-id']).toBe(first.headers['webhook-id']);
    expect(new Webhook(secret).verify(retry.body, retry.headers)).toMatchObject({ type: 'integration.created',
      data: { accountId: account, integrationId: made.body.integration.id } });
    await row.getByRole('link', { name: 'Deliveries of ops' }).click();
    const attempts = page.locator('tbody tr');
    await expect(attempts).toHaveCount(2);
    await expect(attempts.nth(0)).toContainText('Delivered (204)');
    await expect(attempts.nth(1)).toContainText('HTTP 500');
    await expect(attempts.nth(1).locator('td').nth(4).locator('time')).toHaveCount(1);  // its next retry
    for (const i of [0, 1]) {
      await expect(attempts.nth(i)).toContainText('integration.created');
      await expect(attempts.nth(i).locator('td').nth(2)).toHaveText(first.headers['webhook-id']);
    }
    await expect(page.getByText('This server delivers this webhook.')).toBeVisible();
    await expectAccessible(page, 'deliveries');
    await page.screenshot({ path: `${shots}webhook-deliveries.png` });

    // Replace: the URL and events change, the secret stays (none is shown).
    await page.getByRole('link', { name: '← Webhooks' }).click();
    await page.getByRole('button', { name: 'Replace ops' }).click();
    await expect(dialog).toContainText('keeps the signing secret');
    await expect(page.getByLabel('URL')).toHaveValue(receiver.url);
    await expect(page.getByLabel('integration.created')).toBeChecked();
    await expectAccessible(page, 'replace webhook dialog');
    await page.getByLabel('token.rotated').uncheck();
    await page.getByLabel('token.revoked').check();
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(page.locator('#new-secret')).toHaveCount(0);
    const replaced = (await apiOn(server, 'GET', `/v1/accounts/${account}/webhooks/ops`)).body.webhook;
    expect(replaced.events).toEqual(['integration.created', 'token.revoked']);
    // Remove, after a confirmation.
    await page.getByRole('button', { name: 'Remove ops' }).click();
    await expect(dialog).toContainText('Nothing more is sent');
    await expectAccessible(page, 'remove webhook dialog');
    await dialog.getByRole('button', { name: 'Remove webhook' }).click();
    await expect(page.getByText('No webhooks yet.')).toBeVisible();
    const trail = (await apiOn(server, 'GET', `/v1/accounts/${account}/audit`)).body.events;
    expect(trail.filter((e) => e.type.startsWith('Webhook')).map((e) => [e.type, e.actor.userId]))
      .toEqual([['WebhookSubscribed', 'alice'], ['WebhookSubscribed', 'alice'], ['WebhookRemoved', 'alice']]);
    expect(JSON.stringify(trail).includes(secret), 'the audit holds the secret').toBe(false);
    expectNotOnDisk(server.dir, secret);  // its data dir and its log
  });

  test('webhooks: a replace after a change made elsewhere says so with the fresh state, and Replace again applies it', async ({ page }) => {
    const account = freshAccount();
    receiver = await startReceiver([204]);
    const path = `/v1/accounts/${account}/webhooks/ops`;
    expect((await apiOn(server, 'PUT', path, { url: receiver.url, events: ['token.expired'] })).status).toBe(201);
    await signInOn(server, page, account);
    await page.goto(`${server.base}/console/#/webhooks`);
    await page.getByRole('button', { name: 'Replace ops' }).click();
    await page.getByLabel('token.revoked').check();
    const elsewhere = `${receiver.url}?from=elsewhere`;
    expect((await apiOn(server, 'PUT', path, { url: elsewhere, events: ['token.expired'] })).status).toBe(200);
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await expect(dialog.getByRole('alert')).toContainText('Someone else changed this webhook meanwhile');
    await expect(dialog.getByRole('alert')).toContainText(elsewhere);
    await expectAccessible(page, 'replace webhook dialog with a conflict');
    expect((await apiOn(server, 'GET', path)).body.webhook.events).toEqual(['token.expired']);  // nothing overwritten
    await page.getByLabel('URL').fill(elsewhere);
    await dialog.getByRole('button', { name: 'Replace' }).click();
    await expect(dialog).toHaveCount(0);
    const now = (await apiOn(server, 'GET', path)).body.webhook;
    expect([now.url, now.events]).toEqual([elsewhere, ['token.expired', 'token.revoked']]);
  });

  test('webhooks: a receiver that is down shows as an error with its next retry in the deliveries', async ({ page }) => {
    const account = freshAccount();
    receiver = await startReceiver([204]);
    const down = receiver.url;
    await receiver.stop();  // nothing listens there any more
    receiver = null;
    expect((await apiOn(server, 'PUT', `/v1/accounts/${account}/webhooks/down`, { url: down, events: ['integration.created'] })).status).toBe(201);
    await apiOn(server, 'POST', `/v1/accounts/${account}/integrations`, { name: 'Unheard', scopes: ['contacts.readonly'] });
    await expect.poll(async () => (await apiOn(server, 'GET', `/v1/accounts/${account}/webhooks/down/deliveries`)).body.deliveries.length,
      { timeout: 10_000 }).toBeGreaterThan(0);
    const attempt = (await apiOn(server, 'GET', `/v1/accounts/${account}/webhooks/down/deliveries`)).body.deliveries[0];
    expect(attempt.status).toBeNull();
    await signInOn(server, page, account);
    await page.goto(`${server.base}/console/#/webhooks/down/deliveries`);
    const oldest = page.locator('tbody tr').last();
    await expect(oldest.locator('td').nth(3)).toHaveText(attempt.error);
    await expect(oldest.locator('td').nth(4).locator('time')).toHaveAttribute('datetime', attempt.nextRetryAt);
    await expectAccessible(page, 'deliveries with a failed attempt');
  });

  test('webhooks at 375 px: the list and the add dialog stay usable', async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    const account = freshAccount();
    receiver = await startReceiver([204]);
    await apiOn(server, 'PUT', `/v1/accounts/${account}/webhooks/phone`, { url: receiver.url, events: ['token.expired'] });
    await signInOn(server, page, account);
    await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
    await expect(page.locator('tr', { hasText: 'phone' })).toBeVisible();
    const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('button', { name: 'Add a webhook' }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.screenshot({ path: `${shots}webhook-mobile-add.png` });
    await expectAccessible(page, 'add webhook dialog at 375 px');
  });
});

test('webhooks: the SSRF guard\'s 400 appears at the URL field, and nothing is written', async ({ page }) => {
  const account = freshAccount();  // the suite's pitd: no --webhooks-allow-private
  await signIn(page, account);
  await page.goto(`${state().base}/console/#/webhooks`);
  await tabTo(page, page.getByRole('button', { name: 'Add a webhook' }));  // by keyboard
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Id', { exact: true })).toBeFocused();
  await page.getByLabel('Id', { exact: true }).fill('internal');
  await page.getByLabel('URL').fill('https://127.0.0.1/hook');
  await page.getByLabel('token.revoked').check();
  await page.getByRole('dialog').getByRole('button', { name: 'Add webhook' }).click();
  const refused = await api('PUT', `/v1/accounts/${account}/webhooks/internal`, { url: 'https://127.0.0.1/hook', events: ['token.revoked'] });
  expect(refused.status).toBe(400);
  expect(refused.body.error.field).toBe('url');
  await expect(page.getByLabel('URL')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#wh-url-error')).toHaveText(refused.body.error.message);
  await expect(page.locator('#new-secret')).toHaveCount(0);
  await expectAccessible(page, 'add webhook refused by the SSRF guard');
  expect((await api('GET', `/v1/accounts/${account}/webhooks`)).body.webhooks).toEqual([]);
  expect((await api('GET', `/v1/accounts/${account}/audit`)).body.events).toEqual([]);
});

test('webhooks: a user without the permission sees why, and no list', async ({ page }) => {
  const account = freshAccount();
  await api('PUT', `/v1/accounts/${account}/users/carol/permission`, { allowed: false });
  await signIn(page, account, { user: 'carol', role: 'admin' });  // an admin whose permission was withdrawn
  await page.getByRole('link', { name: 'Webhooks', exact: true }).click();
  await expect(page.getByRole('note')).toContainText('may not manage this account\'s webhooks');
  await expect(page.getByRole('button', { name: 'Add a webhook' })).toHaveCount(0);
  await expectAccessible(page, 'webhooks without permission');
  await page.goto(`${state().base}/console/#/webhooks/ops/deliveries`);
  await expect(page.getByRole('note')).toContainText('may not manage');
});
