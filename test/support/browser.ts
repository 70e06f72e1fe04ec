import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { chromium, type Browser } from 'playwright-core';
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
