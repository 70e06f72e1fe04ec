import { randomBytes } from 'node:crypto';
import { getCookie, setCookie } from 'hono/cookie';
import type { Child } from 'hono/jsx';
import { constantTimeEqual } from '../../auth/logins';
import { PASSWORD_MIN_LENGTH } from '../../auth/passwords';
import { str, type FormState } from './form-state';
import { Csrf, FormAlert, Input } from './forms';
import type { PageContext } from './render';

/** Forms that are posted before a session exists (sign-in, onboarding, password reset), and the new-password fields. */

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

/** A post whose form token is missing or stale: says so on the form. */
export function formExpired(c: PageContext, values: FormState['values'], form: FormState): boolean {
  if (formTokenValid(c, str(values, FORM_FIELD))) return false;
  form.general = FORM_EXPIRED;
  return true;
}

/** The fields such a form posts besides its own: the session CSRF token (when signed in) and the form token. */
export const SignedOutFields = (p: { c: PageContext; formToken: string }) => (
  <>
    <Csrf token={p.c.get('session')?.csrf} />
    <input type="hidden" name={FORM_FIELD} value={p.formToken} />
  </>
);

/** The shell of a form posted signed out: an optional heading, the whole-form error, the tokens, then its fields. */
export const SignedOutForm = (p: { c: PageContext; action: string; form: FormState; formToken: string; heading?: Child; children?: Child }) => (
  <form method="post" action={p.action} class="card" novalidate>
    {p.heading}
    <FormAlert form={p.form} />
    <SignedOutFields c={p.c} formToken={p.formToken} />
    {p.children}
  </form>
);

const PASSWORD_HINT = `At least ${PASSWORD_MIN_LENGTH} characters, and not your email address.`;

/** A new password typed twice (onboarding, reset, account). */
export const NewPasswordFields = (p: { form: FormState; confirmLabel: string }) => (
  <>
    <Input form={p.form} name="password" label="New password" type="password" hint={PASSWORD_HINT} required autocomplete="new-password" secret minlength={PASSWORD_MIN_LENGTH} />
    <Input form={p.form} name="password_confirm" label={p.confirmLabel} type="password" required autocomplete="new-password" secret />
  </>
);

/** The new password when both entries are given and equal; otherwise null, with the errors on the form. */
export function newPassword(form: FormState, values: FormState['values'], missing: string): string | null {
  const password = typeof values.password === 'string' ? values.password : '';
  if (!password) form.errors.password = missing;
  else if (password !== values.password_confirm) form.errors.password_confirm = 'The two passwords do not match.';
  return form.errors.password || form.errors.password_confirm ? null : password;
}
