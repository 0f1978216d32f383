// What the console's specs share: the suite's pitd (global-setup.mjs), the API with the service
// key, signing a browser in through a link, axe, and the checks that a secret shown once (a
// token, a webhook's signing secret) is nowhere but on its screen.
import { expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync, mkdirSync } from 'node:fs';

export const state = () => JSON.parse(readFileSync(process.env.PITLOG_CONSOLE_STATE, 'utf8'));
export const shots = new URL('./screenshots/', import.meta.url).pathname;
mkdirSync(shots, { recursive: true });
let accounts = 0;
export const freshAccount = () => `acct-${process.pid}-${++accounts}-${Date.now() % 100000}`;

// The API with the service key, and a browser signed in through a link, on `server` (the
// suite's pitd unless a test started its own).
export async function apiOn(server, method, path, body, actor = { user: 'alice', role: 'admin' }, more = {}) {
  const headers = { Authorization: `Bearer ${server.key}`, 'X-Actor-User': actor.user, 'X-Actor-Role': actor.role, ...more };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(server.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : null };
}

export async function signInOn(server, page, account, actor = { user: 'alice', role: 'admin' }) {
  const link = await apiOn(server, 'POST', `/v1/accounts/${account}/console/links`, undefined, actor);
  expect(link.status).toBe(201);
  await page.goto(server.base + link.body.url);
  await expect(page).toHaveURL(/\/console\/$/);
  return link.body.url;
}

export const api = (...args) => apiOn(state(), ...args);
export const signIn = (...args) => signInOn(state(), ...args);
export const events = async (account, id) => (await api('GET', `/v1/accounts/${account}/integrations/${id}/events`)).body.events;

export async function expectAccessible(page, what) {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad.map((v) => `${what}: ${v.id} ${v.help}`)).toEqual([]);
}

// A secret shown once is in no browser storage, the URL or a cookie (booleans only: a failed
// expect prints what it received, and a secret never appears in test output).
export async function expectSecretNowhereButScreen(page, secret) {
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  expect(stored.includes(secret)).toBe(false);
  expect(page.url().includes(secret)).toBe(false);
  const cookies = await page.context().cookies();
  expect(cookies.some((c) => c.value.includes(secret))).toBe(false);
}

// The token on its one screen. Checked through booleans: a failed expect prints what it
// received, and a plaintext token never appears in test output.
export async function shownToken(page) {
  await expect(page.locator('#new-token')).toBeVisible();
  const token = await page.locator('#new-token').inputValue();
  expect(/^pit_[0-9A-Za-z]{49}$/.test(token), 'the token field holds a token').toBe(true);
  return token;
}

export async function createThroughWizard(page, name, scopeFilter, scopeLabel) {
  await page.getByRole('link', { name: 'Create new Integration' }).click();
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByLabel('Search scopes').fill(scopeFilter);
  await page.getByLabel(scopeLabel).check();
  await page.getByRole('button', { name: 'Create' }).click();
  return shownToken(page);
}

// Presses Tab until `target` has the focus (at most `max` times): it is reachable by keyboard.
export async function tabTo(page, target, max = 60) {
  for (let i = 0; i < max; ++i) {
    if (await target.evaluate((el) => el === document.activeElement)) return;
    await page.keyboard.press('Tab');
  }
  throw new Error('not reachable with Tab');
}
