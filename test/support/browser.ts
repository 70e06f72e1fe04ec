import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../../local/ports';
import { testStack, type TestStack } from './stack';

/** Where browser tests save their screenshots (git ignores test-artifacts/). */
export const SCREENSHOTS = join(__dirname, '..', '..', 'test-artifacts', 'screenshots');

/**
 * Debian's Chromium, headless, with the flags this machine's closed network needs
 * (no background connections, no component updates); never a downloaded browser.
 */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * The real app on a free loopback port for Chromium to open, its PROXY_BASE_URL
 * pointing at itself (so emailed links work): its stack, its address, and a close
 * that stops the server.
 */
export async function servedApp(env: Record<string, string> = {}): Promise<{ s: TestStack; base: string; close: () => Promise<void> }> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const s = await testStack({ env: { PROXY_BASE_URL: base, ...env } });
  const server = serve({ fetch: s.app.fetch, port, hostname: '127.0.0.1' });
  await once(server, 'listening');
  return { s, base, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A new browser context `width` px wide on `base`, signed in through /ui/login: its page is on the keys page. */
export async function signedInPage(browser: Browser, base: string, email: string, password: string, width = 1280): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport: { width, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui`);
  return page;
}
