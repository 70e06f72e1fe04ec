/**
 * SSO in headless Chromium (Debian's /usr/bin/chromium via playwright-core): the real
 * app on a loopback port, a real OpenID Connect provider (`oidc-provider`, see
 * test/support/oidc-provider-server.mjs) on another, DynamoDB Local behind the app.
 *
 * - A new person clicks "Sign in with SSO", signs in at the IdP, lands on the page they
 *   asked for, and exists in onramp with the default user settings.
 * - An ID token tampered with on its way to onramp ends on a refusal page, signed out.
 * - With password sign-in turned off, the sign-in page offers only SSO (and the
 *   admin's master-key form, folded away).
 *
 * Screenshots go to test-artifacts/screenshots/sso-*.png.
 */
import { launchChromium, SCREENSHOTS } from '../support/browser';
import { once } from 'node:events';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { type Browser, type Page } from 'playwright-core';
import { freePort } from '../../local/ports';
import { startIdp, type TestIdp } from '../support/oidc-idp';
import { MASTER_KEY, testStack, type TestStack } from '../support/stack';

jest.setTimeout(120_000);


type Server = { stack: TestStack; url: string; close: () => Promise<void> };

let idp: TestIdp;
let browser: Browser;
let withPasswords: Server;
let ssoOnly: Server;
let defaultTeamId: string;

/** The real app on a loopback port, PROXY_BASE_URL pointing at itself. */
async function startServer(port: number, env: Record<string, string>): Promise<Server> {
  const url = `http://127.0.0.1:${port}`;
  const stack = await testStack({ env: { PROXY_BASE_URL: url, ...env } });
  const srv = serve({ fetch: stack.app.fetch, port, hostname: '127.0.0.1' });
  await once(srv, 'listening');
  return { stack, url, close: () => new Promise<void>((resolve) => srv.close(() => resolve())) };
}

beforeAll(async () => {
  const [portA, portB] = [await freePort(), await freePort()];
  idp = await startIdp([`http://127.0.0.1:${portA}/sso/callback`, `http://127.0.0.1:${portB}/sso/callback`]);
  withPasswords = await startServer(portA, idp.env());
  ssoOnly = await startServer(portB, idp.env({ ONRAMP_DISABLE_PASSWORD_LOGIN: 'true' }));
  const team = await withPasswords.stack.call('POST', '/team/new', { body: { team_alias: 'internal exploration', models: ['gpt-4o'], max_budget: 100 } });
  defaultTeamId = team.body.team_id;
  const settings = await withPasswords.stack.call('PATCH', '/update/internal_user_settings', {
    body: { teams: [defaultTeamId], models: ['no-default-models'], max_budget: 10, budget_duration: '1mo' },
  });
  expect(settings.status).toBe(200);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await withPasswords?.close();
  await ssoOnly?.close();
  await idp?.stop();
});

