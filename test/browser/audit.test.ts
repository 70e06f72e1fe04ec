/**
 * The audit log page in headless Chromium, against the real app on loopback: an
 * admin's changes made through the pages and through the API show up there, with
 * who made them and the values before and after; filters work; it fits a phone;
 * other users neither see the link nor the page. Screenshots in test-artifacts/screenshots/.
 */
import { launchChromium, SCREENSHOTS, servedApp, signedInPage } from '../support/browser';
import { join } from 'node:path';
import { type Browser } from 'playwright-core';
import { MASTER_KEY, type TestStack } from '../support/stack';

jest.setTimeout(120_000);


let s: TestStack;
let browser: Browser;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ s, base, close } = await servedApp());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

const signedIn = (username: string, password: string) => signedInPage(browser, base, username, password);

test('an admin sees who changed what, before and after, filters it, and it fits a phone', async () => {
  const page = await signedIn('admin', MASTER_KEY);

  // A change through the pages…
  await page.goto('/ui/teams');
  await page.locator('#team-team_alias').fill('audited team');
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.waitForURL(/\/ui\/teams\/[^/]+$/);
  const teamId = decodeURIComponent(page.url().split('/').at(-1)!);
  // …and one through the API with an admin's own key.
  const admin = await s.userWithSession('proxy_admin');
  const key = (await s.call('POST', '/key/generate', { token: admin.token, body: { key_alias: 'admin script' } })).body.key as string;
  expect((await s.call('POST', '/team/update', { token: key, body: { team_id: teamId, max_budget: 40 } })).status).toBe(200);

  await page.getByRole('link', { name: 'Audit log' }).click();
  await page.waitForURL(`${base}/ui/audit`);
  await page.screenshot({ path: join(SCREENSHOTS, 'audit-log.png'), fullPage: true });
  const update = page.getByRole('region', { name: 'updated team' });
  expect(await update.getByRole('heading').textContent()).toContain(`audited team (${teamId})`);
  expect(await update.textContent()).toMatch(new RegExp(`by ${admin.email} with key [0-9a-f]{12}…`));
  expect(await update.getByRole('listitem').filter({ hasText: 'max_budget' }).textContent()).toBe('max_budget: — → 40');
  const created = page.getByRole('region', { name: 'created team' });
  expect(await created.textContent()).toContain('by admin (master key)');
  expect(await created.getByRole('listitem').filter({ hasText: 'team_alias' }).textContent()).toBe('team_alias: audited team');
  expect(await page.getByRole('region', { name: 'login sign-in' }).count()).toBeGreaterThan(0);
  expect(await page.content()).not.toContain(MASTER_KEY);
  expect(await page.content()).not.toContain(key);

  // Only the team's changes.
  await page.getByLabel('Kind of object').selectOption({ label: 'team' });
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.waitForURL(/table_name=LiteLLM_TeamTable/);
  expect(await page.getByRole('status').textContent()).toBe('2 changes, newest first.');
  expect(await page.getByRole('region', { name: 'login sign-in' }).count()).toBe(0);

  // A phone: nothing wider than the screen.
  await page.setViewportSize({ width: 375, height: 800 });
  await page.goto('/ui/audit');
  await page.screenshot({ path: join(SCREENSHOTS, 'audit-log-phone.png'), fullPage: true });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
  await page.context().close();
});

test('an internal user has no audit log link and is refused the page', async () => {
  const email = `plain-${Date.now()}@example.com`;
  const user = (await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user' } })).body;
  expect((await s.call('POST', '/user/update', { body: { user_id: user.user_id, password: 'correct horse battery staple' } })).status).toBe(200);
  const page = await signedIn(email, 'correct horse battery staple');
  expect(await page.getByRole('link', { name: 'Audit log' }).count()).toBe(0);
  const res = await page.goto('/ui/audit');
  expect(res?.status()).toBe(403);
  expect(await page.getByRole('alert').textContent()).toContain('Only proxy admins and admin viewers');
  await page.context().close();
});
