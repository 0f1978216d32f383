// Tokens' last use in the console (API.md "Token hygiene"): each token's lastUsedAt in the list
// and in the history view, with the exact time on hover and focus, and the "never used / unused
// for N days" filter (pitd's unusedForDays, combined with staleAfterDays; its 400 at the field).
// A single node serves lastUsedAt from memory, so an introspection shows at the next request:
// no test waits for the 60 s write-out.
import { test, expect } from '@playwright/test';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPitd, stopPitd, setClock } from './pitd.mjs';
import { state, shots, freshAccount, apiOn, signInOn, api, signIn, expectAccessible } from './helpers.mjs';

const introspectOn = async (server, token) => {
  const r = await fetch(`${server.base}/v1/introspect`, { method: 'POST',
    headers: { Authorization: `Bearer ${server.key}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ token }) });
  return (await r.json()).active;
};

test('last use: "never used", then "used just now" with the exact time on focus, for both tokens of a rotation window and in the history view', async ({ page }) => {
  const account = freshAccount();
  const made = (await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Used app', scopes: ['contacts.readonly'] })).body;
  const id = made.integration.id;
  await signIn(page, account);
  const row = page.locator('tr', { hasText: 'Used app' });
  await expect(row.locator('.last-use')).toHaveText('never used');
  expect(await introspectOn(state(), made.token), 'the token is active').toBe(true);
  const listed = (await api('GET', `/v1/accounts/${account}/integrations`)).body.integrations[0].tokens[0];
  expect(listed.lastUsedAt).not.toBeNull();
  await page.reload();
  const used = row.locator('.last-use time');
  await expect(used).toHaveText('used just now');
  await expect(used).toHaveAttribute('datetime', listed.lastUsedAt);
  const tip = row.locator('.last-use [role=tooltip]');
  await expect(tip).toBeHidden();
  await used.focus();
  await expect(tip).toBeVisible();
  await expect(tip).toContainText(`Last used`);
  await expect(tip).toContainText(listed.lastUsedAt);
  await expect(used).toHaveAttribute('aria-describedby', await tip.getAttribute('id'));
  await expectAccessible(page, 'list with a last use and its tooltip');
  await page.screenshot({ path: `${shots}last-use-list.png` });
  // A rotation window: the new current token is never used, the old one keeps its last use.
  const rotated = (await api('POST', `/v1/accounts/${account}/integrations/${id}/rotate`, { expire: 'later' })).body;
  await page.reload();
  await expect(row.locator('td').nth(2).locator('.last-use')).toHaveText('never used');
  await expect(row.locator('.countdown .last-use time')).toHaveText('used just now');
  expect(await introspectOn(state(), rotated.token), 'the new token is active').toBe(true);
  await page.reload();
  await expect(row.locator('td').nth(2).locator('.last-use time')).toHaveText('used just now');
  // The history view lists both valid tokens with their last use.
  await page.goto(`${state().base}/console/#/i/${id}/history`);
  const tokens = page.locator('table.tokens-now tbody tr');
  await expect(tokens).toHaveCount(2);
  await expect(tokens.filter({ hasText: 'current' }).locator('.last-use time')).toHaveText('used just now');
  await expect(tokens.filter({ hasText: 'previous' }).locator('.last-use time')).toHaveText('used just now');
  await tokens.filter({ hasText: 'previous' }).locator('.last-use time').focus();
  await expect(tokens.filter({ hasText: 'previous' }).getByRole('tooltip')).toBeVisible();
  await expectAccessible(page, 'history with tokens and last use');
});

test.describe('with pitd\'s wall clock moved', () => {
  const clockFile = join(tmpdir(), `pitlog-console-clock-lu-${process.pid}`);
  let server = null;
  test.afterEach(async () => {
    if (server) await stopPitd(server);
    server = null;
    rmSync(clockFile, { force: true });
  });

  test('the unused filter lists what pitd\'s unusedForDays lists, combines with "rotation recommended", and shows pitd\'s 400 at its field', async ({ page }) => {
    const account = 'acme';
    const create = async (name) => (await apiOn(server, 'POST', `/v1/accounts/${account}/integrations`, { name, scopes: ['contacts.readonly'] })).body;
    setClock(clockFile, '-100d');
    server = await startPitd({ clockFile });
    await create('Ancient');                  // never used, 100 days old: stale too
    setClock(clockFile, '-40d');
    await create('Dormant');                  // never used, 40 days old
    const long = await create('Used long ago');
    const lately = await create('Used lately');
    setClock(clockFile, '-35d');
    expect(await introspectOn(server, long.token)).toBe(true);
    setClock(clockFile, '+0');
    expect(await introspectOn(server, lately.token)).toBe(true);
    await create('Brand new');                // never used, but just issued
    const names = async (query) => (await apiOn(server, 'GET', `/v1/accounts/${account}/integrations?${query}`)).body.integrations.map((i) => i.name);
    expect(await names('unusedForDays=30')).toEqual(['Ancient', 'Dormant', 'Used long ago']);

    await signInOn(server, page, account);
    const row = (name) => page.locator('tr', { hasText: name });
    // Badges from 30 days, pitd's rule: a never-used token counts from its issue.
    await expect(row('Dormant')).toContainText('Never used (40 days)');
    await expect(row('Used long ago')).toContainText('Unused for 35 days');
    await expect(row('Used long ago').locator('.last-use time')).toHaveText('used 35 d ago');
    await expect(row('Used lately').locator('.badge.unused')).toHaveCount(0);
    await expect(row('Brand new').locator('.badge.unused')).toHaveCount(0);
    await page.getByLabel(/Only never used \/ unused for/).check();
    await expect(page.locator('tbody tr')).toHaveCount(3);
    await expect(page.locator('tbody tr th .name')).toHaveText(['Ancient', 'Dormant', 'Used long ago']);
    await expectAccessible(page, 'list filtered to unused');
    await page.screenshot({ path: `${shots}unused-filter.png` });
    await page.getByLabel('Days unused').fill('36');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.locator('tbody tr th .name')).toHaveText(['Ancient', 'Dormant']);
    // Combined with "rotation recommended" (staleAfterDays=90): only what both keep.
    await page.getByLabel(/Only rotation recommended/).check();
    await expect(page.locator('tbody tr th .name')).toHaveText(['Ancient']);
    expect(await names('unusedForDays=36&staleAfterDays=90')).toEqual(['Ancient']);
    await page.getByLabel(/Only rotation recommended/).uncheck();
    // Days pitd refuses: its 400 at the field, and the list stays as it was.
    for (const bad of ['36501', '-1']) {
      await page.getByLabel('Days unused').fill(bad);
      await page.getByRole('button', { name: 'Apply' }).click();
      await expect(page.getByLabel('Days unused')).toHaveAttribute('aria-invalid', 'true');
      const refused = await apiOn(server, 'GET', `/v1/accounts/${account}/integrations?unusedForDays=${bad}`);
      expect(refused.status).toBe(400);
      expect(refused.body.error.field).toBe('unusedForDays');
      await expect(page.locator('#unused-days-error')).toHaveText(refused.body.error.message);
      await expect(page.locator('tbody tr th .name')).toHaveText(['Ancient', 'Dormant']);
    }
    await expectAccessible(page, 'unused filter with its error');
    await page.getByLabel('Days unused').fill('0');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByLabel('Days unused')).not.toHaveAttribute('aria-invalid', 'true');
    await expect(page.locator('#unused-days-error')).toHaveCount(0);
    // Unused for 0 days: every integration none of whose tokens was used since now.
    expect(await names('unusedForDays=0')).toEqual(['Ancient', 'Dormant', 'Used long ago', 'Used lately', 'Brand new']);
    await expect(page.locator('tbody tr')).toHaveCount(5);
  });
});

test('at 375 px the last use and the unused filter stay usable', async ({ page }) => {
  await page.setViewportSize({ width: 375, height: 740 });
  const account = freshAccount();
  const made = (await api('POST', `/v1/accounts/${account}/integrations`, { name: 'Phone', scopes: ['contacts.readonly'] })).body;
  expect(await introspectOn(state(), made.token)).toBe(true);
  await signIn(page, account);
  await expect(page.locator('tr', { hasText: 'Phone' }).locator('.last-use time')).toHaveText('used just now');
  await page.getByLabel(/Only never used \/ unused for/).check();
  await expect(page.getByText('No integration is unused for 30 days.')).toBeVisible();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await expectAccessible(page, 'list at 375 px');
});
