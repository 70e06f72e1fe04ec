/**
 * A key that rotates on a schedule, seen by its owner in headless Chromium against
 * the real app on loopback (DynamoDB Local): the scheduled job gives the key a new
 * secret, the keys page says so, the owner reads the new secret once, the old one
 * keeps working until its grace period ends, and a second read is refused.
 * Screenshots (desktop and 390 px wide) go to test-artifacts/screenshots/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { KeyRotation } from '../../shared/keys/rotation';
import { launchChromium, SCREENSHOTS, servedApp, signedInPage } from '../support/browser';
import type { TestStack } from '../support/stack';

jest.setTimeout(120_000);

const PASSWORD = 'rotated key page password 42';

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

/** The user, signed in, in a window `width` px wide. */
const signedIn = (email: string, width: number) => signedInPage(browser, base, email, PASSWORD, width);

/** Posts the reveal form for `token` from a signed-in page, with that page's CSRF token, as a reload would. */
async function repost(page: Page, token: string) {
  const csrf = await page.locator('input[name=csrf_token]').first().inputValue();
  const res = await page.request.post(`/ui/keys/${token}/rotated-secret`, { form: { csrf_token: csrf }, maxRedirects: 0 });
  return { status: res.status(), text: await res.text() };
}

const noOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

/** A user with a password and a key that rotates daily; the job then runs a day later. */
async function rotatedKeyOwner(alias: string) {
  const email = `${alias}@example.com`;
  const user = await s.call('POST', '/user/new', { body: { user_email: email, password: PASSWORD, user_role: 'internal_user' } });
  expect(user.status).toBe(200);
  const key = await s.call('POST', '/key/generate', { body: { user_id: user.body.user_id, key_alias: alias, auto_rotate: true, rotation_interval: '1d' } });
  expect(key.status).toBe(200);
  const dayLater = new Date(Date.now() + 86_400_000 + 60_000);
  expect(await new KeyRotation(s.deps.table, () => dayLater).run()).toMatchObject({ rotated: 1, failed: 0 });
  return { email, oldSecret: key.body.key as string };
}

test('the owner sees the waiting secret on the keys page, reads it once, and it works', async () => {
  const { email, oldSecret } = await rotatedKeyOwner('laptop-rotating');
  // The phone-width pass only looks; the desktop pass reads the secret (it can be read once).
  for (const width of [390, 1280]) {
    const page = await signedIn(email, width);
    const waiting = page.locator('#rotated-secrets');
    expect(await waiting.textContent()).toMatch(/Key laptop-rotating got a new secret on .*; the old one works until /);
    expect(await noOverflow(page)).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, `rotated-key-waiting-${width}.png`), fullPage: true });
    if (width === 390) {
      await page.context().close();
      continue;
    }
    await page.getByRole('button', { name: 'Show the new secret of key laptop-rotating' }).click();
    await page.waitForURL(/\/ui\/keys\/[0-9a-f]{64}\/rotated-secret$/);
    const secret = await page.getByLabel('New secret of key laptop-rotating').inputValue();
    expect(secret).toMatch(/^sk-/);
    expect(secret).not.toBe(oldSecret);
    expect(await page.locator('main').textContent()).toMatch(/shown only once.*old secret keeps working until/s);
    await page.screenshot({ path: join(SCREENSHOTS, `rotated-key-secret-${width}.png`), fullPage: true });

    // The new secret is the key; the old one still is, within its grace period.
    for (const secretNow of [secret, oldSecret]) {
      const info = await s.call('GET', '/key/info', { token: secretNow });
      expect(info.status).toBe(200);
      expect(info.body.info.key_alias).toBe('laptop-rotating');
    }

    // Read once: the notice is gone.
    await page.goto('/ui');
    expect(await page.locator('#rotated-secrets').count()).toBe(0);
    await page.context().close();
  }
});

test('a reload of the secret page after it was read says it was read already; another user cannot read it', async () => {
  const { email } = await rotatedKeyOwner('desktop-rotating');
  const page = await signedIn(email, 1280);
  await page.getByRole('button', { name: 'Show the new secret of key desktop-rotating' }).click();
  await page.waitForURL(/rotated-secret$/);
  const url = page.url();
  const token = /keys\/([0-9a-f]{64})\//.exec(url)![1]!;

  // A reload re-posts the same form: the second read is a 404 page, not a second secret.
  await page.goto('/ui');
  const refused = await repost(page, token);
  expect(refused.status).toBe(404);
  expect(refused.text).toContain('has no rotated secret waiting');
  expect(refused.text).not.toMatch(/sk-[A-Za-z0-9_-]{20,}/);
  await page.context().close();

  // Someone else, signed in, is refused (and learns no secret).
  const otherEmail = 'someone-else-rotating@example.com';
  expect((await s.call('POST', '/user/new', { body: { user_email: otherEmail, password: PASSWORD, user_role: 'internal_user' } })).status).toBe(200);
  const other = await signedIn(otherEmail, 1280);
  const stranger = await repost(other, token);
  expect(stranger.status).toBe(403);
  expect(stranger.text).not.toMatch(/sk-[A-Za-z0-9_-]{20,}/);
  await other.context().close();
});
