import { Hono } from 'hono';
import type { AppEnv } from '../core/env';

/**
 * The pages' only script: progressive enhancement for "copy" buttons (a new key,
 * an invitation link). Served from here so the pages' CSP can be `script-src 'self'`.
 * Without it the value is still in a read-only field to select and copy.
 */
export const COPY_JS = `(() => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const field = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.status);
    if (!field) continue;
    button.hidden = false;
    button.addEventListener('click', async () => {
      field.focus();
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        if (status) status.textContent = 'Copied to the clipboard.';
      } catch {
        if (status) status.textContent = 'Selected: press Ctrl+C (or Cmd+C) to copy.';
      }
    });
  }
})();
`;

export const staticPages = new Hono<AppEnv>().get('/static/copy.js', (c) => {
  c.header('Content-Type', 'text/javascript; charset=utf-8');
  c.header('Cache-Control', 'public, max-age=3600');
  return c.body(COPY_JS);
});
