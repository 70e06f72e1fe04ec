import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { PageContext } from './render';

/** Flash messages: a form post redirects (POST → redirect → GET) and the next page says what happened, once. */

const FLASH_COOKIE = 'onramp_flash';

/** Redirects after a successful form post, with a one-time message for the next page. */
export function redirectWithFlash(c: PageContext, location: string, message: string) {
  setCookie(c, FLASH_COOKIE, message.slice(0, 500), { path: '/ui', httpOnly: true, sameSite: 'Lax', maxAge: 60 });
  return c.redirect(location, 303);
}

/** The message left by the previous post, shown once. */
export function takeFlash(c: PageContext): string | undefined {
  const message = getCookie(c, FLASH_COOKIE);
  if (message !== undefined) deleteCookie(c, FLASH_COOKIE, { path: '/ui' });
  return message || undefined;
}
