import { Hono } from 'hono';
import { PASSWORD_LOGIN_OFF } from '../../auth/logins';
import { checkPasswordResetLink, RESET_REQUESTED, requestPasswordReset, resetPassword } from '../../auth/password-reset';
import { ForgotPassword, ResetPassword } from '../../auth/inputs';
import { MASTER_KEY_USER_ID } from '../../auth/roles';
import { DomainError, forbidden } from '../../core/errors';
import { UpdateUser } from '../../users/inputs';
import type { AppEnv } from '../core/env';
import { publicBaseUrl, setSessionCookie } from '../core/session-cookie';
import { Message } from './blocks';
import { redirectWithFlash } from './flash';
import { given, parseForm, text } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { Csrf, FormAlert, Input } from './forms';
import { chrome, Layout } from './layout';
import { actorOf, render, statusOf, type PageContext } from './render';
import { formExpired, issueFormToken, NewPasswordFields, newPassword, SignedOutForm } from './signed-out';

/**
 * Passwords on the web pages: /ui/forgot-password (ask for a reset link),
 * /ui/reset-password?id=… (the emailed link: choose a new password) and
 * /ui/account (signed in: change your password with the current one).
 * All of them are off when password sign-in is (SSO only).
 */

const CHOOSE = 'Choose a new password.';
type Status = 200 | 400 | 401 | 403 | 409 | 429;

/** A page with one message and a way back, for what no form can fix. */
async function messagePage(c: PageContext, title: string, message: string, status: Status, back = { href: '/ui/login', text: 'Back to sign in' }) {
  return render(
    c,
    <Layout title={title} {...await chrome(c)}>
      <Message message={message} back={back} />
    </Layout>,
    status,
  );
}

const passwordLoginOff = (c: PageContext) => messagePage(c, 'Password sign-in is off', PASSWORD_LOGIN_OFF, 403);

async function forgotPage(c: PageContext, form: FormState, status: Status = 200, sent = false) {
  // Issued before rendering: its cookie must be set on this response.
  const formToken = issueFormToken(c);
  return render(
    c,
    <Layout title="Forgot your password?" {...await chrome(c)} principal={null}>
      {sent ? (
        <div class="flash" role="status">
          {RESET_REQUESTED}
        </div>
      ) : (
        <p>Enter the email you sign in with. If it belongs to an account, we email it a link to choose a new password.</p>
      )}
      <SignedOutForm c={c} action="/ui/forgot-password" form={form} formToken={formToken}>
        <Input form={form} name="user_email" label="Email" type="email" required autocomplete="username" />
        <button type="submit">{sent ? 'Send another link' : 'Email me a reset link'}</button>
      </SignedOutForm>
      <p>
        <a href="/ui/login">Back to sign in</a>
      </p>
    </Layout>,
    status,
  );
}

type ResetLink = { id: string; user_email: string };

async function resetPage(c: PageContext, link: ResetLink, form: FormState, status: Status = 200) {
  const formToken = issueFormToken(c);
  return render(
    c,
    <Layout title="Choose a new password" {...await chrome(c)} principal={null}>
      <p>
        For <strong>{link.user_email}</strong>. Setting it signs this account out everywhere; then sign in with the new password.
      </p>
      <SignedOutForm c={c} action="/ui/reset-password" form={form} formToken={formToken}>
        <input type="hidden" name="reset_id" value={link.id} />
        {/* Lets password managers save the password under the right account. */}
        <input type="hidden" name="username" autocomplete="username" value={link.user_email} />
        <NewPasswordFields form={form} confirmLabel="Confirm new password" />
        <button type="submit">Set new password</button>
      </SignedOutForm>
    </Layout>,
    status,
  );
}

/** A link that cannot work (unknown, used, expired, outdated): say so, and offer a new one. */
const deadLink = (c: PageContext, message: string, status: Status) =>
  messagePage(c, 'Reset link not valid', message, status, { href: '/ui/forgot-password', text: 'Ask for a new reset link' });

async function accountPage(c: PageContext, form: FormState, status: Status = 200) {
  const actor = actorOf(c);
  const { config, users } = c.get('deps');
  const user = actor.userId === MASTER_KEY_USER_ID ? undefined : await users.require(actor.userId);
  return render(
    c,
    <Layout title="Your account" {...await chrome(c, '/ui/account')}>
      {!user ? (
        <p class="notice">You are signed in as admin with the master key: it has no password to change here.</p>
      ) : !config.passwordLogin ? (
        <>
          <dl class="facts">
            <dt>Email</dt>
            <dd>{user.user_email ?? '—'}</dd>
          </dl>
          <p class="notice">Password sign-in is turned off: you sign in with SSO, so there is no password to change here.</p>
        </>
      ) : (
        <>
          <dl class="facts">
            <dt>Email</dt>
            <dd>{user.user_email ?? '—'}</dd>
            <dt>Role</dt>
            <dd>{user.user_role}</dd>
          </dl>
          <form method="post" action="/ui/account" class="card" novalidate>
            <h2>Change password</h2>
            <p class="hint">Changing it signs your account out everywhere else; this browser stays signed in.</p>
            <FormAlert form={form} />
            <Csrf token={c.get('session')?.csrf} />
            <input type="hidden" name="username" autocomplete="username" value={user.user_email ?? ''} />
            {user.password_hash ? (
              <Input form={form} name="current_password" label="Current password" type="password" required autocomplete="current-password" secret />
            ) : null}
            <NewPasswordFields form={form} confirmLabel="Confirm new password" />
            <button type="submit">Change password</button>
          </form>
        </>
      )}
    </Layout>,
    status,
  );
}

