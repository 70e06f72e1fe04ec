import { Hono } from 'hono';
import { isProxyAdmin } from '../../auth/roles';
import type { IssuedInvitation } from '../../invitations/service';
import type { JoinError, NewUser } from '../../provisioning/service';
import type { TeamItem } from '../../teams/model';
import { NewUserFields } from '../../users/inputs';
import type { UserItem } from '../../users/model';
import type { AppEnv } from '../core/env';
import { publicBaseUrl } from '../core/session-cookie';
import { Alert, Pager } from './blocks';
import { EMAIL, USER_ROLE, USER_ROLE_OPTIONS } from './fields';
import { choice, email, parseForm } from './form-input';
import { applyError, emptyForm, readForm, str, type FormState } from './form-state';
import { formatUsd } from './format';
import { Checkbox, Csrf, FormAlert, Input, Select } from './forms';
import { chrome, Layout } from './layout';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';
import { Table } from './table';
import { invitationText, IssuedLink } from './user-edit';

const PAGE_SIZE = 50;

/** What the page shows right after a user is created or re-invited: the link, once, and whether it was emailed. */
type Outcome = { user: UserItem; issued: IssuedInvitation | null; inviteError?: string; joinErrors: JoinError[]; created: boolean };

function InvitationResult(p: { outcome: Outcome; teams: TeamItem[] }) {
  const { user, issued, inviteError, joinErrors, created } = p.outcome;
  const email = user.user_email ?? user.user_id;
  const joined = [...(user.teams ?? [])].map((id) => p.teams.find((t) => t.team_id === id)?.team_alias ?? id);
  return (
    <section class="card" aria-labelledby="invitation-heading">
      <h2 id="invitation-heading">{created ? `User ${email} created` : `New invitation for ${email}`}</h2>
      {created ? (
        <p>
          Role <strong>{user.user_role}</strong>; teams: {joined.length ? joined.join(', ') : 'none'}; default models:{' '}
          {user.models.length ? user.models.join(', ') : 'none set'}.
        </p>
      ) : null}
      {joinErrors.length ? (
        <Alert>The user was created but could not join: {joinErrors.map((e) => `${e.team_id} (${e.message})`).join('; ')}</Alert>
      ) : null}
      {issued ? (
        <IssuedLink
          issued={issued}
          to={email}
          validity="It is shown only now: save it if you need to share it yourself."
          notSent="Share the link yourself, or create a new invitation below to try again."
        />
      ) : (
        <Alert>No invitation was created: {inviteError}</Alert>
      )}
    </section>
  );
}

function CreateUserForm(p: { c: PageContext; form: FormState; defaultRole: string }) {
  return (
    <form method="post" action="/ui/users" class="card" novalidate aria-labelledby="create-user-heading">
      <h2 id="create-user-heading">Create a user</h2>
      <FormAlert form={p.form} />
      <Csrf token={p.c.get('session')?.csrf} />
      <Input form={p.form} name="user_email" label="Email" type="email" required autocomplete="off" />
      <Select
        form={p.form}
        name="user_role"
        label="Role"
        options={USER_ROLE_OPTIONS}
        hint={`internal_user creates and deletes their own keys; viewers only look. New non-admin users get the default user settings (default role: ${p.defaultRole}).`}
      />
      <Checkbox form={p.form} name="send_email" label="Email the invitation link to the user" checked={p.form.values.send_email !== 'off'} />
      <button type="submit">Create user</button>
    </form>
  );
}

