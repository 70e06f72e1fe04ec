import { isProxyAdmin, isReservedUserId, readsEverything, type Principal } from '../auth/roles';
import { budgetPeriod, RESET_INDEX_ATTRIBUTES } from '../budgets/fields';
import { initialBudgetState, limitClause, UNLIMITED } from '../budgets/state';
import { deleteWithGuards, putGuard, type Guarded } from '../db/guards';
import { indexKeys, keys } from '../db/keys';
import { allTeams, keysOfTeam, keysOfUser, membersOf, teamsOfUser } from '../db/queries';
import { mustExist, mustNotExist, type Table, type TransactOp } from '../db/table';
import { pageOf } from '../db/paging';
import { setAndRemove } from '../db/update';
import { alreadyInTeam, badRequest, conflict, DomainError, forbidden, notFound } from '../core/errors';
import { newUuid } from '../core/ids';
import type { UserItem } from '../users/model';
import { normalizeEmail, type Users } from '../users/service';
import {
  DEFAULT_TEAM_MEMBER_PERMISSIONS,
  effectiveMemberBudget,
  memberBudgetDuration,
  type MembershipItem,
  type TeamItem,
  teamNotFound,
  type TeamMemberPermission,
  type TeamRole,
} from './model';
import { mayAccessKey } from '../keys/access';
import type { MemberRefInput, MemberTargetInput, NewTeamInput, TeamInput, UpdateMemberInput } from './inputs';
import type { KeyItem } from '../keys/model';

export type TeamPageQuery = {
  page: number;
  page_size: number;
  user_id?: string;
  team_id?: string;
  team_alias?: string;
  organization_id?: string;
  sort_by?: 'team_id' | 'team_alias' | 'created_at';
  sort_order: 'asc' | 'desc';
};

/** A checked `/team/member_add` entry: the user, or for a new email none yet. */
export type PlannedMember = { user: UserItem | undefined; email: string | undefined; role: TeamRole };

const aliasTaken = (alias: string) => `Team with alias "${alias}" already exists. Team aliases are unique.`;

/** Teams, their members and member permissions. */
export class Teams {
  constructor(
    private readonly table: Table,
    private readonly users: Users,
    private readonly clock: () => Date,
  ) {}

  get(teamId: string): Promise<TeamItem | undefined> {
    return this.table.get<TeamItem>(keys.team(teamId));
  }

  require(teamId: string): Promise<TeamItem> {
    return this.table.require<TeamItem>(keys.team(teamId), () => teamNotFound(teamId));
  }

  membership(teamId: string, userId: string): Promise<MembershipItem | undefined> {
    return this.table.get<MembershipItem>(keys.member(teamId, userId));
  }

  members(teamId: string): Promise<MembershipItem[]> {
    return this.table.queryAll<MembershipItem>(membersOf(teamId));
  }

  /** The user's memberships, one Query on the user's index. */
  membershipsOf(userId: string): Promise<MembershipItem[]> {
    return this.table.queryAll<MembershipItem>(teamsOfUser(userId));
  }

  /** Proxy admins, and the team's own admins, manage a team's members, permissions and keys. */
  async canManage(actor: Principal, team: TeamItem): Promise<boolean> {
    if (isProxyAdmin(actor)) return true;
    return team.members?.[actor.userId]?.role === 'admin';
  }

  private async requireManager(actor: Principal, team: TeamItem): Promise<void> {
    if (!(await this.canManage(actor, team))) {
      throw forbidden(`Only proxy admins and admins of team ${team.team_id} can manage its members and permissions.`);
    }
  }

  private requireReader(actor: Principal, team: TeamItem): void {
    if (readsEverything(actor) || team.members?.[actor.userId]) return;
    throw forbidden(`You are not a member of team ${team.team_id}.`);
  }

