import { Hono } from 'hono';
import { setSessionCookie } from '../session-cookie';
import type { AppEnv } from '../env';
import { Csrf, FormAlert, Input } from './forms';
import { chrome, Layout } from './layout';
import {
  applyError,
  emptyForm,
  FORM_EXPIRED,
  FORM_FIELD,
  formTokenValid,
  issueFormToken,
  readForm,
  render,
  safeNext,
  statusOf,
  str,
  type FormState,
  type PageContext,
} from './ui';

/** /ui/login: email (or "admin") and password; the master key signs in as "admin". */
async function loginPage(c: PageContext, form: FormState, next: string, status: 200 | 400 | 401 | 403 | 429 = 200) {
  const formToken = issueFormToken(c);
  return render(
    c,
    <Layout title="Sign in" {...await chrome(c)} principal={null}>
      <form method="post" action="/ui/login" class="card" novalidate>
        <FormAlert form={form} />
        <Csrf token={c.get('session')?.csrf} />
        <input type="hidden" name={FORM_FIELD} value={formToken} />
        <input type="hidden" name="next" value={next} />
        <Input form={form} name="username" label="Email" hint='Admins: "admin", with the master key as password.' required autocomplete="username" />
        <Input form={form} name="password" label="Password" type="password" required autocomplete="current-password" secret />
        <button type="submit">Sign in</button>
      </form>
      <p class="muted">New here? Open the invitation link from your email to set your password.</p>
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
    if (!formTokenValid(c, str(values, FORM_FIELD))) {
      form.general = FORM_EXPIRED;
      return loginPage(c, form, next, 403);
    }
    const username = str(values, 'username');
    const password = typeof values.password === 'string' ? values.password : '';
    if (!username) form.errors.username = 'Enter your email (or "admin").';
    if (!password) form.errors.password = 'Enter your password.';
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
