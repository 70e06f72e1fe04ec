/**
 * Both source documents clicked through the web pages in headless Chromium
 * (Debian's /usr/bin/chromium driven by playwright-core), against the real app
 * served over HTTP on loopback, with DynamoDB Local and the local SES endpoint.
 *
 * (a) "Onboard Users for AI Exploration": the admin creates the team, sets member
 *     permissions, makes it the default team with no-default-models, creates the user.
 * (b) "UI - Self-Serve": the invited user opens the emailed link, sets a password,
 *     sees the "select a team" message, creates a key in the team, sees it once, deletes it.
 * (c) Viewers see the same pages without the controls they may not use.
 *
 * Every page is screenshotted to test-artifacts/screenshots/ and checked for labels.
 */
import { launchChromium, SCREENSHOTS } from '../support/browser';
import { once } from 'node:events';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { freePort } from '../../local/ports';
import { readMailbox } from '../../local/ses';
import { MASTER_KEY, testStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);

const USER_EMAIL = 'test_default_team_user@xyz.com';
const USER_PASSWORD = 'correct horse battery staple';
const TEAM = 'internal exploration';

let s: TestStack;
let server: ReturnType<typeof serve>;
let browser: Browser;
let base: string;
/** Shared between the flows, in order. */
const state: { teamId?: string; shownLink?: string } = {};
/** Console errors (CSP violations show up here) per page. */
const consoleErrors: string[] = [];

/** The real app on a loopback port, its PROXY_BASE_URL pointing at itself. */
async function startServer(env: Record<string, string> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const stack = await testStack({ env: { PROXY_BASE_URL: url, ...env } });
  const srv = serve({ fetch: stack.app.fetch, port, hostname: '127.0.0.1' });
  await once(srv, 'listening');
  return { stack, url, srv, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

let closeServer: () => Promise<void>;

beforeAll(async () => {
  const started = await startServer();
  ({ stack: s, url: base, srv: server, close: closeServer } = started);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await closeServer?.();
});

async function newPage(origin = base): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  return { context, page };
}

/** Screenshot plus the accessibility smoke check every page must pass. */
async function checkPage(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const report = await page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll('input, select, textarea')) as Array<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>;
    const unlabelled = controls
      .filter((el) => !(el instanceof HTMLInputElement && ['hidden', 'submit', 'button'].includes(el.type)))
      .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.name || el.id || el.outerHTML);
    const describedByMissing = Array.from(document.querySelectorAll('[aria-describedby]'))
      .flatMap((el) => el.getAttribute('aria-describedby')!.split(/\s+/))
      .filter((id) => !document.getElementById(id));
    return {
      unlabelled,
      describedByMissing,
      h1: document.querySelectorAll('h1').length,
      lang: document.documentElement.lang,
      skip: document.querySelector('a.skip')?.getAttribute('href'),
      main: !!document.querySelector('main#main'),
    };
  });
  expect(report).toEqual({ unlabelled: [], describedByMissing: [], h1: 1, lang: 'en', skip: '#main', main: true });
}

/** Forms a viewer must not get: anything but the sign-out form. */
const writeForms = (page: Page) => page.locator('form:not(.logout)').count();

