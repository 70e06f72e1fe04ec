import { Hono } from 'hono';
import { isProxyAdmin, readsEverything } from '../../auth/roles';
import type { KeyItem } from '../../keys/model';
import { MemberRef, NewTeam, UpdatePermissions } from '../../teams/inputs';
import { DEFAULT_TEAM_MEMBER_PERMISSIONS, effectiveMemberBudget, SELF_SERVE_KEY_PERMISSIONS } from '../../teams/model';
import type { AppEnv } from '../core/env';
import { BudgetFacts } from './blocks';
import { BudgetFields, EMAIL, MoneyInput, ModelsField, PERMISSION_OPTIONS, permissionsInput, TEAM_ROLE, TEAM_ROLE_OPTIONS, teamInputs } from './fields';
import { redirectWithFlash } from './flash';
import { choice, email, given, parseForm } from './form-input';
import { applyError, emptyForm, list, readForm, str, type FormState } from './form-state';
import { formatUsd, resetLabel } from './format';
import { Checkbox, Checkboxes, Csrf, FormAlert, Input, Select } from './forms';
import { chrome, Layout } from './layout';
import { teamPath } from './paths';
import { inPlainWords } from './plain-words';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';
import { Table } from './table';

const TEAM_FIELDS = ['team_alias', 'models', 'max_budget', 'budget_duration', 'team_member_budget'] as const;

// ---- /ui/teams: the list and the create form ----

function CreateTeamForm(p: { c: PageContext; form: FormState }) {
  return (
    <form method="post" action="/ui/teams" class="card" novalidate aria-labelledby="create-team-heading">
      <h2 id="create-team-heading">Create a team</h2>
      <FormAlert form={p.form} />
      <Csrf token={p.c.get('session')?.csrf} />
      <Input form={p.form} name="team_alias" label="Team name" required hint="Unique, e.g. internal exploration." />
      <ModelsField form={p.form} hint="Comma or newline separated, e.g. gpt-4o, claude-3-5-sonnet. Empty means all models." />
      <BudgetFields form={p.form} whose="team" hints={{ budget: "The whole team's spend never exceeds this.", period: 'Spend goes back to zero at the start of each period.' }} />
      <MoneyInput form={p.form} name="team_member_budget" label="Team member max budget (USD)" hint="What each member may spend in this team." />
      <Checkbox
        form={p.form}
        name="members_create_keys"
        label="Members can create their own keys"
        checked={str(p.form.values, 'members_create_keys') !== 'off'}
        hint={`Lets every member create, list, see and delete their own keys in this team (${SELF_SERVE_KEY_PERMISSIONS.join(', ')}). Change it later under Member permissions.`}
      />
      <button type="submit">Create team</button>
    </form>
  );
}

async function teamsPage(c: PageContext, form: FormState, status: Status = 200) {
  const actor = actorOf(c);
  const teams = await c.get('deps').teams.list(actor);
  return render(
    c,
    <Layout title="Teams" {...await chrome(c, '/ui/teams')}>
      {isProxyAdmin(actor) ? <CreateTeamForm c={c} form={form} /> : null}
      <h2>{teams.length} team{teams.length === 1 ? '' : 's'}</h2>
      <Table
        rows={teams}
        empty="No teams yet."
        columns={['Team', 'Models', 'Spend / max budget', 'Reset', 'Member budget', 'Members']}
        row={(t) => (
          <tr>
            <td>
              <a href={teamPath(t.team_id)}>{t.team_alias ?? t.team_id}</a>
            </td>
            <td>{t.models.length ? t.models.join(', ') : 'all models'}</td>
            <td>
              {formatUsd(t.spend)} / {formatUsd(t.max_budget)}
            </td>
            <td>{resetLabel(t.budget_duration)}</td>
            <td>{formatUsd(t.team_member_budget)}</td>
            <td>{Object.keys(t.members ?? {}).length}</td>
          </tr>
        )}
      />
    </Layout>,
    status,
  );
}

// ---- /ui/teams/:id: members, permissions, keys ----

type TeamForms = { member: FormState; permissions: FormState };
const freshTeamForms = (): TeamForms => ({ member: emptyForm('member', { role: 'user' }), permissions: emptyForm('perm') });

