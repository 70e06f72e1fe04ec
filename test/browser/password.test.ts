/**
 * The password flows clicked through in headless Chromium against the real app on
 * loopback (DynamoDB Local, local SES): (a) forgot password → emailed link → new
 * password, which signs out every other browser; (b) change password on the
 * account page with the current one. Screenshots go to test-artifacts/screenshots/.
 */
import { launchChromium, SCREENSHOTS, servedApp } from '../support/browser';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { readMailbox } from '../../local/ses';
import type { TestStack } from '../support/stack';

jest.setTimeout(120_000);

const OLD_PASSWORD = 'my first passphrase 1';
const RESET_PASSWORD = 'my reset passphrase 2';
const CHANGED_PASSWORD = 'my changed passphrase 3';

let s: TestStack;
let browser: Browser;
let base: string;
let close: () => Promise<void>;
const consoleErrors: string[] = [];

beforeAll(async () => {
  ({ s, base, close } = await servedApp());
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

async function newPage(width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  return { context, page };
}

/** Screenshot, every control labelled, one <h1>, and nothing wider than the window. */
async function checkPage(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  const report = await page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll('input, select, textarea')) as HTMLInputElement[];
    return {
      unlabelled: controls
        .filter((el) => !['hidden', 'submit', 'button'].includes(el.type))
        .filter((el) => !(el.labels && el.labels.length > 0))
        .map((el) => el.name),
      h1: document.querySelectorAll('h1').length,
      overflow: document.documentElement.scrollWidth > window.innerWidth,
    };
  });
  expect(report).toEqual({ unlabelled: [], h1: 1, overflow: false });
}

async function signIn(page: Page, email: string, password: string) {
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui`);
}

/** The reset link in the newest email to `email`, as the local SES endpoint received it. */
async function resetLinkFromMail(email: string): Promise<string> {
  const mails = (await readMailbox(process.env.ONRAMP_TEST_SES_ENDPOINT!)).filter((m) => m.destination.to.includes(email));
  const link = mails
    .map((m) => m.body.text?.match(/http:\/\/127\.0\.0\.1:\d+\/ui\/reset-password\?id=[A-Za-z0-9_%-]+/)?.[0])
    .filter((l) => l?.startsWith(`${base}/`))
    .pop();
  expect(link).toBeDefined();
  return link!;
}

const email = `pw-${Date.now()}@example.com`;

beforeAll(async () => {
  const r = await s.call('POST', '/user/new', { body: { user_email: email, password: OLD_PASSWORD, auto_create_key: false } });
  expect(r.status).toBe(200);
});

test('(a) forgot password: the emailed link sets a new password once and signs out the other browser', async () => {
  // Another browser is signed in with the old password.
  const other = await newPage();
  await signIn(other.page, email, OLD_PASSWORD);

  const { context, page } = await newPage();
  await page.goto('/ui/login');
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await page.waitForURL(`${base}/ui/forgot-password`);
  await checkPage(page, 'password-forgot');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Email me a reset link' }).click();
  expect(await page.getByRole('status').textContent()).toContain('If an onramp account uses this email, a link to reset its password is on its way.');
  await checkPage(page, 'password-forgot-sent');

  const link = await resetLinkFromMail(email);
  await page.goto(link);
  expect(await page.locator('main').textContent()).toContain(email);
  await checkPage(page, 'password-reset');
  // Two different entries are refused next to the field.
  await page.getByLabel('New password', { exact: true }).fill(RESET_PASSWORD);
  await page.getByLabel('Confirm new password').fill('not the same passphrase');
  await page.getByRole('button', { name: 'Set new password' }).click();
  expect(await page.locator('#reset-password_confirm-error').textContent()).toBe('The two passwords do not match.');
  await checkPage(page, 'password-reset-error');

  await page.getByLabel('New password', { exact: true }).fill(RESET_PASSWORD);
  await page.getByLabel('Confirm new password').fill(RESET_PASSWORD);
  await page.getByRole('button', { name: 'Set new password' }).click();
  await page.waitForURL(`${base}/ui/login`);
  expect(await page.getByRole('status').textContent()).toContain('Your new password is set');
  await checkPage(page, 'password-reset-done');

  // The other browser's session has ended.
  await other.page.goto('/ui');
  expect(other.page.url()).toBe(`${base}/ui/login`);
  await other.context.close();

  // The old password no longer works, the new one does.
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(OLD_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  expect(await page.getByRole('alert').textContent()).toContain('Invalid credentials');
  await signIn(page, email, RESET_PASSWORD);

  // The link works once.
  await page.goto(link);
  expect(await page.getByRole('alert').textContent()).toContain('This password reset link has already been used.');
  expect(await page.getByRole('link', { name: 'Ask for a new reset link' }).isVisible()).toBe(true);
  await checkPage(page, 'password-reset-used');
  await context.close();
});

test('(b) change password on the account page: needs the current one, keeps this browser signed in', async () => {
  const other = await newPage();
  await signIn(other.page, email, RESET_PASSWORD);

  // Phone width: the account page must fit.
  const { context, page } = await newPage(375);
  await signIn(page, email, RESET_PASSWORD);
  await page.getByRole('link', { name: 'Account' }).click();
  await page.waitForURL(`${base}/ui/account`);
  await checkPage(page, 'password-account');

  await page.getByLabel('Current password').fill('not my password at all');
  await page.getByLabel('New password', { exact: true }).fill(CHANGED_PASSWORD);
  await page.getByLabel('Confirm new password').fill(CHANGED_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  expect(await page.locator('#account-current_password-error').textContent()).toBe('This is not your current password.');
  await checkPage(page, 'password-account-error');

  await page.getByLabel('Current password').fill(RESET_PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(CHANGED_PASSWORD);
  await page.getByLabel('Confirm new password').fill(CHANGED_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await page.waitForURL(`${base}/ui/account`);
  expect(await page.getByRole('status').textContent()).toContain('Your password is changed.');
  await checkPage(page, 'password-account-done');

  // This browser is still signed in; the other one is not.
  await page.goto('/ui');
  expect(page.url()).toBe(`${base}/ui`);
  await other.page.goto('/ui');
  expect(other.page.url()).toBe(`${base}/ui/login`);
  await signIn(other.page, email, CHANGED_PASSWORD);
  await other.context.close();
  await context.close();
  // Refused forms answer 4xx on purpose (Chromium logs those); anything else (a CSP violation) is a fault.
  expect(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e))).toEqual([]);
});