async function signIn(page: Page, username: string, password: string, origin = base) {
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${origin}/ui`);
}

test('(a) the admin sets up the team, its permissions, the default settings and the user', async () => {
  const { context, page } = await newPage();

  // Signed out: any page sends you to the sign-in page, which has the pages' CSP.
  const res = await page.goto('/ui/teams');
  expect(page.url()).toBe(`${base}/ui/login?next=%2Fui%2Fteams`);
  const csp = res!.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res!.headers()['cache-control']).toBe('no-store');
  await checkPage(page, 'login');
  // The skip link is the first thing the keyboard reaches.
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.textContent?.trim())).toBe('Skip to main content');

  // A wrong password is refused on the page itself.
  await page.getByLabel('Email').fill('admin');
  await page.getByLabel('Password').fill('sk-not-the-master-key');
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect(await page.getByRole('alert').textContent()).toContain('Invalid credentials');
  await checkPage(page, 'login-error');

  // "admin" with the master key; back to the page asked for.
  await page.getByLabel('Email').fill('admin');
  await page.getByLabel('Password').fill(MASTER_KEY);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui/teams`);

  // 1. Create a team: a missing name is shown next to the field first.
  await page.getByRole('button', { name: 'Create team' }).click();
  const alias = page.locator('#team-team_alias');
  expect(await alias.getAttribute('aria-invalid')).toBe('true');
  expect(await alias.getAttribute('aria-describedby')).toContain('team-team_alias-error');
  expect(await page.locator('#team-team_alias-error').textContent()).toBe('Give the team a name.');
  await checkPage(page, 'teams-error');

  await alias.fill(TEAM);
  await page.getByLabel('Models').fill('gpt-4o\nclaude-3-5-sonnet');
  await page.locator('#team-max_budget').fill('100');
  await page.getByLabel('Reset budget').selectOption('1mo');
  await page.locator('#team-team_member_budget').fill('10');
  await page.getByRole('button', { name: 'Create team' }).click();
  await page.waitForURL(/\/ui\/teams\/[^/]+$/);
  expect(await page.getByRole('status').first().textContent()).toContain(`Team ${TEAM} created.`);
  const teamId = decodeURIComponent(page.url().split('/').pop()!);
  state.teamId = teamId;
  const team = await s.deps.teams.require(teamId);
  expect(team).toMatchObject({ team_alias: TEAM, models: ['gpt-4o', 'claude-3-5-sonnet'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10 });

  // Members: add one by email with a role, then remove them again.
  await page.getByLabel('Email').fill('teammate@xyz.com');
  await page.getByLabel('Team role').selectOption('admin');
  await page.getByRole('button', { name: 'Add member' }).click();
  await page.waitForURL(`${base}/ui/teams/${encodeURIComponent(teamId)}`);
  expect(await page.getByRole('status').first().textContent()).toContain('teammate@xyz.com added to the team as admin.');
  expect(await page.getByRole('row').filter({ hasText: 'teammate@xyz.com' }).textContent()).toContain('admin');
  await page.getByRole('button', { name: 'Remove teammate@xyz.com from the team' }).click();
  await page.waitForURL(`${base}/ui/teams/${encodeURIComponent(teamId)}`);
  expect(await page.getByRole('status').first().textContent()).toContain('teammate@xyz.com removed from the team.');
  expect(await page.getByRole('row').filter({ hasText: 'teammate@xyz.com' }).count()).toBe(0);

  // 2. Member permissions: let members create, list, view and delete their keys.
  for (const p of ['/key/generate', '/key/list', '/key/info', '/key/delete']) await page.getByLabel(p, { exact: true }).check();
  await page.getByRole('button', { name: 'Save permissions' }).click();
  await page.waitForURL(`${base}/ui/teams/${encodeURIComponent(teamId)}`);
  expect(await page.getByRole('status').first().textContent()).toContain('Member permissions saved.');
  expect((await s.deps.teams.require(teamId)).team_member_permissions.sort()).toEqual(['/key/delete', '/key/generate', '/key/health', '/key/info', '/key/list']);
  await checkPage(page, 'team-detail');

  await page.goto('/ui/teams');
  expect(await page.getByRole('link', { name: TEAM }).count()).toBe(1);
  await checkPage(page, 'teams');

  // 3. Default team + no-default-models.
  await page.getByRole('link', { name: 'Default user settings' }).click();
  await page.getByLabel(TEAM).check();
  await page.getByLabel(/no-default-models/).check();
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForURL(`${base}/ui/settings`);
  expect(await page.getByRole('status').first().textContent()).toContain('Default user settings saved.');
  expect(await s.deps.settings.internalUser()).toMatchObject({ teams: [{ team_id: teamId }], models: ['no-default-models'], user_role: 'internal_user' });
  expect(await page.getByLabel(TEAM).isChecked()).toBe(true);
  await checkPage(page, 'settings');

  // 4a. Create the user: the invitation link is shown, and the email sent.
  await page.getByRole('link', { name: 'Internal users' }).click();
  await checkPage(page, 'users');
  await page.getByLabel('Email', { exact: true }).fill(USER_EMAIL);
  await page.getByLabel('Role').selectOption('internal_user');
  await page.getByRole('button', { name: 'Create user' }).click();
  await expect(page.getByRole('heading', { name: `User ${USER_EMAIL} created` }).isVisible()).resolves.toBe(true);
  const link = await page.locator('#invitation-link').inputValue();
  expect(link).toMatch(new RegExp(`^${base.replace(/[.:/]/g, '\\$&')}/ui/onboarding\\?id=[A-Za-z0-9_-]{40,}$`));
  state.shownLink = link;
  expect(await page.getByText(`The invitation email was sent to ${USER_EMAIL}.`).isVisible()).toBe(true);
  // 4b. They joined the default team and have no default models.
  const row = page.getByRole('row').filter({ hasText: USER_EMAIL });
  expect(await row.textContent()).toContain(TEAM);
  expect(await row.textContent()).toContain('no-default-models');
  // The copy button is there once the script runs (CSP allows it), and copies.
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.locator('#invitation-link-status', { hasText: /Copied|Ctrl\+C/ }).waitFor();
  await checkPage(page, 'users-created');

  // A duplicate email is shown next to the email field.
  await page.getByLabel('Email', { exact: true }).fill(USER_EMAIL);
  await page.getByRole('button', { name: 'Create user' }).click();
  expect(await page.locator('#user-user_email-error').textContent()).toContain('already exists');

  await context.close();
});