  async create(actor: Principal, input: NewTeamInput): Promise<TeamItem> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can create teams.');
    const now = this.clock();
    const iso = now.toISOString();
    const teamId = input.team_id ?? newUuid();
    const key = keys.team(teamId);
    const alias = input.team_alias?.trim() || null;
    const team: TeamItem & Guarded = {
      ...key,
      ...indexKeys.team(teamId, iso),
      type: 'team',
      team_id: teamId,
      team_alias: alias,
      models: input.models ?? [],
      max_budget: input.max_budget ?? null,
      ...initialBudgetState(input.max_budget ?? null),
      ...budgetPeriod(key, input.budget_duration, now),
      tpm_limit: input.tpm_limit ?? null,
      rpm_limit: input.rpm_limit ?? null,
      blocked: input.blocked ?? false,
      metadata: input.metadata ?? {},
      team_member_permissions: input.team_member_permissions ?? [...DEFAULT_TEAM_MEMBER_PERMISSIONS],
      team_member_budget: input.team_member_budget ?? null,
      team_member_budget_duration: input.team_member_budget_duration ?? null,
      team_member_key_duration: input.team_member_key_duration ?? null,
      members: {},
      created_at: iso,
      updated_at: iso,
      created_by: actor.userId,
      updated_by: actor.userId,
      ...(alias ? { unique_guards: [keys.teamAlias(alias)] } : {}),
    };
    const wanted = new Map<string, { user: UserItem; role: TeamRole }>();
    for (const ref of input.members_with_roles ?? []) {
      const user = await this.users.resolve(ref.user_id, ref.user_email);
      wanted.set(user.user_id, { user, role: ref.role ?? 'user' });
    }
    // The creator administers the team, as in LiteLLM (the master key is not a user).
    const creator = await this.users.get(actor.userId);
    if (creator && !wanted.has(creator.user_id)) wanted.set(creator.user_id, { user: creator, role: 'admin' });
    for (const { user, role } of wanted.values()) team.members[user.user_id] = summary(user, role);