export const passwordPages = new Hono<AppEnv>()
  .get('/forgot-password', async (c) => {
    if (!c.get('deps').config.passwordLogin) return passwordLoginOff(c);
    return forgotPage(c, emptyForm('forgot'));
  })
  .post('/forgot-password', async (c) => {
    if (!c.get('deps').config.passwordLogin) return passwordLoginOff(c);
    const values = await readForm(c);
    const form = emptyForm('forgot', { user_email: str(values, 'user_email') });
    if (formExpired(c, values, form)) return forgotPage(c, form, 403);
    const input = parseForm(form, ForgotPassword, { user_email: text('Enter the email address you sign in with, for example ana@example.com.', '') });
    if (!input) return forgotPage(c, form, 400);
    try {
      await requestPasswordReset(c.get('deps'), input.user_email, publicBaseUrl(c));
      return forgotPage(c, form, 200, true);
    } catch (err) {
      const e = applyError(form, err, []);
      return forgotPage(c, form, statusOf(e) as Status);
    }
  })
  .get('/reset-password', async (c) => {
    if (!c.get('deps').config.passwordLogin) return passwordLoginOff(c);
    const id = c.req.query('id')?.trim();
    if (!id) return deadLink(c, 'This page needs the link from your password reset email (…/ui/reset-password?id=…).', 400);
    try {
      const link = await checkPasswordResetLink(c.get('deps'), id);
      return resetPage(c, { id, user_email: link.user_email }, emptyForm('reset'));
    } catch (err) {
      if (err instanceof DomainError) return deadLink(c, err.message, statusOf(err) as Status);
      throw err;
    }
  })
  .post('/reset-password', async (c) => {
    if (!c.get('deps').config.passwordLogin) return passwordLoginOff(c);
    const values = await readForm(c);
    const link: ResetLink = { id: str(values, 'reset_id'), user_email: str(values, 'username') };
    if (!link.id) return deadLink(c, 'This page needs the link from your password reset email (…/ui/reset-password?id=…).', 400);
    const form = emptyForm('reset');
    if (formExpired(c, values, form)) return resetPage(c, link, form, 403);
    const password = newPassword(form, values, CHOOSE);
    const input = password === null ? null : parseForm(form, ResetPassword, { password: given(password) }, { fixed: { reset_id: link.id } });
    if (!input) return resetPage(c, link, form, 400);
    try {
      const user = await resetPassword(c.get('deps'), input.reset_id, input.password);
      return redirectWithFlash(c, '/ui/login', `Your new password is set for ${user.user_email ?? user.user_id}, and every earlier session is signed out. Sign in with it.`);
    } catch (err) {
      const e = applyError(form, err, ['password']);
      // A used, expired, unknown or outdated link: the form cannot succeed.
      if (e.kind === 'unauthenticated') return deadLink(c, e.message, 401);
      return resetPage(c, link, form, statusOf(e) as Status);
    }
  });

/** Your own account's password: signed in (the other pages here work signed out). */
export const accountPages = new Hono<AppEnv>()
  .get('/account', (c) => accountPage(c, emptyForm('account')))
  .post('/account', async (c) => {
    const actor = actorOf(c);
    if (!c.get('deps').config.passwordLogin) throw forbidden(PASSWORD_LOGIN_OFF);
    if (actor.userId === MASTER_KEY_USER_ID) throw forbidden('The master key has no password to change: it is set in ONRAMP_MASTER_KEY.');
    const values = await readForm(c);
    const form = emptyForm('account');
    const password = newPassword(form, values, CHOOSE);
    const currentPassword = typeof values.current_password === 'string' ? values.current_password : undefined;
    const input =
      password === null ? null : parseForm(form, UpdateUser, { password: given(password), current_password: given(currentPassword || undefined) }, { fixed: { user_id: actor.userId } });
    if (!input) return accountPage(c, form, 400);
    try {
      // The same rules as /user/update: a signed-in session and the current password.
      await c.get('deps').users.update(actor, input);
    } catch (err) {
      const e = applyError(form, err, ['password', 'current_password']);
      // The API names its field; the page names what the reader typed.
      if (form.errors.current_password) form.errors.current_password = form.errors.current_password.replace(/^current_password is not/, 'This is not');
      return accountPage(c, form, statusOf(e) as Status);
    }
    // The new password ended every session, this one too: this browser gets a new one.
    await setSessionCookie(c, actor.userId);
    return redirectWithFlash(c, '/ui/account', 'Your password is changed. Every other session of your account is signed out.');
  });
