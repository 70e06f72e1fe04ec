/**
 * Issue 10: a newcomer's first hour, clicked through in headless Chromium against the
 * real app on loopback (DynamoDB Local, local SES). The admin creates a team on the
 * pages leaving "Members can create their own keys" as offered, makes it the default
 * team and invites a user; the user opens the emailed link, sets a password and creates
 * a key in that team. No permissions page, no other admin step.
 */
import { launchChromium, SCREENSHOTS, servedApp } from '../support/browser';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { readMailbox } from '../../local/ses';
import { MASTER_KEY, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

const USER_EMAIL = `newcomer-${Date.now()}@xyz.com`;
const PASSWORD = 'a newcomer passphrase';
const TEAM = 'first hour exploration';

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

async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `newcomer-${name}.png`), fullPage: true });

/** The onboarding link emailed to `to` by this server. */
async function emailedLink(to: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const mails = (await readMailbox(process.env.ONRAMP_TEST_SES_ENDPOINT!)).filter((m) => m.destination.to.includes(to));
    const link = mails.map((m) => m.body.text?.match(/http:\/\/127\.0\.0\.1:\d+\/ui\/onboarding\?id=[A-Za-z0-9_%-]+/)?.[0]).find((l) => l?.startsWith(`${base}/`));
    if (link) return link;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no invitation email to ${to}`);
}

test('admin makes a team members can create keys in; the invited user creates a key in it with no other admin step', async () => {
  // The site's root leads to the sign-in page.
  const admin = await newPage();
  await admin.goto('/');
  await admin.waitForURL(`${base}/ui/login`);
  await admin.getByLabel('Email').fill('admin');
  await admin.getByLabel('Password').fill(MASTER_KEY);
  await admin.getByRole('button', { name: 'Sign in' }).click();
  await admin.waitForURL(`${base}/ui`);

  // 1. The team, with the self-serve choice left as the form offers it.
  await admin.getByRole('link', { name: 'Teams' }).click();
  const selfServe = admin.getByLabel('Members can create their own keys');
  expect(await selfServe.isChecked()).toBe(true);
  await admin.getByLabel('Team name').fill(TEAM);
  await admin.getByLabel('Models').fill('gpt-4o, claude-3-5-sonnet');
  await admin.locator('#team-team_member_budget').fill('10');
  await shot(admin, 'create-team');
  await admin.getByRole('button', { name: 'Create team' }).click();
  await admin.waitForURL(/\/ui\/teams\/[^/]+$/);
  expect(await admin.getByRole('status').first().textContent()).toContain(`Team ${TEAM} created. Its members can create their own keys.`);
  const teamId = decodeURIComponent(admin.url().split('/').pop()!);
  for (const p of ['/key/generate', '/key/list', '/key/info', '/key/delete']) expect(await admin.getByLabel(p, { exact: true }).isChecked()).toBe(true);
  await shot(admin, 'team');

  // 2. It is the default team; the settings page has nothing to warn about.
  await admin.getByRole('link', { name: 'Default user settings' }).click();
  await admin.getByLabel(TEAM).check();
  await admin.getByLabel(/no-default-models/).check();
  await admin.getByRole('button', { name: 'Save settings' }).click();
  await admin.waitForURL(`${base}/ui/settings`);
  expect(await admin.getByRole('status').first().textContent()).toContain('Default user settings saved.');
  expect(await admin.getByText('cannot create keys').count()).toBe(0);
  await shot(admin, 'settings');

  // 3. The user, invited by email.
  await admin.getByRole('link', { name: 'Internal users' }).click();
  await admin.getByLabel('Email', { exact: true }).fill(USER_EMAIL);
  await admin.getByRole('button', { name: 'Create user' }).click();
  expect(await admin.getByText(`The invitation email was sent to ${USER_EMAIL}.`).isVisible()).toBe(true);
  await admin.context().close();

  // 4. The user: emailed link, password, signed in.
  const user = await newPage();
  await user.goto(await emailedLink(USER_EMAIL));
  await user.getByLabel('New password').fill(PASSWORD);
  await user.getByLabel('Confirm password').fill(PASSWORD);
  await user.getByRole('button', { name: 'Set password and sign in' }).click();
  await user.waitForURL(`${base}/ui`);

  // 5. The key form offers the team; the key is created in it.
  const teamSelect = user.getByLabel('Team', { exact: true });
  const offered = await teamSelect.locator('option').allTextContents();
  expect(offered).toEqual(['Select a team', TEAM]);
  await teamSelect.selectOption({ label: TEAM });
  await user.getByLabel('Key name').fill('my-first-key');
  await user.getByRole('button', { name: 'Create key' }).click();
  await user.getByRole('heading', { name: 'Your new key' }).waitFor();
  const secret = await user.locator('#new-key').inputValue();
  expect(secret).toMatch(/^sk-/);
  expect(await user.getByText(`(team: ${TEAM})`).isVisible()).toBe(true);
  await shot(user, 'key-created');

  const userId = (await s.deps.users.byEmail(USER_EMAIL))!.user_id;
  expect((await s.deps.keys.ofUser(userId)).map((k) => ({ alias: k.key_alias, team: k.team_id }))).toEqual([{ alias: 'my-first-key', team: teamId }]);
  // and the key works on its own
  const info = await fetch(`${base}/key/info`, { headers: { authorization: `Bearer ${secret}` } });
  expect(info.status).toBe(200);
  await user.context().close();
});

test('an unknown page is a page, and a resent link says it was replaced', async () => {
  const page = await newPage();
  await page.goto('/ui/no-such-page');
  // signed out: sign in first, then back to the address asked for
  await page.getByLabel('Email').fill('admin');
  await page.getByLabel('Password').fill(MASTER_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui/no-such-page`);
  expect(await page.title()).toMatch(/^Not found/);
  expect(await page.getByRole('alert').textContent()).toContain('There is no page at /ui/no-such-page.');
  await shot(page, 'not-found');

  const created = await s.call('POST', '/user/new', { body: { user_email: `resent-${Date.now()}@xyz.com`, user_role: 'internal_user' } });
  const first = await s.call('POST', '/invitation/new', { body: { user_id: created.body.user_id } });
  expect((await s.call('POST', '/invitation/resend', { body: { invitation_id: first.body.id } })).status).toBe(200);
  await page.goto(first.body.invitation_link);
  expect(await page.getByRole('alert').textContent()).toContain('replaced by a newer one');
  await shot(page, 'link-replaced');
  await page.context().close();
});