    await this.table.transact([
      { put: team, condition: mustNotExist(() => conflict(`Team id ${teamId} already exists.`, 'team_id')) },
      ...(alias ? [putGuard(keys.teamAlias(alias), key, 'team_alias', aliasTaken(alias), 'team_alias')] : []),
      ...[...wanted.values()].flatMap(({ user, role }) => this.memberOps(team, user, role, null, now, { teamExists: false })),
    ]);
    return team;
  }

  /**
   * The writes that put a user in a team: the membership item (with its own budget
   * period), the team's member summary and the user's team list, all conditional.
   */
  memberOps(team: TeamItem, user: UserItem, role: TeamRole, maxBudgetInTeam: number | null, now: Date, opts = { teamExists: true }): TransactOp[] {
    const iso = now.toISOString();
    const memberKey = keys.member(team.team_id, user.user_id);
    const membership: MembershipItem = {
      ...memberKey,
      ...indexKeys.member(team.team_id, user.user_id),
      type: 'member',
      team_id: team.team_id,
      user_id: user.user_id,
      user_email: user.user_email,
      role,
      max_budget_in_team: maxBudgetInTeam,
      ...initialBudgetState(maxBudgetInTeam ?? team.team_member_budget),
      ...budgetPeriod(memberKey, memberBudgetDuration(team), now),
      created_at: iso,
      updated_at: iso,
    };
    const ops: TransactOp[] = [
      {
        put: membership,
        condition: mustNotExist(() => alreadyInTeam(user.user_id, team.team_id)),
      },
      {
        update: keys.user(user.user_id),
        change: {
          expression: 'ADD #teams :team',
          names: { '#teams': 'teams' },
          values: { ':team': new Set([team.team_id]) },
          condition: mustExist(() => notFound(`User ${user.user_id} not found`, 'user_id')),
        },
      },
    ];
    if (opts.teamExists) {
      ops.push({
        update: keys.team(team.team_id),
        change: {
          expression: 'SET #members.#uid = :summary, updated_at = :now',
          names: { '#members': 'members', '#uid': user.user_id },
          values: { ':summary': summary(user, role), ':now': iso },
          condition: mustExist(() => teamNotFound(team.team_id)),
        },
      });
    }
    return ops;
  }

  /** Puts the user in the team now (one transaction). */
  transactMemberOps(team: TeamItem, user: UserItem, role: TeamRole, maxBudgetInTeam: number | null): Promise<void> {
    return this.table.transact(this.memberOps(team, user, role, maxBudgetInTeam, this.clock()));
  }

  async info(actor: Principal, teamId: string) {
    const team = await this.require(teamId);
    this.requireReader(actor, team);
    const [memberships, teamKeys] = await Promise.all([
      this.members(teamId),
      this.table.queryAll<KeyItem>(keysOfTeam(teamId)),
    ]);
    // No more of the team's keys than /key/info would show this caller, one by one.
    return { team, memberships, keys: teamKeys.filter((k) => mayAccessKey(actor, 'info', k.user_id, team)) };
  }

  async list(actor: Principal, userId?: string): Promise<TeamItem[]> {
    if (!readsEverything(actor) && userId && userId !== actor.userId) {
      throw forbidden('You can only list your own teams.');
    }
    if (!readsEverything(actor) || userId) {
      const ids = (await this.membershipsOf(userId ?? actor.userId)).map((m) => m.team_id);
      const teams = await this.table.batchGet<TeamItem>(ids.map((id) => keys.team(id)));
      return teams.sort((a, b) => a.created_at.localeCompare(b.created_at));
    }
    return this.table.queryAll<TeamItem>(allTeams());
  }

  /**
   * LiteLLM's `/v2/team/list`: `list` filtered (exact `team_id`, `team_alias` contains,
   * any case), sorted (`created_at` newest first unless `sort_by` is given) and paged.
   * onramp has no organizations, so an `organization_id` filter matches no team.
   */
  async listPage(actor: Principal, q: TeamPageQuery) {
    const needle = q.team_alias?.toLowerCase();
    const teams = q.organization_id
      ? []
      : (await this.list(actor, q.user_id)).filter(
          (t) => (!q.team_id || t.team_id === q.team_id) && (!needle || (t.team_alias ?? '').toLowerCase().includes(needle)),
        );
    const by = q.sort_by ?? 'created_at';
    const dir = (q.sort_by ? q.sort_order : 'desc') === 'desc' ? -1 : 1;
    teams.sort((a, b) => dir * (a[by] ?? '').localeCompare(b[by] ?? '') || a.team_id.localeCompare(b.team_id));
    const { items, ...paging } = pageOf(teams, q.page, q.page_size);
    return { teams: items, ...paging };
  }

  async update(actor: Principal, teamId: string, input: TeamInput): Promise<TeamItem> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can update teams.');
    const team = await this.require(teamId);
    const now = this.clock();
    const key = keys.team(teamId);
    const set: Record<string, unknown> = { updated_at: now.toISOString(), updated_by: actor.userId };
    const remove: string[] = [];
    const ops: TransactOp[] = [];
    for (const [field, value] of Object.entries(input)) {
      if (value === undefined || field === 'budget_duration' || field === 'team_alias') continue;
      set[field] = value;
    }
    if (input.budget_duration !== undefined) {
      Object.assign(set, budgetPeriod(key, input.budget_duration, now));
      if (!input.budget_duration) remove.push(...RESET_INDEX_ATTRIBUTES);
    }
    if (input.team_alias !== undefined) {
      const alias = input.team_alias?.trim() || null;
      if (alias !== team.team_alias) set.team_alias = alias;
      // A change of case only keeps the guard, which is keyed on the lower-cased alias.
      if (alias?.toLowerCase() !== team.team_alias?.toLowerCase()) {
        set.unique_guards = alias ? [keys.teamAlias(alias)] : [];
        if (alias) ops.push(putGuard(keys.teamAlias(alias), key, 'team_alias', aliasTaken(alias), 'team_alias'));
        if (team.team_alias) ops.push({ delete: keys.teamAlias(team.team_alias) });
      }
    }
    const raw = input.max_budget !== undefined ? [limitClause(input.max_budget)] : [];
    await this.table.transact([{ update: key, change: { ...setAndRemove(set, remove, raw), condition: mustExist(() => teamNotFound(teamId)) } }, ...ops]);
    const updated = await this.require(teamId);
    // Always when asked, not only when the value changed: a retry after a failure
    // half-way then repairs the memberships the first attempt left stale.
    const touchesMembers = input.team_member_budget !== undefined || input.team_member_budget_duration !== undefined || input.budget_duration !== undefined;
    if (touchesMembers) await this.syncMembers(updated, now);
    return updated;
  }

  /**
   * Brings every membership in line with the team: the per-member budget reaches
   * every member without a budget of their own, and a new member period restarts
   * the period of each member still on another one (spend so far kept). Idempotent:
   * members already in line are not written.
   */
  private async syncMembers(team: TeamItem, now: Date): Promise<void> {
    const period = memberBudgetDuration(team);
    for (const m of await this.members(team.team_id)) {
      const memberKey = keys.member(team.team_id, m.user_id);
      const stalePeriod = (m.budget_duration ?? null) !== (period ?? null);
      const set: Record<string, unknown> = stalePeriod ? budgetPeriod(memberKey, period, now) : {};
      const remove = stalePeriod && !period ? [...RESET_INDEX_ATTRIBUTES] : [];
      const staleBudget = m.max_budget_in_team === null && m.budget_remaining !== (team.team_member_budget ?? UNLIMITED) - (m.used ?? 0);
      const raw = staleBudget ? [limitClause(team.team_member_budget)] : [];
      if (!stalePeriod && !staleBudget) continue;
      try {
        await this.table.update(memberKey, { ...setAndRemove(set, remove, raw), condition: mustExist(() => notFound('member left meanwhile', 'user_id')) });
      } catch (err) {
        // A member who left meanwhile needs no update; anything else is a real failure.
        if (!(err instanceof DomainError && err.kind === 'not_found')) throw err;
      }
    }
  }

  /**
   * Deletes teams with their keys and memberships (and the team from each member's
   * list). The team item goes last, so an interrupted delete is finished by repeating it.
   */
  async delete(actor: Principal, teamIds: string[]): Promise<string[]> {
    if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can delete teams.');
    const teams = await Promise.all(teamIds.map((id) => this.require(id)));
    for (const team of teams) {
      const teamKeys = await this.table.queryAll<{ PK: string; SK: string } & Guarded>(keysOfTeam(team.team_id));
      const memberships = await this.members(team.team_id);
      // Only users that still exist get the team taken off their list (an update would create the others).
      const existing = new Set((await this.table.batchGet<UserItem>(memberships.map((m) => keys.user(m.user_id)))).map((u) => u.user_id));
      const ops: TransactOp[] = [
        ...teamKeys.flatMap((k) => deleteWithGuards(k)),
        ...memberships.flatMap((m) => [
          { delete: keys.member(team.team_id, m.user_id) },
          ...(existing.has(m.user_id) ? [removeTeamFromUser(team.team_id, m.user_id)] : []),
        ]),
      ];
      await this.table.transactInChunks(ops);
      await this.table.transact(deleteWithGuards(team as TeamItem & Guarded));
    }
    return teams.map((t) => t.team_id);
  }

  /**
   * Checks a `/team/member_add` before anything is written, so one bad entry adds
   * nobody (and creates no user for a new email): the caller's right to manage the
   * team, and each entry. `Provisioning.addMembers` then creates the new users and
   * joins them (a new email creates the user, as LiteLLM does).
   */
  async planMembers(actor: Principal, teamId: string, refs: MemberRefInput[], maxBudgetInTeam: number | null): Promise<{ team: TeamItem; wanted: PlannedMember[] }> {
    const team = await this.require(teamId);
    await this.requireManager(actor, team);
    if (maxBudgetInTeam !== null && !isProxyAdmin(actor)) throw forbidden('Only proxy admins can set a member budget.');
    const wanted: PlannedMember[] = [];
    const seen = new Set<string>();
    for (const ref of refs) {
      if (!ref.user_id && !ref.user_email) throw badRequest('Each member needs user_id or user_email.', 'member');
      const user = ref.user_id ? await this.users.get(ref.user_id) : await this.users.byEmail(ref.user_email!);
      if (!user && ref.user_id) throw notFound(`User ${ref.user_id} not found`, 'member.user_id');
      const id = user?.user_id ?? `email:${normalizeEmail(ref.user_email!)}`;
      if (seen.has(id)) throw badRequest(`${ref.user_id ?? ref.user_email} is listed more than once.`, 'member');
      seen.add(id);
      if (isReservedUserId(id)) throw badRequest(`${id} is not a user: LiteLLM gives that id to the master key.`, 'member.user_id');
      if (user && team.members?.[user.user_id]) throw alreadyInTeam(user.user_id, teamId);
      wanted.push({ user, email: ref.user_email ?? undefined, role: ref.role ?? 'user' });
    }
    return { team, wanted };
  }

  async deleteMember(actor: Principal, teamId: string, ref: MemberTargetInput): Promise<TeamItem> {
    const team = await this.require(teamId);
    await this.requireManager(actor, team);
    const user = await this.users.resolve(ref.user_id, ref.user_email);
    if (!team.members?.[user.user_id]) throw notFound(`User ${user.user_id} is not a member of team ${teamId}.`, 'user_id');
    // The member's keys in this team go first; the membership last, so a retry finishes the job.
    const owned = await this.table.queryAll<{ PK: string; SK: string; team_id?: string } & Guarded>(keysOfUser(user.user_id));
    const keyOps = owned.filter((k) => k.team_id === teamId).flatMap((k) => deleteWithGuards(k));
    await this.table.transactInChunks(keyOps);
    await this.table.transact([
      { delete: keys.member(teamId, user.user_id) },
      removeTeamFromUser(teamId, user.user_id),
      {
        update: keys.team(teamId),
        change: { expression: 'REMOVE #members.#uid SET updated_at = :now', names: { '#members': 'members', '#uid': user.user_id }, values: { ':now': this.clock().toISOString() } },
      },
    ]);
    return this.require(teamId);
  }

  async updateMember(actor: Principal, teamId: string, ref: UpdateMemberInput) {
    const team = await this.require(teamId);
    await this.requireManager(actor, team);
    if (ref.max_budget_in_team !== undefined && !isProxyAdmin(actor)) throw forbidden('Only proxy admins can set a member budget.');
    const user = await this.users.resolve(ref.user_id, ref.user_email);
    // Checked first: setting the role of someone missing from the team's member map is an invalid update path (a 500).
    if (!team.members?.[user.user_id]) throw notFound(`User ${user.user_id} is not a member of team ${teamId}.`, 'user_id');
    const now = this.clock().toISOString();
    const memberSet: Record<string, unknown> = { updated_at: now };
    if (ref.role) memberSet.role = ref.role;
    if (ref.max_budget_in_team !== undefined) memberSet.max_budget_in_team = ref.max_budget_in_team;
    const ops: TransactOp[] = [
      {
        update: keys.member(teamId, user.user_id),
        change: {
          ...setAndRemove(memberSet, [], ref.max_budget_in_team !== undefined ? [limitClause(ref.max_budget_in_team ?? team.team_member_budget)] : []),
          condition: mustExist(() => notFound(`User ${user.user_id} is not a member of team ${teamId}.`, 'user_id')) },
      },
    ];
    if (ref.role) {
      ops.push({
        update: keys.team(teamId),
        change: { expression: 'SET #members.#uid.#role = :role, updated_at = :now', names: { '#members': 'members', '#uid': user.user_id, '#role': 'role' }, values: { ':role': ref.role, ':now': now } },
      });
    }
    await this.table.transact(ops);
    const membership = (await this.membership(teamId, user.user_id))!;
    return { team_id: teamId, user_id: user.user_id, role: membership.role, max_budget_in_team: effectiveMemberBudget(membership, team) };
  }

  async permissions(actor: Principal, teamId: string) {
    const team = await this.require(teamId);
    this.requireReader(actor, team);
    return team;
  }

  async updatePermissions(actor: Principal, teamId: string, permissions: TeamMemberPermission[]): Promise<TeamItem> {
    const team = await this.require(teamId);
    await this.requireManager(actor, team);
    await this.table.update(keys.team(teamId), {
      ...setAndRemove({ team_member_permissions: [...new Set(permissions)], updated_at: this.clock().toISOString(), updated_by: actor.userId }, []),
      condition: mustExist(() => teamNotFound(teamId)),
    });
    return this.require(teamId);
  }
}

const summary = (user: UserItem, role: TeamRole) => ({ user_id: user.user_id, user_email: user.user_email, role });

function removeTeamFromUser(teamId: string, userId: string): TransactOp {
  return {
    update: keys.user(userId),
    change: { expression: 'DELETE #teams :team', names: { '#teams': 'teams' }, values: { ':team': new Set([teamId]) } },
  };
}
