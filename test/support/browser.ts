import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

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