async function newPage(origin: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ baseURL: origin, viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

const shot = (page: Page, name: string) => page.screenshot({ path: join(SCREENSHOTS, `sso-${name}.png`), fullPage: true });

/** oidc-provider's development sign-in form: any login (the email) and any password. */
async function signInAtIdp(page: Page, email: string) {
  await page.waitForURL(`${idp.issuer}/**`);
  await page.locator('input[name="login"]').fill(email);
  await page.locator('input[name="password"]').fill('whatever the IdP checks');
  await shot(page, 'idp');
  await page.locator('button[type="submit"]').click();
}

test('a new person signs in with SSO, lands where they were going, and gets the default settings', async () => {
  const page = await newPage(withPasswords.url);
  const email = 'new.person@corp.example';
  await idp.account(email);

  await page.goto('/ui/teams');
  expect(page.url()).toBe(`${withPasswords.url}/ui/login?next=%2Fui%2Fteams`);
  const sso = page.getByRole('link', { name: 'Sign in with SSO' });
  await expect(sso.isVisible()).resolves.toBe(true);
  // The password form is still there for people with passwords.
  await expect(page.getByLabel('Password').isVisible()).resolves.toBe(true);
  await shot(page, 'login');

  await sso.click();
  await signInAtIdp(page, email);
  await page.waitForURL(`${withPasswords.url}/ui/teams`);
  expect(await page.locator('header').textContent()).toContain(email);
  expect(await page.locator('main').textContent()).toContain('internal exploration');
  await shot(page, 'signed-in-teams');

  // The session is an HttpOnly cookie; the flow cookie is gone.
  const cookies = await page.context().cookies();
  expect(cookies.find((c) => c.name === 'token')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
  expect(cookies.find((c) => c.name === 'onramp_sso')).toBeUndefined();

  // Created on first sign-in with the default user settings.
  const list = await withPasswords.stack.call('GET', `/user/list?user_email=${encodeURIComponent(email)}`);
  expect(list.body.users).toHaveLength(1);
  expect(list.body.users[0]).toMatchObject({
    user_email: email,
    user_role: 'internal_user',
    max_budget: 10,
    budget_duration: '1mo',
    models: ['no-default-models'],
    teams: [defaultTeamId],
  });

  // The keys page works for them like for anyone signed in with a password.
  await page.goto('/ui');
  expect(await page.locator('h1').textContent()).toBeTruthy();
  await shot(page, 'signed-in-keys');
  await page.context().close();
});

test('an ID token tampered with on its way to onramp ends on a refusal page, signed out', async () => {
  const page = await newPage(withPasswords.url);
  const attacker = 'mallory@corp.example';
  await idp.account(attacker);
  await idp.tamperNextIdToken('claim', 'new.person@corp.example');

  await page.goto('/ui/login');
  await page.getByRole('link', { name: 'Sign in with SSO' }).click();
  await signInAtIdp(page, attacker);
  await page.waitForURL(`${withPasswords.url}/sso/callback**`);
  const alert = page.getByRole('alert');
  expect(await alert.textContent()).toMatch(/SSO sign-in failed: .*JWT signature verification failed/);
  expect(await page.locator('h1').textContent()).toBe('Not signed in');
  await shot(page, 'tampered-refused');
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.waitForURL(`${withPasswords.url}/ui/login`);

  expect((await page.context().cookies()).find((c) => c.name === 'token')).toBeUndefined();
  await page.goto('/ui');
  expect(page.url()).toBe(`${withPasswords.url}/ui/login`);
  const list = await withPasswords.stack.call('GET', `/user/list?user_email=${encodeURIComponent(attacker)}`);
  expect(list.body.total).toBe(0);
  await page.context().close();
});

test('with password sign-in off, the page offers SSO and, folded away, the master key for the admin', async () => {
  const page = await newPage(ssoOnly.url);
  await page.goto('/ui/login');
  await expect(page.getByRole('link', { name: 'Sign in with SSO' }).isVisible()).resolves.toBe(true);
  expect(await page.getByLabel('Email').count()).toBe(0);
  await expect(page.getByLabel('Master key').isVisible()).resolves.toBe(false);
  await shot(page, 'login-sso-only');

  await page.getByText('Administrator: sign in with the master key').click();
  await page.getByLabel('Master key').fill(MASTER_KEY);
  await shot(page, 'login-sso-only-admin');
  await page.getByRole('button', { name: 'Sign in as admin' }).click();
  await page.waitForURL(`${ssoOnly.url}/ui`);
  expect(await page.locator('header').textContent()).toContain('admin');
  await page.context().close();

  // And SSO itself, at phone width, with no sideways scrolling.
  const phone = await newPage(ssoOnly.url, 375);
  await idp.account('phone.person@corp.example');
  await phone.goto('/ui/login');
  expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await shot(phone, 'login-sso-only-phone');
  await phone.getByRole('link', { name: 'Sign in with SSO' }).click();
  await signInAtIdp(phone, 'phone.person@corp.example');
  await phone.waitForURL(`${ssoOnly.url}/ui`);
  expect(await phone.locator('header').textContent()).toContain('phone.person@corp.example');
  await phone.context().close();
});
