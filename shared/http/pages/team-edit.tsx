import { Hono } from 'hono';
import { isProxyAdmin } from '../../auth/roles';
import { forbidden, notFound } from '../../core/errors';
import { effectiveMemberBudget, memberBudgetDuration, type TeamItem } from '../../teams/model';
import { UpdateMember, UpdateTeam } from '../../teams/inputs';
import type { AppEnv } from '../core/env';
import { BudgetFacts, ConfirmDelete } from './blocks';
import { BudgetFields, EDIT_BUDGET_HINTS, MoneyInput, ModelsField, PERIOD, PERMISSION_OPTIONS, permissionsInput, TEAM_ROLE, TEAM_ROLE_OPTIONS, teamInputs } from './fields';
import { redirectWithFlash } from './flash';
import { choice, money, parseForm } from './form-input';
import { applyError, emptyForm, list, readForm, str, type FormState } from './form-state';
import { formatUsd, periodOptions, RESET_PERIODS } from './format';
import { Checkboxes, Csrf, FormAlert, Input, Select } from './forms';
import { chrome, Layout } from './layout';
import { teamPath } from './paths';
import { actorOf, render, statusOf, type PageContext, type PageStatus as Status } from './render';

/**
 * Admin controls for one team: edit it (name, models, budgets, member budget and
 * period, member permissions), delete it, and change a member's role and budget.
 * Every write goes through the same services as `/team/update`, `/team/delete`
 * and `/team/member_update`; a refusal is shown next to the form.
 */

const EDIT_FIELDS = ['team_alias', 'models', 'max_budget', 'budget_duration', 'team_member_budget', 'team_member_budget_duration', 'team_member_permissions'] as const;
const MEMBER_FIELDS = ['role', 'max_budget_in_team'] as const;
/** Null member period: members reset with the team. */
const MEMBER_PERIODS: Array<[string, string]> = [['', 'With the team budget'], ...RESET_PERIODS.slice(1)];

const memberPath = (teamId: string, userId: string) => `${teamPath(teamId)}/members/${encodeURIComponent(userId)}/edit`;
const teamName = (t: TeamItem) => t.team_alias ?? t.team_id;

/** Same message as the service, before any form is shown: viewers and members get no controls. */
function requireTeamAdmin(c: PageContext) {
  const actor = actorOf(c);
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can update teams.');
  return actor;
}

const amount = (n: number | null) => (n === null ? '' : String(n));

function editFormFor(team: TeamItem): FormState {
  return emptyForm('edit', {
    team_alias: team.team_alias ?? '',
    models: team.models.join(', '),
    max_budget: amount(team.max_budget),
    budget_duration: team.budget_duration ?? '',
    team_member_budget: amount(team.team_member_budget),
    team_member_budget_duration: team.team_member_budget_duration ?? '',
    team_member_permissions: [...team.team_member_permissions],
  });
}

async function editPage(c: PageContext, team: TeamItem, form: FormState, status: Status = 200) {
  const csrf = c.get('session')?.csrf;
  return render(
    c,
    <Layout title={`Edit team: ${teamName(team)}`} {...await chrome(c, '/ui/teams')}>
      <p>
        <a href={teamPath(team.team_id)}>← Back to the team</a>
      </p>
      <form method="post" action={`${teamPath(team.team_id)}/edit`} class="card" novalidate aria-label="Edit team">
        <FormAlert form={form} />
        <Csrf token={csrf} />
        <Input form={form} name="team_alias" label="Team name" required hint="Unique." />
        <ModelsField form={form} hint="Comma or newline separated. Empty means all models." />
        <BudgetFields form={form} whose="team" periods={periodOptions(RESET_PERIODS, team.budget_duration)} hints={EDIT_BUDGET_HINTS} />
        <MoneyInput form={form} name="team_member_budget" label="Team member max budget (USD)" hint="Applies to every member without a budget of their own. Empty: no limit." />
        <Select
          form={form}
          name="team_member_budget_duration"
          label="Reset member budgets"
          options={periodOptions(MEMBER_PERIODS, team.team_member_budget_duration)}
          hint="Members' spend goes back to zero at the start of each period."
        />
        <Checkboxes
          form={form}
          name="team_member_permissions"
          legend="Member permissions"
          hint='What plain members (role "user") may do with their own keys in this team.'
          options={PERMISSION_OPTIONS}
          checked={list(form.values, 'team_member_permissions')}
        />
        <button type="submit">Save team</button>
      </form>
      <p>
        <a href={`${teamPath(team.team_id)}/delete`}>Delete this team…</a>
      </p>
    </Layout>,
    status,
  );
}

async function deletePage(c: PageContext, team: TeamItem, error?: string, status: Status = 200) {
  const { memberships, keys } = await c.get('deps').teams.info(actorOf(c), team.team_id);
  return render(
    c,
    <Layout title={`Delete team: ${teamName(team)}`} {...await chrome(c, '/ui/teams')}>
      <ConfirmDelete action={`${teamPath(team.team_id)}/delete`} label="Delete team" csrf={c.get('session')?.csrf} cancel={teamPath(team.team_id)} error={error}>
        This deletes the team, its {keys.length} key{keys.length === 1 ? '' : 's'} (they stop working at once) and its {memberships.length}{' '}
        membership{memberships.length === 1 ? '' : 's'}. The users themselves stay. It cannot be undone.
      </ConfirmDelete>
    </Layout>,
    status,
  );
}

