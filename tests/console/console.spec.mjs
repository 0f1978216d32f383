// The admin console end to end: what the page shows, and (through the API, with the service
// key) that the log holds the matching events. Each test works in its own account.
import { test, expect } from '@playwright/test';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPitd, stopPitd, setClock } from './pitd.mjs';
import { state, shots, freshAccount, apiOn, signInOn, api, signIn, events, expectAccessible,
         expectSecretNowhereButScreen, shownToken, createThroughWizard, tabTo } from './helpers.mjs';

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

test('an unknown screen says so; Sign out ends the session: its cookie is refused and the page says how to sign in again', async ({ page }) => {
  const account = freshAccount();
  await signIn(page, account);
  await page.goto(`${state().base}/console/#/no-such-screen`);
  await expect(page.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expectAccessible(page, 'not found');
  const integrations = `${state().base}/v1/accounts/${account}/integrations`;
  expect((await page.request.get(integrations, { headers: { 'X-Pitlog-Console': '1' } })).status()).toBe(200);
  const cookie = await page.context().cookies();
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Signed out' })).toBeVisible();
  await expect(page.getByText('pitctl console')).toBeVisible();
  await expectAccessible(page, 'signed out');
  await page.context().addCookies(cookie);  // the ended session's cookie, sent again
  expect((await page.request.get(integrations, { headers: { 'X-Pitlog-Console': '1' } })).status()).toBe(401);
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
  await expect(page.getByText('Least privilege: pick only what the app needs.')).toBeVisible();
  await page.getByLabel('Search scopes').fill('contacts');
  await page.getByLabel('Read-only contacts.readonly').check();
  await page.screenshot({ path: `${shots}create-2-scopes.png` });
  await expectAccessible(page, 'create step 2');
  await page.getByRole('button', { name: 'Create' }).click();
  await expect(page.getByText('it cannot be shown again')).toBeVisible();
  const token = await shownToken(page);
  await expect(page.getByRole('button', { name: 'Copy token' })).toBeVisible();
  await page.screenshot({ path: `${shots}create-3-token.png`, mask: [page.locator('#new-token')] });  // no token on disk
  await expectAccessible(page, 'create step 3 (token)');
  await expectSecretNowhereButScreen(page, token);
  // Leaving asks first; dismissing stays.
  page.once('dialog', (d) => d.dismiss());
  await page.getByRole('link', { name: 'Audit' }).click();
  expect(await page.locator('#new-token').inputValue() === token, 'the same token is still shown').toBe(true);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  const row = page.locator('tr', { hasText: 'Zapier sync' });
  await expect(row).toContainText(`pit_…${token.slice(-4)}`);
  // The list's row: description, created by, the scope count that expands to the scopes.
  await expect(row).toContainText('Pushes contacts to Zapier');
  await expect(row).toContainText('alice');
  await expect(row.getByText('contacts.readonly')).toBeHidden();
  await row.getByText('1 scope').click();
  await expect(row.getByText('contacts.readonly')).toBeVisible();
  expect((await page.locator('body').innerText()).includes(token), 'the token is still in the page').toBe(false);
  await expectSecretNowhereButScreen(page, token);
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
  const second = await shownToken(page);
  expect(second !== first, 'a new token').toBe(true);
  await page.screenshot({ path: `${shots}rotate-2-token.png`, mask: [page.locator('#new-token')] });  // no token on disk
  await expectAccessible(page, 'rotate: the new token');
  await expectSecretNowhereButScreen(page, second);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  const windowRow = page.locator('tr', { hasText: 'Billing export' });
  await expect(windowRow).toContainText(/expires in 6 d 23 h/);
  await expect(windowRow).toContainText(`Old token pit_…${first.slice(-4)}`);  // both tokens
  await expect(windowRow.locator('.hint')).toHaveText(`pit_…${second.slice(-4)}`);
  await page.screenshot({ path: `${shots}rotate-3-window.png` });
  await menu().click();
  await expectAccessible(page, 'list during a rotation window, menu open');
  await page.getByRole('button', { name: 'Cancel rotation' }).click();
  await expectAccessible(page, 'cancel rotation dialog');
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel rotation' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).not.toContainText('expires in');
  // Again, then expire the old one now.
  await menu().click();
  await page.getByRole('button', { name: 'Rotate and expire this token later' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  await menu().click();
  await page.getByRole('button', { name: 'Expire old token now' }).click();
  await expectAccessible(page, 'expire now dialog');
  await page.getByRole('dialog').getByRole('button', { name: 'Expire now' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).not.toContainText('expires in');
  // Now: the stronger warning.
  await menu().click();
  await page.getByRole('button', { name: 'Rotate and expire this token now' }).click();
  await expect(page.getByRole('dialog')).toContainText('stops working at once');
  await expectAccessible(page, 'rotate now dialog');
  await page.screenshot({ path: `${shots}rotate-4-now-warning.png` });
  await page.getByRole('button', { name: 'Continue' }).click();
  await shownToken(page);
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
  await expectAccessible(page, 'edit dialog, scopes');
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

test('a rotation started elsewhere meanwhile: rotate later answers 409 in its dialog, and the list shows the fresh state', async ({ page }) => {
  const account = freshAccount();
  const made = await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Ledger', scopes: ['contacts.readonly'] });
  const id = made.body.integration.id;
  await signIn(page, account);
  await page.getByLabel('Actions for Ledger').click();
  await page.getByRole('button', { name: 'Rotate and expire this token later' }).click();
  expect((await api('POST', `/v1/accounts/${account}/integrations/${id}/rotate`, { expire: 'later' })).status).toBe(200);
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('dialog').getByRole('alert')).toContainText('Not possible now');
  await expect(page.locator('#new-token')).toHaveCount(0);
  await page.keyboard.press('Escape');
  await page.reload();
  await expect(page.locator('tr', { hasText: 'Ledger' })).toContainText('expires in');
  expect((await events(account, id)).map((e) => e.type)).toEqual(['Created', 'RotationStarted']);
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

test('history shows the timeline (scope diffs, rotations, expiries with their reason, request ids), and the integration as of a past time', async ({ page }) => {
  const account = freshAccount();
  const made = await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Reports', scopes: ['contacts.readonly'] });
  const id = made.body.integration.id;
  const createdAt = new Date(made.body.integration.createdAt);
  await new Promise((r) => setTimeout(r, 1100));
  const path = `/v1/accounts/${account}/integrations/${id}`;
  await api('PATCH', path, { name: 'Reports v2', scopes: ['contacts.readonly', 'contacts.write'] });
  await api('PATCH', path, { scopes: ['contacts.write'] });
  expect((await api('POST', `${path}/rotate`, { expire: 'later' })).status).toBe(200);
  const alice = { user: 'alice', role: 'admin' };
  expect((await api('POST', `${path}/rotation/expire-now`, undefined, alice, { 'X-Request-Id': 'req-expire-1' })).status).toBe(200);
  await signIn(page, account);
  await page.goto(`${state().base}/console/#/i/${id}/history`);
  const timeline = page.locator('.timeline li');
  await expect(timeline).toHaveCount(5);
  await expect(timeline.nth(1).locator('.added')).toContainText('contacts.write');
  await expect(timeline.nth(2).locator('.removed')).toContainText('contacts.readonly');
  await expect(timeline.nth(3)).toContainText('RotationStarted');
  await expect(timeline.nth(4)).toContainText('Expired');
  await expect(timeline.nth(4)).toContainText('(manual)');
  await expect(timeline.nth(4)).toContainText('request req-expire-1');
  await expectAccessible(page, 'history');
  const local = new Date(createdAt.getTime() + 1000 - createdAt.getTimezoneOffset() * 60000).toISOString().slice(0, 19);
  await page.getByLabel('As of').fill(local);
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page.locator('#as-of-result')).toContainText('Reports');
  await expect(page.locator('#as-of-result')).not.toContainText('Reports v2');
  await expect(page.locator('#as-of-result')).not.toContainText('contacts.write');
});

const shownSeqs = async (page) => (await page.locator('tbody tr td:first-child').allTextContents()).map(Number);

test('audit pages through the account trail', async ({ page }) => {
  const account = freshAccount();
  for (let i = 0; i < 22; ++i) await api('POST', `/v1/accounts/${account}/integrations`, { name: `I${i}`, scopes: ['contacts.readonly'] });
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  const all = (await api('GET', `/v1/accounts/${account}/audit?limit=1000`)).body.events.map((e) => e.seq);
  await signIn(page, account);
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(20);
  expect(await shownSeqs(page)).toEqual(all.slice(0, 20));
  await expectAccessible(page, 'audit');
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(3);
  expect(await shownSeqs(page)).toEqual(all.slice(20));
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(20);
  expect(await shownSeqs(page)).toEqual(all.slice(0, 20));
});

// pitd's audit route has no type filter (API.md): the console gathers a page of one type from
// as many of pitd's pages as it takes, and Next page goes on right after the last one shown.
test('audit filtered by type gathers full pages across the trail, and Next and Previous page keep their place', async ({ page }) => {
  const account = freshAccount();
  const create = (name) => api('POST', `/v1/accounts/${account}/integrations`, { name, scopes: ['contacts.readonly'] });
  const allow = (user) => api('PUT', `/v1/accounts/${account}/users/${user}/permission`, { allowed: true });
  // PermissionChanged events spread over pitd's pages of 20: one first, twenty after thirty
  // other events, one last.
  await allow('u0');
  for (let i = 0; i < 30; ++i) await create(`A${i}`);
  for (let i = 1; i <= 20; ++i) await allow(`u${i}`);
  for (let i = 0; i < 5; ++i) await create(`B${i}`);
  await allow('u21');
  const trail = (await api('GET', `/v1/accounts/${account}/audit?limit=1000`)).body.events;
  const expected = trail.filter((e) => e.type === 'PermissionChanged').map((e) => e.seq);
  expect(expected).toHaveLength(22);
  await signIn(page, account);
  await page.getByRole('link', { name: 'Audit' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(20);
  await page.getByLabel('Event type').selectOption('PermissionChanged');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('tbody tr td:nth-child(3)', { hasText: 'Created' })).toHaveCount(0);
  await expect(page.locator('tbody tr')).toHaveCount(20);
  expect(await shownSeqs(page)).toEqual(expected.slice(0, 20));
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(2);
  expect(await shownSeqs(page)).toEqual(expected.slice(20));
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  await page.getByRole('button', { name: 'Previous page' }).click();
  await expect(page.locator('tbody tr')).toHaveCount(20);
  expect(await shownSeqs(page)).toEqual(expected.slice(0, 20));
  // A type with no event in the trail: an empty page with nothing after it.
  await page.getByLabel('Event type').selectOption('Deleted');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.locator('tbody')).toContainText('No events on this page.');
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
  await expectAccessible(page, 'audit filtered by type');
});

test('audit filtered by a rare type: a page reads at most 25 of pitd\'s pages, says how far it searched, and Next page searches on', async ({ page }) => {
  const account = freshAccount();
  for (let batch = 0; batch < 26; ++batch) {  // 520 events, 20 at a time
    await Promise.all(Array.from({ length: 20 }, (_, i) =>
      api('POST', `/v1/accounts/${account}/integrations`, { name: `N${batch}-${i}`, scopes: ['contacts.readonly'] })));
  }
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  const trail = (await api('GET', `/v1/accounts/${account}/audit?limit=1000`)).body.events;
  expect(trail).toHaveLength(521);
  await signIn(page, account);
  await page.getByRole('link', { name: 'Audit' }).click();
  await page.getByLabel('Event type').selectOption('PermissionChanged');
  await page.getByRole('button', { name: 'Apply' }).click();
  // 25 requests of 20 events: the first 500 hold none of that type.
  await expect(page.getByText(`Searched the trail up to event ${trail[499].seq}; Next page searches further.`)).toBeVisible();
  await expect(page.locator('tbody')).toContainText('No events on this page.');
  await page.getByRole('button', { name: 'Next page' }).click();
  await expect(page.locator('tbody tr td:first-child')).toHaveText([String(trail[520].seq)]);
  await expect(page.getByRole('button', { name: 'Next page' })).toBeDisabled();
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
  // pitd's 400 for a user id it refuses appears at the field; nothing is written.
  const before = (await api('GET', `/v1/accounts/${account}/audit`)).body.events.length;
  await page.getByLabel('User id').fill('carol@example.com');
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByLabel('User id')).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('#new-user-error')).toContainText('user id must match');
  expect((await api('GET', `/v1/accounts/${account}/audit`)).body.events.length).toBe(before);
  await page.getByLabel('User id').fill('carol');
  await page.getByRole('button', { name: 'Allow' }).click();
  await expect(page.getByLabel('carol may manage')).toBeChecked();
  expect((await api('GET', `/v1/accounts/${account}/users/carol/permission`)).body.source).toBe('grant');
  // Bob got his link while allowed; now his console says why he cannot manage.
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: true });
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  await signIn(bobPage, account, { user: 'bob', role: 'user' });
  await api('PUT', `/v1/accounts/${account}/users/bob/permission`, { allowed: false });
  await bobPage.reload();
  await expect(bobPage.getByRole('note')).toContainText('may not manage');
  await expectAccessible(bobPage, 'no permission');
  await bobPage.getByRole('link', { name: 'Who may manage' }).click();
  await expect(bobPage.getByRole('note')).toContainText('Only an admin of the account can grant or withdraw');
  await expect(bobPage.getByRole('switch')).toHaveCount(0);
  await expectAccessible(bobPage, 'who may manage, as a user');
  await bobContext.close();
});

// Tests that need time to have passed: each starts its own pitd whose wall clock the test moves
// (pitd.mjs, libfaketime). The browser's clock stays real: only pitd's moves.
test.describe('with pitd\'s wall clock moved', () => {
  const clockFile = join(tmpdir(), `pitlog-console-clock-${process.pid}`);
  let server = null;
  const startAt = async (offset) => { setClock(clockFile, offset); server = await startPitd({ clockFile }); };
  test.afterEach(async () => {
    if (server) await stopPitd(server);
    server = null;
    rmSync(clockFile, { force: true });
  });

  test('"Rotation recommended" marks a current token older than 90 days, and its filter lists only those', async ({ page }) => {
    const account = 'acme';
    const create = (name) => apiOn(server, 'POST', `/v1/accounts/${account}/integrations`, { name, scopes: ['contacts.readonly'] });
    await startAt('-100d');
    const old = (await create('Old sync')).body.integration;
    setClock(clockFile, '-89d');
    await create('Recent sync');
    setClock(clockFile, '+0');
    await create('Fresh sync');
    const stale = (await apiOn(server, 'GET', `/v1/accounts/${account}/integrations?staleAfterDays=90`)).body.integrations;
    expect(stale.map((i) => i.name)).toEqual(['Old sync']);
    await signInOn(server, page, account);
    const row = (name) => page.locator('tr', { hasText: name });
    await expect(row('Old sync')).toContainText('Rotation recommended');
    await expect(row('Recent sync')).toBeVisible();
    await expect(row('Recent sync')).not.toContainText('Rotation recommended');
    await expect(row('Fresh sync')).not.toContainText('Rotation recommended');
    await page.getByLabel(/Only rotation recommended/).check();
    await expect(page.locator('tbody tr')).toHaveCount(1);
    await expect(row('Old sync')).toContainText('Rotation recommended');
    await expectAccessible(page, 'list filtered to rotation recommended');
    // Rotating gives a new current token: nothing is recommended any more.
    await page.getByLabel('Actions for Old sync').click();
    await page.getByRole('button', { name: 'Rotate and expire this token now' }).click();
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Done, I copied it' }).click();
    await expect(page.getByText('No integration needs a rotation.')).toBeVisible();
    const log = (await apiOn(server, 'GET', `/v1/accounts/${account}/integrations/${old.id}/events`)).body.events;
    expect(log.map((e) => e.type)).toEqual(['Created', 'RotationStarted', 'Expired']);
  });

  test('a sign-in link older than 2 minutes is refused with the page that says so', async ({ page, browser }) => {
    await startAt('+0');
    const link = async () => (await apiOn(server, 'POST', '/v1/accounts/acme/console/links')).body.url;
    const fresh = await link();
    const late = await link();
    // 110 s on: still valid.
    setClock(clockFile, '+110');
    await page.goto(server.base + fresh);
    await expect(page).toHaveURL(/\/console\/$/);
    await expect(page.getByRole('heading', { name: 'Private Integrations' })).toBeVisible();
    // 125 s on, in another browser: the second link has expired.
    setClock(clockFile, '+125');
    const other = await browser.newContext();
    const latePage = await other.newPage();
    const refused = await latePage.goto(server.base + late);
    expect(refused.status()).toBe(401);
    await expect(latePage.getByRole('heading', { name: 'This sign-in link is not valid' })).toBeVisible();
    await expect(latePage.locator('body')).toContainText('expired');
    expect(await other.cookies()).toEqual([]);
    await expectAccessible(latePage, 'expired sign-in link');
    await other.close();
  });

  test('audit filtered by time range shows only the events between From and Until', async ({ page }) => {
    const account = 'acme';
    const create = (name) => apiOn(server, 'POST', `/v1/accounts/${account}/integrations`, { name, scopes: ['contacts.readonly'] });
    await startAt('-3h');
    await create('Early');
    setClock(clockFile, '+0');
    await create('Late');
    const trail = (await apiOn(server, 'GET', `/v1/accounts/${account}/audit`)).body.events;
    expect(trail).toHaveLength(2);
    const hourAgo = new Date(Date.now() - 3600_000);
    const local = new Date(hourAgo.getTime() - hourAgo.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    await signInOn(server, page, account);
    await page.getByRole('link', { name: 'Audit' }).click();
    await expect(page.locator('tbody tr')).toHaveCount(2);
    await page.getByLabel('From').fill(local);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.locator('tbody tr')).toHaveCount(1);
    expect(await shownSeqs(page)).toEqual([trail[1].seq]);
    await page.getByLabel('From').fill('');
    await page.getByLabel('Until').fill(local);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.locator('tbody tr td:first-child')).toHaveText([String(trail[0].seq)]);
    await expectAccessible(page, 'audit filtered by time');
  });
});

const focusOutline = (page) => page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);

