import { randomBytes } from 'node:crypto';
import { getCookie, setCookie } from 'hono/cookie';
import { constantTimeEqual } from '../../auth/logins';
import type { PageContext } from './render';

/** Forms that are posted before a session exists (sign-in, onboarding, password reset). */

const FORM_COOKIE = 'onramp_form';
export const FORM_FIELD = 'form_token';

/**
 * Double-submit token for the sign-in and onboarding forms, which are posted
 * without a session (so the session CSRF check cannot protect them): a random
 * value in a SameSite=Strict cookie and in a hidden field; a cross-site form
 * cannot read the cookie nor make the browser send it.
 */
export function issueFormToken(c: PageContext): string {
  const existing = getCookie(c, FORM_COOKIE);
  const token = existing && /^[A-Za-z0-9_-]{22,64}$/.test(existing) ? existing : randomBytes(18).toString('base64url');
  setCookie(c, FORM_COOKIE, token, { path: '/ui', httpOnly: true, sameSite: 'Strict', maxAge: 3600 });
  return token;
}

export function formTokenValid(c: PageContext, sent: string | undefined): boolean {
  const expected = getCookie(c, FORM_COOKIE);
  return !!expected && !!sent && constantTimeEqual(expected, sent);
}

export const FORM_EXPIRED = 'This form has expired (or cookies are blocked). Reload the page and try again.';
