import { Hono } from 'hono';
import { DomainError } from '../../core/errors';
import { ClaimInvitation } from '../../invitations/inputs';
import { LINK_EXPIRED, LINK_REPLACED, LINK_UNKNOWN, LINK_USED } from '../../invitations/service';
import type { AppEnv } from '../core/env';
import { publicBaseUrl, setSessionCookie } from '../core/session-cookie';
import { Alert } from './blocks';
import { redirectWithFlash } from './flash';
import { given, parseForm } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { chrome, Layout } from './layout';
import { render, statusOf, type PageContext } from './render';
import { formExpired, issueFormToken, NewPasswordFields, newPassword, SignedOutForm } from './signed-out';

/** What the form carries from the link to the claim: the invitation, its user and the short-lived onboarding token. */
type Invite = { id: string; user_id: string; user_email: string | null; token: string };

/** The link cannot be used (used, expired, unknown), or the page was opened without one. */
async function invalidLink(c: PageContext, message: string, status: 400 | 401 | 404, retryId?: string) {
  const linkIsDead = [LINK_USED, LINK_EXPIRED, LINK_UNKNOWN, LINK_REPLACED].includes(message);
  return render(
    c,
    <Layout title="Invitation" {...await chrome(c)} principal={null}>
      <Alert>{message}</Alert>
      {retryId && !linkIsDead ? (
        <p>
          <a href={`/ui/onboarding?id=${encodeURIComponent(retryId)}`}>Open the invitation again</a> to start over.
        </p>
      ) : message === LINK_REPLACED ? (
        <p>
          Look for the newest invitation email from onramp and use its link. If you have already set your password, <a href="/ui/login">sign in</a>.
        </p>
      ) : (
        <p>
          Ask your administrator for a new invitation link. If you have already set your password, <a href="/ui/login">sign in</a>.
        </p>
      )}
    </Layout>,
    status,
  );
}

async function onboardingPage(c: PageContext, invite: Invite, form: FormState, status: 200 | 400 | 401 | 403 = 200) {
  const formToken = issueFormToken(c);
  return render(
    c,
    <Layout title="Welcome to onramp" {...await chrome(c)} principal={null}>
      <p>
        You are invited as <strong>{invite.user_email ?? invite.user_id}</strong>. Choose a password to finish setting up your account; you
        will be signed in right away.
      </p>
      <SignedOutForm c={c} action="/ui/onboarding" form={form} formToken={formToken}>
        <input type="hidden" name="invitation_id" value={invite.id} />
        <input type="hidden" name="user_id" value={invite.user_id} />
        <input type="hidden" name="onboarding_token" value={invite.token} />
        {/* Lets password managers save the password under the right account. */}
        <input type="hidden" name="username" autocomplete="username" value={invite.user_email ?? ''} />
        <NewPasswordFields form={form} confirmLabel="Confirm password" />
        <button type="submit">Set password and sign in</button>
      </SignedOutForm>
    </Layout>,
    status,
  );
}

export const onboardingPages = new Hono<AppEnv>()
  .get('/onboarding', async (c) => {
    const id = c.req.query('id')?.trim();
    if (!id) return invalidLink(c, 'This page needs the invitation link from your email (…/ui/onboarding?id=…).', 400);
    try {
      const start = await c.get('deps').invitations.onboardingToken(id, publicBaseUrl(c));
      return onboardingPage(c, { id, user_id: start.user_id, user_email: start.user_email, token: start.token }, emptyForm('onboarding'));
    } catch (err) {
      if (err instanceof DomainError) return invalidLink(c, err.message, statusOf(err) === 401 ? 401 : 400);
      throw err;
    }
  })
  .post('/onboarding', async (c) => {
    const values = await readForm(c);
    const invite: Invite = {
      id: str(values, 'invitation_id'),
      user_id: str(values, 'user_id'),
      user_email: str(values, 'username') || null,
      token: str(values, 'onboarding_token'),
    };
    if (!invite.id || !invite.user_id) return invalidLink(c, 'This page needs the invitation link from your email (…/ui/onboarding?id=…).', 400);
    const form = emptyForm('onboarding');
    if (formExpired(c, values, form)) return onboardingPage(c, invite, form, 403);
    const password = newPassword(form, values, 'Choose a password.');
    if (password === null) return onboardingPage(c, invite, form, 400);

    const deps = c.get('deps');
    const input = parseForm(form, ClaimInvitation, { password: given(password) }, { fixed: { invitation_link: invite.id, user_id: invite.user_id, token: invite.token || undefined } });
    // The link's own fields (hidden, from the link): a form that cannot succeed.
    if (!input) return form.errors.password ? onboardingPage(c, invite, form, 400) : invalidLink(c, form.general ?? LINK_UNKNOWN, 400, invite.id);
    try {
      const { user } = await deps.provisioning.claimInvitation(input);
      await setSessionCookie(c, user.user_id);
      return redirectWithFlash(c, '/ui', `Welcome, ${user.user_email ?? user.user_id}: your password is set and you are signed in.`);
    } catch (err) {
      const e = applyError(form, err, ['password']);
      // A used, expired or unknown link: say so plainly, the form cannot succeed.
      if (e.kind === 'unauthenticated' && !form.errors.password) return invalidLink(c, e.message, 401, invite.id);
      return onboardingPage(c, invite, form, statusOf(e) === 401 ? 401 : 400);
    }
  });