async function usersPage(c: PageContext, form: FormState, opts: { outcome?: Outcome; status?: Status } = {}) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const page = Math.max(1, Number(c.req.query('page')) || 1);
  const [result, teams, settings] = await Promise.all([
    deps.users.list(actor, { page, page_size: PAGE_SIZE, sort_by: 'created_at', sort_order: 'asc' }),
    deps.teams.list(actor),
    deps.settings.internalUser(),
  ]);
  const invitations = await Promise.all(result.users.map((u) => deps.invitations.status(actor, u.user_id)));
  const teamName = (id: string) => teams.find((t) => t.team_id === id)?.team_alias ?? id;
  const admin = isProxyAdmin(actor);
  const csrf = c.get('session')?.csrf;
  return render(
    c,
    <Layout title="Internal users" {...await chrome(c, '/ui/users')}>
      {opts.outcome ? <InvitationResult outcome={opts.outcome} teams={teams} /> : null}
      {admin ? <CreateUserForm c={c} form={form} defaultRole={settings.user_role} /> : null}
      <h2 id="users-heading">
        {result.total} user{result.total === 1 ? '' : 's'}
      </h2>
      <Table
        rows={result.users}
        empty="No users yet."
        columns={['Email', 'User id', 'Role', 'Teams', 'Models', 'Spend / budget', 'Password set', 'Invitation', admin ? 'Actions' : null]}
        labelledBy="users-heading"
        row={(u, i) => (
          <tr>
            <td>
              <a href={`/ui/users/${encodeURIComponent(u.user_id)}`}>{u.user_email ?? u.user_id}</a>
            </td>
            <td>
              <code>{u.user_id}</code>
            </td>
            <td>{u.user_role}</td>
            <td>{u.teams?.size ? [...u.teams].map(teamName).join(', ') : '—'}</td>
            <td>{u.models.length ? u.models.join(', ') : '—'}</td>
            <td>
              {formatUsd(u.spend)} / {formatUsd(u.max_budget)}
            </td>
            <td>{u.password_hash ? 'yes' : 'no'}</td>
            <td>{invitationText(invitations[i]!)}</td>
            {admin ? (
              <td>
                <a class="button secondary" href={`/ui/users/${encodeURIComponent(u.user_id)}`} aria-label={`Edit ${u.user_email ?? u.user_id}`}>
                  Edit
                </a>{' '}
                {invitations[i]!.state === 'accepted' ? null : (
                  <form method="post" action={`/ui/users/${encodeURIComponent(u.user_id)}/resend`}>
                    <Csrf token={csrf} />
                    {invitations[i]!.state === 'none' ? (
                      <button type="submit" class="secondary" aria-label={`Send an invitation to ${u.user_email ?? u.user_id}`}>
                        Send invitation
                      </button>
                    ) : (
                      <button type="submit" class="secondary" aria-label={`Resend the invitation to ${u.user_email ?? u.user_id}`}>
                        Resend invitation
                      </button>
                    )}
                  </form>
                )}
              </td>
            ) : null}
          </tr>
        )}
      />
      <Pager label="Pages of users" page={page} pages={result.total_pages} href={(n) => `/ui/users?page=${n}`} previous="Previous" next="Next" />
    </Layout>,
    opts.status ?? 200,
  );
}

/** The invitation made with the user; a failure to invite does not undo the user, it is shown. */
function invitationOutcome(invitation: NewUser['invitation']): Pick<Outcome, 'issued' | 'inviteError'> {
  if (!invitation) return { issued: null };
  if ('issued' in invitation) return { issued: invitation.issued };
  return { issued: null, inviteError: applyError(emptyForm('x'), invitation.failed, []).message };
}

export const userPages = new Hono<AppEnv>()
  .get('/users', async (c) => usersPage(c, emptyForm('user', { user_role: (await c.get('deps').settings.internalUser()).user_role })))
  .post('/users', async (c) => {
    const actor = actorOf(c);
    const values = await readForm(c);
    const sendEmail = str(values, 'send_email') === 'on';
    const form = emptyForm('user', { user_email: str(values, 'user_email').toLowerCase(), user_role: str(values, 'user_role'), send_email: sendEmail ? 'on' : 'off' });
    const input = parseForm(form, NewUserFields, { user_email: email(EMAIL), user_role: choice(USER_ROLE, '') });
    if (!input) return usersPage(c, form, { status: 400 });
    let created: NewUser;
    try {
      created = await c.get('deps').provisioning.createUser(actor, input, { invite: { sendEmail, baseUrl: publicBaseUrl(c) } });
    } catch (err) {
      const e = applyError(form, err, ['user_email', 'user_role']);
      return usersPage(c, form, { status: statusOf(e) as Status });
    }
    const outcome: Outcome = { user: created.user, joinErrors: created.join_errors, created: true, ...invitationOutcome(created.invitation) };
    return usersPage(c, emptyForm('user', { user_role: input.user_role ?? '' }), { outcome });
  });