async function memberPage(c: PageContext, teamId: string, userId: string, form: FormState | null, status: Status = 200) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const team = await deps.teams.require(teamId);
  if (!(await deps.teams.canManage(actor, team))) {
    throw forbidden(`Only proxy admins and admins of team ${team.team_id} can manage its members and permissions.`);
  }
  const membership = await deps.teams.membership(teamId, userId);
  if (!membership) throw notFound(`User ${userId} is not a member of team ${teamId}.`);
  const f =
    form ??
    emptyForm('member', { role: membership.role, ...(isProxyAdmin(actor) ? { max_budget_in_team: amount(membership.max_budget_in_team) } : {}) });
  const who = membership.user_email ?? membership.user_id;
  return render(
    c,
    <Layout title={`Member ${who} in ${teamName(team)}`} {...await chrome(c, '/ui/teams')}>
      <p>
        <a href={teamPath(team.team_id)}>← Back to the team</a>
      </p>
      <dl class="facts">
        <BudgetFacts
          label="Spend in team"
          spend={membership.spend}
          limit={effectiveMemberBudget(membership, team)}
          duration={memberBudgetDuration(team)}
          resetAt={membership.budget_reset_at}
        />
      </dl>
      <form method="post" action={memberPath(team.team_id, membership.user_id)} class="card" novalidate aria-label={`Change ${who} in the team`}>
        <FormAlert form={f} />
        <Csrf token={c.get('session')?.csrf} />
        <Select form={f} name="role" label="Team role" options={TEAM_ROLE_OPTIONS} hint="Team admins manage the team's members, permissions and keys." />
        {isProxyAdmin(actor) ? (
          <MoneyInput form={f} name="max_budget_in_team" label="Budget in this team (USD)" hint={`Empty: the team's member budget (${formatUsd(team.team_member_budget)}).`} />
        ) : null}
        <button type="submit">Save member</button>
      </form>
    </Layout>,
    status,
  );
}

export const teamEditPages = new Hono<AppEnv>()
  .get('/teams/:id/edit', async (c) => {
    requireTeamAdmin(c);
    const team = await c.get('deps').teams.require(c.req.param('id'));
    return editPage(c, team, editFormFor(team));
  })
  .post('/teams/:id/edit', async (c) => {
    const actor = actorOf(c);
    const deps = c.get('deps');
    const team = await deps.teams.require(c.req.param('id'));
    const values = await readForm(c);
    const form = emptyForm('edit', {
      ...Object.fromEntries(EDIT_FIELDS.map((f) => [f, str(values, f)])),
      team_member_permissions: list(values, 'team_member_permissions'),
    });
    const input = parseForm(
      form,
      UpdateTeam,
      { ...teamInputs, team_member_budget_duration: choice(PERIOD), team_member_permissions: permissionsInput },
      { fixed: { team_id: team.team_id } },
    );
    if (!input) return editPage(c, team, form, 400);
    const { team_id, ...fields } = input;
    try {
      await deps.teams.update(actor, team_id, fields);
      return redirectWithFlash(c, teamPath(team.team_id), `Team ${fields.team_alias} saved.`);
    } catch (err) {
      const e = applyError(form, err, EDIT_FIELDS);
      if (e.kind === 'forbidden') throw e; // no edit form for who may not edit
      return editPage(c, team, form, statusOf(e) as Status);
    }
  })
  .get('/teams/:id/delete', async (c) => {
    requireTeamAdmin(c);
    return deletePage(c, await c.get('deps').teams.require(c.req.param('id')));
  })
  .post('/teams/:id/delete', async (c) => {
    const actor = actorOf(c);
    const deps = c.get('deps');
    const team = await deps.teams.require(c.req.param('id'));
    try {
      await deps.provisioning.deleteTeams(actor, [team.team_id]);
    } catch (err) {
      const e = applyError(emptyForm('delete'), err, []);
      if (e.kind === 'forbidden') throw e;
      return deletePage(c, team, e.message, statusOf(e) as Status);
    }
    return redirectWithFlash(c, '/ui/teams', `Team ${teamName(team)} deleted, with its keys and memberships.`);
  })
  .get('/teams/:id/members/:userId/edit', (c) => memberPage(c, c.req.param('id'), c.req.param('userId'), null))
  .post('/teams/:id/members/:userId/edit', async (c) => {
    const actor = actorOf(c);
    const teamId = c.req.param('id');
    const userId = c.req.param('userId');
    const values = await readForm(c);
    // The budget is changed only when its field was posted (proxy admins see it; team admins may change roles only).
    const budgetPosted = 'max_budget_in_team' in values;
    const form = emptyForm('member', { role: str(values, 'role'), ...(budgetPosted ? { max_budget_in_team: str(values, 'max_budget_in_team') } : {}) });
    const input = parseForm(form, UpdateMember, { role: choice(TEAM_ROLE, ''), max_budget_in_team: money() }, { fixed: { team_id: teamId, user_id: userId } });
    if (!input) return memberPage(c, teamId, userId, form, 400);
    const { team_id, ...ref } = input;
    try {
      const updated = await c.get('deps').teams.updateMember(actor, team_id, ref);
      const member = await c.get('deps').teams.membership(teamId, userId);
      return redirectWithFlash(c, teamPath(teamId), `${member?.user_email ?? userId} is now ${updated.role}, with a budget of ${formatUsd(updated.max_budget_in_team)} in the team.`);
    } catch (err) {
      const e = applyError(form, err, MEMBER_FIELDS);
      return memberPage(c, teamId, userId, form, statusOf(e) as Status);
    }
  });
