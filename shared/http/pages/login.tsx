import { Hono } from 'hono';
import { setSessionCookie } from '../core/session-cookie';
import type { AppEnv } from '../core/env';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { FormAlert, Input } from './forms';
import { chrome, Layout } from './layout';
import { render, statusOf, type PageContext } from './render';
import { safeNext } from './safe-next';
import { formExpired, issueFormToken, SignedOutFields, SignedOutForm } from './signed-out';

/**
 * /ui/login: email (or "admin") and password; the master key signs in as "admin".
 * With SSO configured, "Sign in with SSO" first; with password sign-in turned off,
 * only SSO, and the master key sign-in folded away for the admin.
 */
async function loginPage(c: PageContext, form: FormState, next: string, status: 200 | 400 | 401 | 403 | 429 = 200) {
  const formToken = issueFormToken(c);
  const { config, sso } = c.get('deps');
  const ssoHref = `/sso/key/generate${next === '/ui' ? '' : `?next=${encodeURIComponent(next)}`}`;
  const hidden = (
    <>
      <SignedOutFields c={c} formToken={formToken} />
      <input type="hidden" name="next" value={next} />
    </>
  );
  return render(
    c,
    <Layout title="Sign in" {...await chrome(c)} principal={null}>
      {sso ? (
        <section class="card" aria-labelledby="sso-heading">
          <h2 id="sso-heading">Your company account</h2>
          <p>
            <a class="button" href={ssoHref}>
              Sign in with SSO
            </a>
          </p>
          <p class="hint">First time here? Signing in with SSO creates your onramp account.</p>
        </section>
      ) : null}
      {config.passwordLogin ? (
        <SignedOutForm c={c} action="/ui/login" form={form} formToken={formToken} heading={sso ? <h2>Or with a password</h2> : null}>
          <input type="hidden" name="next" value={next} />
          <Input form={form} name="username" label="Email" hint='Admins: "admin", with the master key as password.' required autocomplete="username" />
          <Input form={form} name="password" label="Password" type="password" required autocomplete="current-password" secret />
          <button type="submit">Sign in</button>
          <p>
            <a href="/ui/forgot-password">Forgot your password?</a>
          </p>
        </SignedOutForm>
      ) : (
        <>
          {form.general ? <FormAlert form={form} /> : null}
          <details class="card" open={form.general || form.errors.password ? true : undefined}>
            <summary>Administrator: sign in with the master key</summary>
            <form method="post" action="/ui/login" novalidate>
              {hidden}
              <input type="hidden" name="username" value="admin" />
              <Input form={form} name="password" label="Master key" type="password" required autocomplete="current-password" secret />
              <button type="submit">Sign in as admin</button>
            </form>
          </details>
        </>
      )}
      {config.passwordLogin ? <p class="muted">New here? Open the invitation link from your email to set your password.</p> : null}
    </Layout>,
    status,
  );
}

export const loginPages = new Hono<AppEnv>()
  .get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    if (c.get('principal')) return c.redirect(next, 303);
    return loginPage(c, emptyForm('login'), next);
  })
  .post('/login', async (c) => {
    const values = await readForm(c);
    const form = emptyForm('login', { username: str(values, 'username') });
    const next = safeNext(str(values, 'next'));
    if (formExpired(c, values, form)) return loginPage(c, form, next, 403);
    const username = str(values, 'username');
    const password = typeof values.password === 'string' ? values.password : '';
    if (!username) form.errors.username = 'Enter your email (or "admin").';
    if (!password) form.errors.password = c.get('deps').config.passwordLogin ? 'Enter your password.' : 'Enter the master key.';
    if (form.errors.username || form.errors.password) return loginPage(c, form, next, 400);
    try {
      const userId = await c.get('deps').logins.verify(username, password);
      await setSessionCookie(c, userId);
      return c.redirect(next, 303);
    } catch (err) {
      const e = applyError(form, err, []);
      return loginPage(c, form, next, statusOf(e) as 401 | 429);
    }
  });