test('(b) the invited user opens the emailed link, sets a password and manages their own key', async () => {
  expect(state.teamId).toBeDefined();
  // The email, as the local SES endpoint received it.
  let link: string | undefined;
  for (let i = 0; i < 50 && !link; i++) {
    const mails = (await readMailbox(process.env.ONRAMP_TEST_SES_ENDPOINT!)).filter((m) => m.destination.to.includes(USER_EMAIL));
    const texts = mails.map((m) => `${m.body.text ?? ''}\n${m.body.html ?? ''}`);
    link = texts.map((t) => t.match(/http:\/\/127\.0\.0\.1:\d+\/ui\/onboarding\?id=[A-Za-z0-9_%-]+/)?.[0]).find((l) => l?.startsWith(`${base}/`));
    if (!link) await new Promise((r) => setTimeout(r, 100));
  }
  expect(link).toBe(state.shownLink);

  const { context, page } = await newPage();
  await page.goto(link!);
  expect(await page.getByText(`You are invited as ${USER_EMAIL}`).isVisible()).toBe(true);
  await checkPage(page, 'onboarding');

  // Mismatched confirmation: shown next to the field, nothing claimed.
  await page.getByLabel('New password').fill(USER_PASSWORD);
  await page.getByLabel('Confirm password').fill('something else entirely');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  expect(await page.locator('#onboarding-password_confirm-error').textContent()).toBe('The two passwords do not match.');
  // Too short: the service's policy message, next to the password.
  await page.getByLabel('New password').fill('short');
  await page.getByLabel('Confirm password').fill('short');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  expect(await page.locator('#onboarding-password-error').textContent()).toContain('at least 12 characters');
  await checkPage(page, 'onboarding-error');

  await page.getByLabel('New password').fill(USER_PASSWORD);
  await page.getByLabel('Confirm password').fill(USER_PASSWORD);
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await page.waitForURL(`${base}/ui`);
  expect(await page.getByRole('status').first().textContent()).toContain('your password is set');
  expect(await page.getByText('keys can only be created inside a team').isVisible()).toBe(true);
  expect(await page.getByRole('row').filter({ hasText: TEAM }).count()).toBeGreaterThan(0);
  await checkPage(page, 'home-user');

  // 4d. No team chosen: the API's "select a team" refusal, next to the team field.
  await page.getByLabel('Team').selectOption('');
  await page.getByRole('button', { name: 'Create key' }).click();
  const teamError = await page.locator('#key-team_id-error').textContent();
  expect(teamError).toContain('No team selected');
  expect(teamError).toContain('can only create keys inside a team');
  expect(await page.locator('#key-team_id').getAttribute('aria-invalid')).toBe('true');
  await checkPage(page, 'home-no-team');

  // A lifetime the form does not offer (a tampered post) is refused next to its field.
  await page.getByLabel('Team').selectOption({ label: TEAM });
  await page.locator('#key-duration').evaluate((el) => {
    const select = el as HTMLSelectElement;
    select.add(new Option('forever', 'forever'));
    select.value = 'forever';
  });
  await page.getByRole('button', { name: 'Create key' }).click();
  expect(await page.locator('#key-duration-error').textContent()).toContain('Choose one of the listed lifetimes.');
  expect(await s.deps.keys.ofUser((await s.deps.users.byEmail(USER_EMAIL))!.user_id)).toEqual([]);

  // 4e. In the team: created, shown once.
  await page.getByLabel('Team').selectOption({ label: TEAM });
  await page.getByLabel('Key name').fill('my-exploration-key');
  await page.getByLabel('Max budget (USD)').fill('10');
  await page.getByLabel('Expires after').selectOption({ label: '30 days' });
  const createdAt = Date.now();
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.locator('#new-key').inputValue();
  expect(secret).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
  expect(await page.getByText('it is shown only once').isVisible()).toBe(true);
  const keyRow = page.getByRole('row').filter({ hasText: 'my-exploration-key' });
  const rowText = (await keyRow.textContent()) ?? '';
  expect(rowText).toContain(`sk-...${secret.slice(-4)}`);
  expect(rowText).toContain(TEAM);
  expect(rowText).toContain('$0.00');
  expect(rowText).toContain('$10.00');
  await page.getByRole('button', { name: 'Copy' }).click();
  await page.locator('#new-key-status', { hasText: /Copied|Ctrl\+C/ }).waitFor();
  await checkPage(page, 'home-new-key');
  const [stored] = await s.deps.keys.ofUser((await s.deps.users.byEmail(USER_EMAIL))!.user_id);
  expect(stored).toMatchObject({ key_alias: 'my-exploration-key', team_id: state.teamId, max_budget: 10 });
  const lifetimeMs = Date.parse(stored!.expires!) - createdAt;
  expect(lifetimeMs).toBeGreaterThan(30 * 86_400_000 - 60_000);
  expect(lifetimeMs).toBeLessThan(30 * 86_400_000 + 60_000);
  expect(rowText).not.toContain('never');

  // Loaded again: the key is listed, its secret is gone for good.
  await page.goto('/ui');
  expect(await page.content()).not.toContain(secret);
  expect(await page.getByRole('row').filter({ hasText: 'my-exploration-key' }).count()).toBe(1);

  // Delete it, after a confirmation step.
  await page.getByRole('link', { name: 'Delete key my-exploration-key' }).click();
  await checkPage(page, 'key-delete-confirm');
  await page.getByRole('button', { name: 'Delete key' }).click();
  await page.waitForURL(`${base}/ui`);
  expect(await page.getByRole('status').first().textContent()).toContain('Key my-exploration-key deleted.');
  expect(await page.getByText('No keys yet.').isVisible()).toBe(true);
  expect(await s.deps.keys.ofUser(stored!.user_id!)).toEqual([]);

  // Not an admin: the admin pages are refused, and not in the navigation.
  expect(await page.getByRole('link', { name: 'Internal users' }).count()).toBe(0);
  const refused = await page.goto('/ui/users');
  expect(refused!.status()).toBe(403);

  // Sign out, then sign back in with the new password.
  await page.goto('/ui');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/ui\/login/);
  await signIn(page, USER_EMAIL, USER_PASSWORD);

  // The link works once.
  const { context: other, page: again } = await newPage();
  const used = await again.goto(link!);
  expect(used!.status()).toBe(401);
  expect(await again.getByRole('alert').textContent()).toBe('Invitation link has already been used.');
  await checkPage(again, 'onboarding-used');
  // LiteLLM's older link form lands on the same page.
  await again.goto('/ui?invitation_id=not-a-real-invitation');
  expect(again.url()).toBe(`${base}/ui/onboarding?id=not-a-real-invitation`);
  expect(await again.getByRole('alert').textContent()).toBe('Invitation link does not exist in db.');
  await other.close();
  await context.close();
});

