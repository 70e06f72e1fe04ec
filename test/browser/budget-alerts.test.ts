/**
 * Budget alerts as a user meets them, in headless Chromium against the real app on
 * loopback (DynamoDB Local, local SES): the keys page sets a key's soft budget
 * ("Email me at"), spend crosses it, the email arrives once, and the usage page
 * lists the alert of this budget period. Screenshots (desktop and 390 px wide) go to
 * test-artifacts/screenshots/.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { readMailbox } from '../../local/ses';
import { launchChromium, SCREENSHOTS, servedApp, signedInPage } from '../support/browser';
import type { TestStack } from '../support/stack';

jest.setTimeout(120_000);

const PASSWORD = 'budget alert page password 7';
const EMAIL = `alerted-${randomUUID().slice(0, 8)}@example.com`;

let s: TestStack;
let browser: Browser;
let base: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ s, base, close } = await servedApp());
  browser = await launchChromium();
  expect((await s.call('POST', '/user/new', { body: { user_email: EMAIL, password: PASSWORD, user_role: 'internal_user' } })).status).toBe(200);
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

/** The alerted user, signed in, in a window `width` px wide. */
const signedIn = (width: number) => signedInPage(browser, base, EMAIL, PASSWORD, width);

/** One call's spend on the key, as the gateway settles it: reserve, then record. */
async function spend(secret: string, cost: number) {
  const requestId = randomUUID();
  expect((await s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: cost, request_id: requestId } })).status).toBe(200);
  expect((await s.call('POST', '/spend/record', { token: secret, body: { request_id: requestId, cost } })).status).toBe(200);
}

const mailTo = async (address: string) => (await readMailbox(process.env.ONRAMP_TEST_SES_ENDPOINT!)).filter((m) => m.destination.to.includes(address));

test('a soft budget set on the keys page emails once when reached, and the usage page shows the alert', async () => {
  const page = await signedIn(1280);
  await page.getByLabel('Key name').fill('alerting-laptop');
  await page.getByLabel('Max budget (USD)').fill('1');
  await page.getByLabel('Email me at (USD)').fill('0.05');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.locator('#new-key').inputValue();
  expect(secret).toMatch(/^sk-/);

  // Before: no alert, and the usage page says so.
  await page.goto('/ui/usage');
  const keyRow = page.locator('tr', { hasText: 'Key alerting-laptop' });
  expect(await keyRow.textContent()).toMatch(/\$1\.00 \(alert at \$0\.05\).*none/);

  // Three calls cross $0.05 (the second one); the email goes out once.
  for (const cost of [0.03, 0.03, 0.03]) await spend(secret, cost);
  await s.deps.budgetAlerts.settled();
  const mail = await mailTo(EMAIL);
  expect(mail.map((m) => m.subject)).toEqual([expect.stringContaining('soft budget of $0.05')]);

  await page.reload();
  expect(await keyRow.textContent()).toMatch(/Reached its soft budget of \$0\.05 on \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC: emailed/);
  await page.screenshot({ path: join(SCREENSHOTS, 'budget-alerts-usage-1280.png'), fullPage: true });
  await page.context().close();

  const phone = await signedIn(390);
  await phone.goto('/ui/usage');
  expect(await phone.locator('tr', { hasText: 'Key alerting-laptop' }).textContent()).toContain('Reached its soft budget of $0.05');
  expect(await phone.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
  await phone.screenshot({ path: join(SCREENSHOTS, 'budget-alerts-usage-390.png'), fullPage: true });
  await phone.context().close();
});

test('an amount that is not money is refused on the form, and no key is made', async () => {
  const page = await signedIn(1280);
  const before = (await s.call('GET', '/key/list?return_full_object=true&size=100')).body.keys.length;
  await page.getByLabel('Key name').fill('bad-alert');
  await page.getByLabel('Email me at (USD)').fill('-1');
  await page.getByRole('button', { name: 'Create key' }).click();
  expect(await page.locator('#soft_budget-error, [id$="soft_budget-error"]').first().textContent()).toBeTruthy();
  expect((await s.call('GET', '/key/list?return_full_object=true&size=100')).body.keys.length).toBe(before);
  await page.context().close();
});
