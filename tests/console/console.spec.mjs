// The admin console end to end: what the page shows, and (through the API, with the service
// key) that the log holds the matching events. Each test works in its own account.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync, mkdirSync } from 'node:fs';

const state = () => JSON.parse(readFileSync(process.env.PITLOG_CONSOLE_STATE, 'utf8'));
const shots = new URL('./screenshots/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
let accounts = 0;
const freshAccount = () => `acct-${process.pid}-${++accounts}-${Date.now() % 100000}`;

async function api(method, path, body, actor = { user: 'alice', role: 'admin' }) {
  const { base, key } = state();
  const headers = { Authorization: `Bearer ${key}`, 'X-Actor-User': actor.user, 'X-Actor-Role': actor.role };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

const events = async (account, id) => (await api('GET', `/v1/accounts/${account}/integrations/${id}/events`)).body.events;

async function signIn(page, account, actor = { user: 'alice', role: 'admin' }) {
  const link = await api('POST', `/v1/accounts/${account}/console/links`, undefined, actor);
  expect(link.status).toBe(201);
  await page.goto(state().base + link.body.url);
  await expect(page).toHaveURL(/\/console\/$/);
  return link.body.url;
}

async function expectAccessible(page, what) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} ${v.help}`)).toEqual([]);
}

async function expectTokenNowhereButScreen(page, token) {
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored.includes(token)).toBe(false);
  expect(page.url().includes(token)).toBe(false);
  const cookies = await page.context().cookies();
  expect(cookies.some((c) => c.value.includes(token))).toBe(false);
}

async function createThroughWizard(page, name, scopeFilter, scopeLabel) {
  await page.getByRole('link', { name: 'Create new Integration' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Search scopes').fill(scopeFilter);
  await page.getByLabel(scopeLabel).check();
  await page.getByRole('button', { name: 'Create' }).click();
  const token = await page.locator('#new-token').inputValue();
  expect(token).toMatch(/^pit_[0-9A-Za-z]{49}$/);
  return token;
}

test('a sign-in link works once; a used one shows a page that says so', async ({ page }) => {
  const account = freshAccount();
  const url = await signIn(page, account);
  await expect(page.getByRole('heading', { name: 'Private Integrations' })).toBeVisible();
  await expectAccessible(page, 'list (empty)');
  const again = await page.goto(state().base + url);
  expect(again.status()).toBe(401);
  await expect(page.getByRole('heading', { name: 'This sign-in link is not valid' })).toBeVisible();
  await expectAccessible(page, 'refused sign-in');
});

test('the API refuses a session request without X-Pitlog-Console, and another account by URL', async ({ page }) => {
  const account = freshAccount();
  const other = freshAccount();
  const theirs = await api('POST', `/v1/accounts/${other}/integrations`, { name: 'Theirs', scopes: ['contacts.readonly'] });
  await signIn(page, account);
  const base = state().base;
  expect((await page.request.get(`${base}/v1/accounts/${account}/integrations`)).status()).toBe(403);
  expect((await page.request.get(`${base}/v1/accounts/${account}/integrations`, { headers: { 'X-Pitlog-Console': '1' } })).status()).toBe(200);
  const id = theirs.body.integration.id;
  const r = await page.request.get(`${base}/v1/accounts/${other}/integrations/${id}`, { headers: { 'X-Pitlog-Console': '1' } });
  expect(r.status()).toBe(403);
  await page.goto(`${base}/console/#/i/${id}/history`);
  await expect(page.getByRole('alert')).toContainText(/does not exist|Not allowed/);
  await expect(page.getByText('Theirs')).toHaveCount(0);
});