async function teamPage(c: PageContext, teamId: string, forms: TeamForms, status: Status = 200) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const { team, memberships, keys } = await deps.teams.info(actor, teamId);
  const manage = await deps.teams.canManage(actor, team);
  const csrf = c.get('session')?.csrf;
  const members = memberships.sort((a, b) => (a.user_email ?? a.user_id).localeCompare(b.user_email ?? b.user_id));
  const teamKeys = keys as unknown as KeyItem[];
  return render(
    c,
    <Layout title={`Team: ${team.team_alias ?? team.team_id}`} {...await chrome(c, '/ui/teams')}>
      <p>
        <a href="/ui/teams">← All teams</a>
      </p>
      <dl class="facts">
        <dt>Team id</dt>
        <dd>
          <code>{team.team_id}</code>
        </dd>
        <dt>Models</dt>
        <dd>{team.models.length ? team.models.join(', ') : 'all models'}</dd>
        <BudgetFacts label="Spend / max budget" spend={team.spend} limit={team.max_budget} duration={team.budget_duration} resetAt={team.budget_reset_at} />
        <dt>Team member max budget</dt>
        <dd>{formatUsd(team.team_member_budget)}</dd>
      </dl>
      {manage || readsEverything(actor) ? (
        <p>
          <a href={`${teamPath(team.team_id)}/usage`}>Usage: spend by day, model and member</a>
        </p>
      ) : null}
      {isProxyAdmin(actor) ? (
        <p class="actions">
          <a class="button secondary" href={`${teamPath(team.team_id)}/edit`}>
            Edit team
          </a>{' '}
          <a href={`${teamPath(team.team_id)}/delete`}>Delete team…</a>
        </p>
      ) : null}

      <h2 id="permissions-heading">Member permissions</h2>
      <p class="hint">What plain members (role "user") may do with their own keys in this team. Team admins may do everything.</p>
      {manage ? (
        <form method="post" action={`${teamPath(team.team_id)}/permissions`} class="card" aria-labelledby="permissions-heading">
          <FormAlert form={forms.permissions} />
          <Csrf token={csrf} />
          <Checkboxes
            form={forms.permissions}
            name="team_member_permissions"
            legend="Allowed key routes"
            options={PERMISSION_OPTIONS}
            checked={forms.permissions.values.team_member_permissions ? list(forms.permissions.values, 'team_member_permissions') : team.team_member_permissions}
          />
          <button type="submit">Save permissions</button>
        </form>
      ) : (
        <ul>
          {team.team_member_permissions.length ? team.team_member_permissions.map((p) => <li><code>{p}</code></li>) : <li>None</li>}
        </ul>
      )}

      <h2 id="members-heading">Members</h2>
      <Table
        rows={members}
        empty="No members yet."
        columns={['Email', 'User id', 'Role', 'Spend / budget in team', manage ? 'Actions' : null]}
        labelledBy="members-heading"
        row={(m) => (
          <tr>
            <td>{m.user_email ?? '—'}</td>
            <td>
              <code>{m.user_id}</code>
            </td>
            <td>{m.role}</td>
            <td>
              {formatUsd(m.spend)} / {formatUsd(effectiveMemberBudget(m, team))}
            </td>
            {manage ? (
              <td>
                <a
                  class="button secondary"
                  href={`${teamPath(team.team_id)}/members/${encodeURIComponent(m.user_id)}/edit`}
                  aria-label={`Change ${m.user_email ?? m.user_id} in the team`}
                >
                  Change
                </a>{' '}
                <form method="post" action={`${teamPath(team.team_id)}/members/remove`}>
                  <Csrf token={csrf} />
                  <input type="hidden" name="user_id" value={m.user_id} />
                  <button type="submit" class="secondary" aria-label={`Remove ${m.user_email ?? m.user_id} from the team`}>
                    Remove
                  </button>
                </form>
              </td>
            ) : null}
          </tr>
        )}
      />
      {manage ? (
        <form method="post" action={`${teamPath(team.team_id)}/members`} class="card" novalidate aria-labelledby="add-member-heading">
          <h3 id="add-member-heading">Add a member</h3>
          <FormAlert form={forms.member} />
          <Csrf token={csrf} />
          <div class="inline-fields">
            <Input form={forms.member} name="user_email" label="Email" type="email" required hint="A new email creates the user (invite them from Internal users)." />
            <Select form={forms.member} name="role" label="Team role" options={TEAM_ROLE_OPTIONS} />
          </div>
          <button type="submit">Add member</button>
        </form>
      ) : null}

      <h2>Keys in this team</h2>
      <Table
        rows={teamKeys}
        empty="No keys yet."
        columns={['Alias', 'Key', 'Owner', 'Spend', 'Max budget']}
        row={(k) => (
          <tr>
            <td>{k.key_alias ?? '—'}</td>
            <td>
              <code>{k.key_name}</code>
            </td>
            <td>{(k.user_id && team.members?.[k.user_id]?.user_email) ?? k.user_id ?? '—'}</td>
            <td>{formatUsd(k.spend)}</td>
            <td>{formatUsd(k.max_budget)}</td>
          </tr>
        )}
      />
    </Layout>,
    status,
  );
}

