import { Hono } from 'hono';
import { isProxyAdmin } from '../../auth/roles';
import { forbidden } from '../../core/errors';
import type { InvitationStatus, IssuedInvitation } from '../../invitations/service';
import { UpdateUser } from '../../users/inputs';
import type { UserItem } from '../../users/model';
import type { AppEnv } from '../core/env';
import { publicBaseUrl } from '../core/session-cookie';
import { Alert, BudgetFacts, ConfirmDelete } from './blocks';
import { BudgetFields, budgetInputs, EDIT_BUDGET_HINTS, USER_ROLE, USER_ROLE_OPTIONS } from './fields';
import { redirectWithFlash } from './flash';
import { choice, parseForm } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { formatDate, formatUsd, periodOptions, RESET_PERIODS } from './format';
import { CopyField, Csrf, FormAlert, Select } from './forms';
import { chrome, Layout } from './layout';
import { userPath } from './paths';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';

/**
 * One user, for admins: role and personal budget, invitation status and resend,
 * delete. Writes go through the services behind `/user/update`, `/user/delete`
 * and `/invitation/resend`; viewers see the same facts without any control.
 */

const FIELDS = ['user_role', 'max_budget', 'budget_duration'] as const;
const nameOf = (u: UserItem) => u.user_email ?? u.user_id;

/** The invitation status in words, for this page and the users list. */
export function invitationText(s: InvitationStatus): string {
  switch (s.state) {
    case 'accepted':
      return `Accepted ${formatDate(s.accepted_at)}`;
    case 'pending':
      return `Pending, link valid until ${formatDate(s.expires_at)}`;
    case 'expired':
      return `Expired ${formatDate(s.expires_at)}, not accepted`;
    case 'none':
      return 'Not invited';
  }
}

/** A new invitation link, shown once, and whether it was emailed. */
export function IssuedLink(p: { issued: IssuedInvitation; to: string; validity: string; notSent: string }) {
  return (
    <>
      <CopyField
        id="invitation-link"
        label="Invitation link"
        value={p.issued.invitation_link}
        hint={`Valid until ${formatDate(p.issued.invitation.expires_at)}, once. ${p.validity}`}
      />
      {p.issued.email_sent ? (
        <p class="flash" role="status">
          The invitation email was sent to {p.to}.
        </p>
      ) : (
        <Alert>
          The invitation email was not sent{p.issued.email_error ? `: ${p.issued.email_error}` : '.'} {p.notSent}
        </Alert>
      )}
    </>
  );
}

/** The user page's messages about the resend just done: the new link, once, and whether it was emailed. */
function Resent(p: { user: UserItem; issued?: IssuedInvitation; error?: string }) {
  if (p.error) {
    return (
      <Alert id="resend-alert">{p.error}</Alert>
    );
  }
  if (!p.issued) return null;
  return (
    <section class="card" aria-labelledby="resent-heading">
      <h2 id="resent-heading">New invitation for {nameOf(p.user)}</h2>
      <IssuedLink issued={p.issued} to={nameOf(p.user)} validity="Earlier links no longer work. It is shown only now." notSent="Share the link yourself." />
    </section>
  );
}

const formFor = (u: UserItem): FormState =>
  emptyForm('edit', { user_role: u.user_role, max_budget: u.max_budget === null ? '' : String(u.max_budget), budget_duration: u.budget_duration ?? '' });

type Extras = { form?: FormState; issued?: IssuedInvitation; resendError?: string; status?: Status };