test('(c) viewers see the pages without the controls they may not use', async () => {
  expect(state.teamId).toBeDefined();
  const password = 'viewer password 0123';
  await s.deps.users.createRecord('test', { user_email: 'admin-viewer@example.com', user_role: 'proxy_admin_viewer', password });
  const viewer = await s.deps.users.createRecord('test', { user_email: 'user-viewer@example.com', user_role: 'internal_user_viewer', password });
  const team = await s.deps.teams.require(state.teamId!);
  await s.deps.teams.transactMemberOps(team, viewer, 'user', null);

  const { context, page } = await newPage();
  await signIn(page, 'admin-viewer@example.com', password);
  for (const [path, name] of [
    ['/ui', 'viewer-home'],
    ['/ui/teams', 'viewer-teams'],
    [`/ui/teams/${encodeURIComponent(state.teamId!)}`, 'viewer-team-detail'],
    ['/ui/users', 'viewer-users'],
    ['/ui/settings', 'viewer-settings'],
  ] as const) {
    const res = await page.goto(path);
    expect(res!.status()).toBe(200);
    expect(await writeForms(page)).toBe(0);
    expect(await page.locator('button:not(.link)').count()).toBe(0);
    await checkPage(page, name);
  }
  // They see what exists: the team, the user, the default settings.
  await page.goto('/ui/users');
  expect(await page.getByRole('row').filter({ hasText: USER_EMAIL }).count()).toBe(1);
  await page.goto('/ui/settings');
  expect(await page.getByText('no-default-models').isVisible()).toBe(true);
  // A hand-made post is refused by the services all the same.
  const csrf = await page.locator('form.logout input[name=csrf_token]').inputValue();
  const forged = await page.request.post('/ui/teams', { form: { csrf_token: csrf, team_alias: 'sneaky', budget_duration: '' } });
  expect(forged.status()).toBe(403);
  expect(await s.deps.teams.list({ userId: 'x', role: 'proxy_admin', via: 'master_key' })).toHaveLength(1);
  await context.close();

  const { context: c2, page: p2 } = await newPage();
  await signIn(p2, 'user-viewer@example.com', password);
  expect(await writeForms(p2)).toBe(0);
  expect(await p2.getByRole('row').filter({ hasText: TEAM }).count()).toBeGreaterThan(0);
  await checkPage(p2, 'user-viewer-home');
  await p2.goto(`/ui/teams/${encodeURIComponent(state.teamId!)}`);
  expect(await writeForms(p2)).toBe(0);
  await c2.close();

  // No page logged an error (a CSP violation would); 4xx statuses of refused forms are expected.
  expect(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e))).toEqual([]);
});