/** A refusal in plain words, naming the caller's teams by alias. */
async function plain(c: PageContext, err: unknown): Promise<unknown> {
  const actor = actorOf(c);
  return inPlainWords(err, await c.get('deps').teams.list(actor), actor.userId);
}

export const teamPages = new Hono<AppEnv>()
  .get('/teams', (c) => teamsPage(c, emptyForm('team', { budget_duration: '' })))
  .post('/teams', async (c) => {
    const actor = actorOf(c);
    const values = await readForm(c);
    const form = emptyForm('team', Object.fromEntries(TEAM_FIELDS.map((f) => [f, str(values, f)])));
    // An unchecked box is not posted at all.
    const selfServe = str(values, 'members_create_keys') === 'on';
    form.values.members_create_keys = selfServe ? 'on' : 'off';
    const permissions = selfServe ? [...new Set([...DEFAULT_TEAM_MEMBER_PERMISSIONS, ...SELF_SERVE_KEY_PERMISSIONS])] : [...DEFAULT_TEAM_MEMBER_PERMISSIONS];
    const input = parseForm(form, NewTeam, { ...teamInputs, team_member_permissions: given(permissions) });
    if (!input) return teamsPage(c, form, 400);
    try {
      const team = await c.get('deps').teams.create(actor, input);
      return redirectWithFlash(
        c,
        teamPath(team.team_id),
        `Team ${input.team_alias} created.${selfServe ? ' Its members can create their own keys.' : ' Its members cannot create keys until you allow it under Member permissions.'}`,
      );
    } catch (err) {
      const e = applyError(form, err, TEAM_FIELDS);
      return teamsPage(c, form, statusOf(e) as Status);
    }
  })
  .get('/teams/:id', (c) => teamPage(c, c.req.param('id'), freshTeamForms()))
  .post('/teams/:id/permissions', async (c) => {
    const actor = actorOf(c);
    const teamId = c.req.param('id');
    const values = await readForm(c);
    const forms = freshTeamForms();
    forms.permissions.values.team_member_permissions = list(values, 'team_member_permissions');
    const input = parseForm(forms.permissions, UpdatePermissions, { team_member_permissions: permissionsInput }, { fixed: { team_id: teamId } });
    if (!input) return teamPage(c, teamId, forms, 400);
    try {
      await c.get('deps').teams.updatePermissions(actor, teamId, input.team_member_permissions);
      return redirectWithFlash(c, teamPath(teamId), 'Member permissions saved.');
    } catch (err) {
      const e = applyError(forms.permissions, await plain(c, err), ['team_member_permissions']);
      return teamPage(c, teamId, forms, statusOf(e) as Status);
    }
  })
  .post('/teams/:id/members', async (c) => {
    const actor = actorOf(c);
    const teamId = c.req.param('id');
    const values = await readForm(c);
    const forms = freshTeamForms();
    forms.member.values = { user_email: str(values, 'user_email'), role: str(values, 'role') };
    const member = parseForm(forms.member, MemberRef, { user_email: email(EMAIL), role: choice(TEAM_ROLE, '') }, { aliases: { user_id: 'user_email' } });
    if (!member) return teamPage(c, teamId, forms, 400);
    try {
      await c.get('deps').provisioning.addMembers(actor, teamId, [member], null);
      return redirectWithFlash(c, teamPath(teamId), `${member.user_email} added to the team as ${member.role}.`);
    } catch (err) {
      const e = applyError(forms.member, await plain(c, err), ['user_email', 'role'], { member: 'user_email', 'member.user_id': 'user_email', user_id: 'user_email' });
      return teamPage(c, teamId, forms, statusOf(e) as Status);
    }
  })
  .post('/teams/:id/members/remove', async (c) => {
    const actor = actorOf(c);
    const teamId = c.req.param('id');
    const userId = str(await readForm(c), 'user_id');
    const deps = c.get('deps');
    const user = userId ? await deps.users.get(userId) : undefined;
    await deps.teams.deleteMember(actor, teamId, { user_id: userId });
    return redirectWithFlash(c, teamPath(teamId), `${user?.user_email ?? userId} removed from the team.`);
  });