test('keyboard only: create through the wizard, a dialog that keeps the focus and closes on Escape, rotate', async ({ page }) => {
  const account = freshAccount();
  await signIn(page, account);
  await tabTo(page, page.getByRole('link', { name: 'Create new Integration' }));
  expect(await focusOutline(page)).not.toBe('none');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Name')).toBeFocused();
  await page.keyboard.type('Keyboard app');
  await page.keyboard.press('Enter');
  await expect(page.getByLabel('Search scopes')).toBeFocused();
  await page.keyboard.type('contacts');
  await tabTo(page, page.getByLabel('Read-only contacts.readonly'));
  expect(await focusOutline(page)).not.toBe('none');
  await page.keyboard.press('Space');
  await tabTo(page, page.getByRole('button', { name: 'Create' }));
  await page.keyboard.press('Enter');
  await expect(page.locator('#new-token')).toBeFocused();
  await tabTo(page, page.getByRole('button', { name: 'Done, I copied it' }));
  await page.keyboard.press('Enter');
  // The row's menu and a dialog, by keyboard.
  const rotateLater = page.getByRole('button', { name: 'Rotate and expire this token later' });
  await tabTo(page, page.getByLabel('Actions for Keyboard app'));
  await page.keyboard.press('Enter');
  await tabTo(page, rotateLater);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible();
  for (let i = 0; i < 8; ++i) {  // Tab cycles inside the modal dialog, never out of it
    await page.keyboard.press('Tab');
    expect(await page.getByRole('dialog').evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  for (let i = 0; i < 8; ++i) {  // and backwards
    await page.keyboard.press('Shift+Tab');
    expect(await page.getByRole('dialog').evaluate((d) => d.contains(document.activeElement))).toBe(true);
  }
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog')).toHaveCount(0);
  await expect(rotateLater).toBeFocused();  // back where the dialog was opened
  const id = (await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations[0].id;
  expect((await events(account, id)).map((e) => e.type)).toEqual(['Created']);  // Escape changed nothing
  await page.keyboard.press('Enter');
  await expect(page.getByRole('dialog')).toBeVisible();
  await tabTo(page, page.getByRole('button', { name: 'Continue' }));
  await page.keyboard.press('Enter');
  await shownToken(page);
  await tabTo(page, page.getByRole('button', { name: 'Done, I copied it' }));
  await page.keyboard.press('Enter');
  await expect(page.locator('tr', { hasText: 'Keyboard app' })).toContainText('expires in');
  expect((await events(account, id)).map((e) => e.type)).toEqual(['Created', 'RotationStarted']);
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

test('a 503 from pitd shows a clear message next to what caused it, and the page goes on working', async ({ page }) => {
  const account = freshAccount();
  // pitd's own 503 body: a read asked to wait for a position the log never reaches answers it
  // after 2 s (API.md, X-Pitlog-Min-Position). The page's calls then get that body from the route.
  const real = await fetch(`${state().base}/v1/scopes`, { headers: { Authorization: `Bearer ${state().key}`, 'X-Pitlog-Min-Position': '1000000000' } });
  expect(real.status).toBe(503);
  const unavailableBody = await real.text();
  expect(JSON.parse(unavailableBody).error.code).toBe('unavailable');
  const answer503 = (route) => route.fulfill({ status: 503, contentType: 'application/json', body: unavailableBody });
  const integrations = `**/v1/accounts/${account}/integrations`;
  await signIn(page, account);

  // The wizard's Create answers 503: the message sits in the scopes form, above its Create button.
  await page.route(integrations, (route) => (route.request().method() === 'POST' ? answer503(route) : route.continue()));
  await page.getByRole('link', { name: 'Create new Integration' }).click();
  await page.getByLabel('Name').fill('Billing export');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Search scopes').fill('contacts');
  await page.getByLabel('Read-only contacts.readonly').check();
  await page.getByRole('button', { name: 'Create' }).click();
  const scopesForm = page.locator('form', { has: page.getByRole('button', { name: 'Create' }) });
  await expect(scopesForm.getByRole('alert')).toHaveText('pitd is unavailable right now. Try again in a moment.');
  await expect(page.locator('#new-token')).toHaveCount(0);
  await expect(page.getByLabel('Read-only contacts.readonly')).toBeChecked();  // nothing lost
  await expectAccessible(page, 'create step 2 with a 503');
  expect((await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations).toEqual([]);
  // Once pitd answers again the same form creates it, and the old message goes.
  await page.unroute(integrations);
  await page.getByRole('button', { name: 'Create' }).click();
  await shownToken(page);
  await expect(page.getByRole('alert')).toHaveCount(0);
  await page.getByRole('button', { name: 'Done, I copied it' }).click();
  await expect(page.locator('tr', { hasText: 'Billing export' })).toBeVisible();

  // The list's read answers 503: the message takes the table's place; the rest of the page works.
  await page.route(integrations + '?*', answer503);
  await page.route(integrations, answer503);
  await page.getByLabel('Show deleted').check();
  const table = page.getByRole('table', { name: 'Integrations' });
  await expect(table.getByRole('alert')).toHaveText('pitd is unavailable right now. Try again in a moment.');
  await expect(page.getByRole('link', { name: 'Create new Integration' })).toBeVisible();
  await expectAccessible(page, 'list with a 503');
  await page.unrouteAll();
  await page.getByLabel('Show deleted').uncheck();
  await expect(page.locator('tr', { hasText: 'Billing export' })).toBeVisible();
  await expect(table.getByRole('alert')).toHaveCount(0);

  const list = (await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations;
  expect(list.map((i) => i.name)).toEqual(['Billing export']);
  expect((await events(account, list[0].id)).map((e) => e.type)).toEqual(['Created']);
});