test('a post without the CSRF token is refused', async () => {
  const { context, page } = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  const res = await page.request.post('/ui/teams', { form: { team_alias: 'no-csrf', budget_duration: '' } });
  expect(res.status()).toBe(403);
  // A page the browser can show, with the pages' CSP, not the JSON envelope.
  expect(res.headers()['content-type']).toMatch(/^text\/html/);
  expect(res.headers()['content-security-policy']).toContain("default-src 'none'");
  await page.setContent(await res.text());
  expect(await page.getByRole('alert').textContent()).toMatch(/Missing or invalid CSRF token\. Reload the page and try again\./);
  await context.close();
});

test('sign-out goes to PROXY_LOGOUT_URL when it is set (the pages\' CSP lets the form end there)', async () => {
  const other = await startServer({ PROXY_LOGOUT_URL: 'https://sso.example.com/signed-out' });
  try {
    const { context, page } = await newPage(other.url);
    // Nothing leaves the machine: the logout page is answered here.
    await context.route('https://sso.example.com/**', (route) => route.fulfill({ status: 200, contentType: 'text/html', body: '<title>signed out</title>' }));
    await signIn(page, 'admin', MASTER_KEY, other.url);
    const csp = (await page.request.get('/ui')).headers()['content-security-policy'];
    expect(csp).toContain("form-action 'self' https://sso.example.com");
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('https://sso.example.com/signed-out');
    // Signed out for real: the pages ask to sign in again.
    await page.goto(`${other.url}/ui`);
    expect(page.url()).toBe(`${other.url}/ui/login`);
    await context.close();
  } finally {
    await other.close();
  }
});
