import type { BudgetFields, BudgetPeriodFields, BudgetState } from '../budgets/state';
import { withoutStorage } from '../db/view';
import { notFound } from '../core/errors';

export const TEAM_ROLES = ['admin', 'user'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

/** Key routes a team can open to its plain members (LiteLLM's `team_member_permissions`). */
export const TEAM_MEMBER_PERMISSIONS = [
  '/key/generate',
  '/key/update',
  '/key/delete',
  '/key/regenerate',
  '/key/block',
  '/key/unblock',
  '/key/info',
  '/key/list',
  '/key/health',
] as const;
export type TeamMemberPermission = (typeof TEAM_MEMBER_PERMISSIONS)[number];
/** LiteLLM's default for new teams. */
export const DEFAULT_TEAM_MEMBER_PERMISSIONS: TeamMemberPermission[] = ['/key/info', '/key/health'];
/**
 * What "members create their own keys" grants (the web pages' one-click choice):
 * create, list, see and delete their own keys in the team.
 */
export const SELF_SERVE_KEY_PERMISSIONS: TeamMemberPermission[] = ['/key/generate', '/key/list', '/key/info', '/key/delete'];

export type MemberSummary = { user_id: string; user_email: string | null; role: TeamRole };

export type TeamItem = BudgetFields & {
  PK: string;
  SK: string;
  type: 'team';
  team_id: string;
  team_alias: string | null;
  models: string[];
  tpm_limit: number | null;
  rpm_limit: number | null;
  blocked: boolean;
  metadata: Record<string, unknown>;
  team_member_permissions: TeamMemberPermission[];
  team_member_budget: number | null;
  team_member_budget_duration: string | null;
  team_member_key_duration: string | null;
  /** user id → summary; kept in the same transactions as the membership items. */
  members: Record<string, MemberSummary>;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
};

/** A user's place in a team, with its own budget (LiteLLM's team_membership). */
export type MembershipItem = BudgetState &
  BudgetPeriodFields & {
    PK: string;
    SK: string;
    type: 'member';
    team_id: string;
    user_id: string;
    user_email: string | null;
    role: TeamRole;
    /** Null means the team's `team_member_budget`. */
    max_budget_in_team: number | null;
    created_at: string;
    updated_at: string;
  };

/** The team as LiteLLM shows it: `members_with_roles` instead of the internal map. */
export function publicTeam(team: TeamItem) {
  const { members, ...rest } = withoutStorage(team) as TeamItem;
  return { ...rest, members_with_roles: Object.values(members ?? {}).sort((a, b) => a.user_id.localeCompare(b.user_id)) };
}

/** A membership as shown in `/team/info` `team_memberships`, with the budget that applies. */
export function publicMembership(m: MembershipItem, team: TeamItem) {
  const limit = effectiveMemberBudget(m, team);
  return {
    ...withoutStorage(m),
    litellm_budget_table: { max_budget: limit, budget_duration: m.budget_duration, budget_reset_at: m.budget_reset_at },
    max_budget: limit,
    remaining_budget: limit === null ? null : Math.max(0, m.budget_remaining ?? limit),
  };
}

/**
 * The period of members' budgets: the team's `team_member_budget_duration`, else
 * the team's own period, so a member budget always resets with its team (LiteLLM's
 * member budgets without a duration never reset).
 */
export const memberBudgetDuration = (team: Pick<TeamItem, 'team_member_budget_duration' | 'budget_duration'>) =>
  team.team_member_budget_duration ?? team.budget_duration;

/** A member's budget in a team: their own if set, else the team's per-member budget. */
export const effectiveMemberBudget = (m: Pick<MembershipItem, 'max_budget_in_team'>, team: Pick<TeamItem, 'team_member_budget'>) =>
  m.max_budget_in_team ?? team.team_member_budget;

export const teamNotFound = (teamId: string) => notFound(`Team not found, passed team_id=${teamId}`, 'team_id');