test('create: field errors, scopes searched, the token shown once with a copy button', async ({ page }) => {
  const account = freshAccount();
  await signIn(page, account);
  await page.getByRole('link', { name: 'Create new Integration' }).click();
  await page.screenshot({ path: `${shots}create-1-name.png` });
  await page.getByRole('button', { name: 'Next' }).click();
  await expect(page.getByText('Give the integration a name.')).toBeVisible();
  await expect(page.getByLabel('Name')).toHaveAttribute('aria-invalid', 'true');
  await expectAccessible(page, 'create step 1 with an error');
  await page.getByLabel('Name').fill('Zapier sync');
  await page.getByLabel('Description (optional)').fill('Pushes contacts to Zapier');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Search scopes').fill('contacts');
  await page.getByLabel('Read-only contacts.readonly').check();
  await page.screenshot({ path: `${shots}create-2-scopes.png` });
  await expectAccessible(page, 'create step 2');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('it cannot be shown again')).toBeVisible();
  const token = await page.locator('#new-token').inputValue();
  expect(token).toMatch(/^pit_/);
  await expect(page.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await page.screenshot({ path: `${shots}create-3-token.png`, mask: [page.locator('#new-token')] });  // no token on disk
  await expectAccessible(page, 'create step 3 (token)');
  await expectTokenNowhereButScreen(page, token);
  // Leaving asks first; dismissing stays.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.locator('#new-token')).toHaveValue(token);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  const row = page.locator('tr', { hasText: 'Zapier sync' });
  await expect(row).toContainText(`pit_…${token.slice(-4)}`);
  await expect(page.locator('body')).not.toContainText(token);
  await expectTokenNowhereButScreen(page, token);
  const list = (await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations;
  expect(list.map((i) => i.name)).toEqual(['Zapier sync']);
  const log = await events(account, list[0].id);
  expect(log.map((e) => [e.type, e.actor.userId])).toEqual([['Created', 'alice']]);
});

test('rotate later with its countdown, cancel, expire now; rotate now with the stronger warning', async ({ page }) => {
  const account = freshAccount();
  await signIn(page, account);
  const first = await createThroughWizard(page, 'Billing export', 'contacts', 'Read-only contacts.readonly');
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  const menu = () => page.getByLabel('Actions for Billing export');
  await menu().click();
  await page.getByRole('button', { name: 'Rotate and expire this token later' }).click();
  await expect(page.getByRole('dialog')).toContainText('keeps working until the rotation window ends');
  await page.screenshot({ path: `${shots}rotate-1-warning.png` });
  await expectAccessible(page, 'rotate later dialog');
  await page.getByRole('button', { name: 'Continue' }).click();
  const second = await page.locator('#new-token').inputValue();
  expect(second).not.toBe(first);
  await page.screenshot({ path: `${shots}rotate-2-token.png`, mask: [page.locator('#new-token')] });  // no token on disk
  await expectTokenNowhereButScreen(page, second);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).toContainText(/expires in 6 d 23 h/);
  await page.screenshot({ path: `${shots}rotate-3-window.png` });
  await menu().click();
  await page.getByRole('button', { name: 'Cancel rotation' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel rotation' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).not.toContainText('expires in');
  // Again, then expire the old one now.
  await menu().click();
  await page.getByRole('button', { name: 'Rotate and expire this token later' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  await menu().click();
  await page.getByRole('button', { name: 'Expire old token now' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Expire now' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).not.toContainText('expires in');
  // Now: the stronger warning.
  await menu().click();
  await page.getByRole('button', { name: 'Rotate and expire this token now' }).click();
  await expect(page.getByRole('dialog')).toContainText('stops working at once');
  await expectAccessible(page, 'rotate now dialog');
  await page.screenshot({ path: `${shots}rotate-4-now-warning.png` });
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.locator('#new-token')).toHaveValue(/^pit_/);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  const id = (await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations[0].id;
  const log = await events(account, id);
  expect(log.map((e) => e.type)).toEqual(['Created', 'RotationStarted', 'RotationCancelled', 'RotationStarted', 'Expired', 'RotationStarted', 'Expired']);
  expect(log[4].data.reason).toBe('manual');
  expect(log[6].data.reason).toBe('rotated_now');
});

test('edit says the token stays, and a concurrent change shows a conflict with the fresh state', async ({ page }) => {
  const account = freshAccount();
  const made = await api('POST', `/v1/accounts/${account}/integrations`, { name: 'CRM sync', scopes: ['contacts.readonly'] });
  const id = made.body.integration.id;
  await signIn(page, account);
  await page.getByLabel('Actions for CRM sync').click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await expect(page.getByRole('dialog')).toContainText('does not change the token');
  await expectAccessible(page, 'edit dialog');
  await page.getByLabel('Name').fill('CRM sync v2');
  await page.getByRole('button', { name: 'Next' }).click();
  // Someone else edits meanwhile.
  expect((await api('PATCH', `/v1/accounts/${account}/integrations/${id}`, { name: 'Renamed elsewhere' })).status).toBe(200);
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('Someone else changed this integration');
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('Renamed elsewhere');
  await page.getByLabel('Name').fill('CRM sync v2');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('button', { name: 'Update' }).click();
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(page.locator('tr', { hasText: 'CRM sync v2' })).toBeVisible();
  const log = await events(account, id);
  expect(log.map((e) => e.type)).toEqual(['Created', 'ScopesUpdated', 'ScopesUpdated']);
  expect(log[2].actor.userId).toBe('alice');
  expect(log[2].streamVersion).toBe(3);
});

test('delete by typing the name; its history stays under "deleted"', async ({ page }) => {
  const account = freshAccount();
  const made = await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Old importer', scopes: ['contacts.readonly'] });
  await signIn(page, account);
  await page.getByLabel('Actions for Old importer').click();
  await page.getByRole('button', { name: 'Delete' }).click();
  const confirmButton = page.getByRole('button', { name: 'Delete this integration' });
  await expect(confirmButton).toBeDisabled();
  await expectAccessible(page, 'delete dialog');
  await page.getByLabel('Type "Old importer" to confirm').fill('Old importe');
  await expect(confirmButton).toBeDisabled();
  await page.getByLabel('Type "Old importer" to confirm').fill('Old importer');
  await confirmButton.click();
  await expect(page.getByText('No integrations yet.')).toBeVisible();
  await page.getByLabel('Show deleted').check();
  await expect(page.locator('tr', { hasText: 'Old importer' })).toContainText('Deleted');
  await page.locator('tr', { hasText: 'Old importer' }).getByRole('link', { name: 'History' }).click();
  await expect(page.locator('.timeline')).toContainText('Deleted');
  const log = await events(account, made.body.integration.id);
  expect(log.map((e) => e.type)).toEqual(['Created', 'Deleted']);
});

test('history shows the timeline with scope diffs, and the integration as of a past time', async ({ page }) => {
  const account = freshAccount();
  const made = await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Reports', scopes: ['contacts.readonly'] });
  const id = made.body.integration.id;
  const createdAt = new Date(made.body.integration.createdAt);
  await new Promise((r) => setTimeout(r, 1100));
  await api('PATCH', `/v1/accounts/${account}/integrations/${id}`, { name: 'Reports v2', scopes: ['contacts.readonly', 'contacts.write'] });
  await signIn(page, account);
  await page.goto(`${state().base}/console/#/i/${id}/history`);
  await expect(page.locator('.timeline li')).toHaveCount(2);
  await expect(page.locator('.timeline .added')).toContainText('contacts.write');
  await expectAccessible(page, 'history');
  const local = new Date(createdAt.getTime() + 1000 - createdAt.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  await page.getByLabel('As of').fill(local);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('#as-of-result')).toContainText('Reports');
  await expect(page.locator('#as-of-result')).not.toContainText('Reports v2');
  await expect(page.locator('#as-of-result')).not.toContainText('contacts.write');
});

test('audit pages through the account trail and filters by type', async ({ page }) => {
  const account = freshAccount();
  for (let i = 0; i < 22; ++i) await api('POST', `/v1/accounts/${account}/integrations`, { name: `I${i}`, scopes: ['contacts.readonly'] });
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  await signIn(page, account);
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(20);
  await expectAccessible(page, 'audit');
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(3);
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  await page.getByLabel('Event type').selectOption('PermissionChanged');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(1);
  await expect(page.locator('tbody')).toContainText('No events on this page.');
});

test('who may manage: an admin toggles a user; a user without permission sees why', async ({ page, browser }) => {
  const account = freshAccount();
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  await signIn(page, account);
  await page.getByRole('link', { name: 'Who may manage' }).click();
  const bob = page.getByLabel('bob may manage');
  await expect(bob).toBeChecked();
  await expectAccessible(page, 'who may manage');
  await bob.uncheck();
  await expect(page.locator('.users')).toContainText('withdrawal');
  const state1 = await api('GET', `/v1/accounts/${account}/users/bob/permission`);
  expect(state1.body).toEqual({ userId: 'bob', allowed: false, source: 'withdrawal' });
  // Bob got his link while allowed; now his console says why he cannot manage.
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await signIn(bobPage, account, { user: 'bob', role: 'user' });
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: false });
  await bobPage.reload();
  await expect(bobPage.getByRole('note')).toContainText('may not manage');
  await expectAccessible(bobPage, 'no permission');
  await bobContext.close();
});

test('at 375 px the list and the create wizard stay usable', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  const account = freshAccount();
  await signIn(page, account);
  await createThroughWizard(page, 'Phone app', 'contacts', 'Read-only contacts.readonly');
  await page.screenshot({ path: `${shots}mobile-token.png`, mask: [page.locator('#new-token')] });  // no token on disk
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  await expect(page.locator('tr', { hasText: 'Phone app' })).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