async function userPage(c: PageContext, userId: string, extras: Extras = {}) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const user = await deps.users.info(actor, userId);
  const [teams, invitation] = await Promise.all([deps.teams.list(actor, user.user_id), deps.invitations.status(actor, user.user_id)]);
  const admin = isProxyAdmin(actor);
  const form = extras.form ?? formFor(user);
  const csrf = c.get('session')?.csrf;
  return render(
    c,
    <Layout title={`User ${nameOf(user)}`} {...await chrome(c, '/ui/users')}>
      <p>
        <a href="/ui/users">← All users</a>
      </p>
      <Resent user={user} issued={extras.issued} error={extras.resendError} />
      {admin ? null : <FormAlert form={form} />}
      <dl class="facts">
        <dt>User id</dt>
        <dd>
          <code>{user.user_id}</code>
        </dd>
        <dt>Role</dt>
        <dd>{user.user_role}</dd>
        <BudgetFacts label="Spend / max budget" spend={user.spend} limit={user.max_budget} duration={user.budget_duration} resetAt={user.budget_reset_at} />
        <dt>Teams</dt>
        <dd>
          {teams.length
            ? teams.map((t, i) => (
                <>
                  {i ? ', ' : ''}
                  <a href={`/ui/teams/${encodeURIComponent(t.team_id)}`}>{t.team_alias ?? t.team_id}</a>
                </>
              ))
            : 'none'}
        </dd>
        <dt>Password set</dt>
        <dd>{user.password_hash ? 'yes' : 'no'}</dd>
        <dt>Invitation</dt>
        <dd id="invitation-status">{invitationText(invitation)}</dd>
      </dl>
      {admin && invitation.state !== 'accepted' ? (
        <form method="post" action={`${userPath(user.user_id)}/resend`} aria-label="Resend invitation">
          <Csrf token={csrf} />
          <button type="submit" class="secondary">
            {invitation.state === 'none' ? 'Send invitation' : 'Resend invitation'}
          </button>
        </form>
      ) : null}
      {admin ? (
        <>
          <form method="post" action={userPath(user.user_id)} class="card" novalidate aria-labelledby="edit-user-heading">
            <h2 id="edit-user-heading">Role and budget</h2>
            <FormAlert form={form} />
            <Csrf token={csrf} />
            <Select
              form={form}
              name="user_role"
              label="Role"
              options={USER_ROLE_OPTIONS}
              hint="proxy_admin does everything; proxy_admin_viewer reads everything; internal_user manages their own keys; internal_user_viewer only looks."
            />
            <BudgetFields form={form} whose="personal" periods={periodOptions(RESET_PERIODS, user.budget_duration)} hints={EDIT_BUDGET_HINTS} />
            <button type="submit">Save user</button>
          </form>
          <p>
            <a href={`${userPath(user.user_id)}/delete`}>Delete this user…</a>
          </p>
        </>
      ) : null}
    </Layout>,
    extras.status ?? 200,
  );
}

async function deletePage(c: PageContext, user: UserItem, error?: string, status: Status = 200) {
  const keys = await c.get('deps').keys.ofUser(user.user_id);
  const teams = user.teams?.size ?? 0;
  return render(
    c,
    <Layout title={`Delete user ${nameOf(user)}`} {...await chrome(c, '/ui/users')}>
      <ConfirmDelete action={`${userPath(user.user_id)}/delete`} label="Delete user" csrf={c.get('session')?.csrf} cancel={userPath(user.user_id)} error={error}>
        This deletes {nameOf(user)}, their {keys.length} key{keys.length === 1 ? '' : 's'} (they stop working at once), their place in {teams} team
        {teams === 1 ? '' : 's'} and their invitations. It cannot be undone.
      </ConfirmDelete>
    </Layout>,
    status,
  );
}

export const userEditPages = new Hono<AppEnv>()
  .get('/users/:id', (c) => userPage(c, c.req.param('id')))
  .post('/users/:id', async (c) => {
    const actor = actorOf(c);
    const deps = c.get('deps');
    const user = await deps.users.info(actor, c.req.param('id'));
    const values = await readForm(c);
    const form = emptyForm('edit', Object.fromEntries(FIELDS.map((f) => [f, str(values, f)])));
    const input = parseForm(form, UpdateUser, { user_role: choice(USER_ROLE, ''), ...budgetInputs }, { fixed: { user_id: user.user_id } });
    if (!input) return userPage(c, user.user_id, { form, status: 400 });
    try {
      await deps.users.update(actor, input);
      return redirectWithFlash(c, userPath(user.user_id), `${nameOf(user)} saved: ${input.user_role}, max budget ${formatUsd(input.max_budget)}.`);
    } catch (err) {
      const e = applyError(form, err, FIELDS);
      return userPage(c, user.user_id, { form, status: statusOf(e) as Status });
    }
  })
  .post('/users/:id/resend', async (c) => {
    const actor = actorOf(c);
    const userId = c.req.param('id');
    try {
      const issued = await c.get('deps').invitations.resendToUser(actor, userId, publicBaseUrl(c));
      return userPage(c, userId, { issued });
    } catch (err) {
      const e = applyError(emptyForm('resend'), err, []);
      return userPage(c, userId, { resendError: e.message, status: statusOf(e) as Status });
    }
  })
  .get('/users/:id/delete', async (c) => {
    const actor = actorOf(c);
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can delete users.');
    return deletePage(c, await c.get('deps').users.require(c.req.param('id')));
  })
  .post('/users/:id/delete', async (c) => {
    const actor = actorOf(c);
    const deps = c.get('deps');
    const user = await deps.users.require(c.req.param('id'));
    try {
      await deps.users.delete(actor, [user.user_id]);
    } catch (err) {
      const e = applyError(emptyForm('delete'), err, []);
      if (e.kind === 'forbidden') throw e;
      return deletePage(c, user, e.message, statusOf(e) as Status);
    }
    return redirectWithFlash(c, '/ui/users', `User ${nameOf(user)} deleted, with their keys, memberships and invitations.`);
  });
