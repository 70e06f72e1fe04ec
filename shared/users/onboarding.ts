import { isAdminRole, isProxyAdmin, type Principal } from '../auth/roles';
import { DomainError, forbidden } from '../errors';
import type { Settings } from '../settings/service';
import type { TeamRole } from '../teams/model';
import type { Teams } from '../teams/service';
import type { UserItem } from './model';
import type { NewUserInput, Users } from './service';

export type TeamRequest = { team_id: string; max_budget_in_team?: number | null; user_role?: TeamRole };
export type JoinError = { team_id: string; message: string };
export type Directory = { users: Users; teams: Teams; settings: Settings; clock: () => Date };

/**
 * Creates a user the way an admin expects: non-admin users get the default role,
 * budget and models where the request leaves them out, and join the requested and
 * default teams. The user is created even if a team join fails, and every failure
 * is returned (never swallowed) so the response can say so.
 */
export async function createUserWithDefaults(
  dir: Directory,
  actor: Principal,
  input: NewUserInput & { teams?: Array<string | TeamRequest> },
): Promise<{ user: UserItem; join_errors: JoinError[] }> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can create users.');
  const defaults = await dir.settings.internalUser();
  const role = input.user_role ?? defaults.user_role;
  const applies = !isAdminRole(role);
  const user = await dir.users.createRecord(actor.userId, {
    ...input,
    user_role: role,
    ...(applies
      ? {
          max_budget: input.max_budget !== undefined ? input.max_budget : defaults.max_budget,
          budget_duration: input.budget_duration !== undefined ? input.budget_duration : defaults.budget_duration,
          models: input.models ?? defaults.models,
        }
      : {}),
  });
  const requested: TeamRequest[] = (input.teams ?? []).map((t) => (typeof t === 'string' ? { team_id: t } : t));
  const wanted = [...requested, ...(applies ? defaults.teams : [])];
  const join_errors = await joinTeams(dir, user, wanted);
  return { user: (await dir.users.get(user.user_id)) ?? user, join_errors };
}

/** Joins the default teams the user is not in yet (after an invitation is accepted). */
export async function joinDefaultTeams(dir: Directory, userId: string): Promise<JoinError[]> {
  const user = await dir.users.require(userId);
  if (isAdminRole(user.user_role)) return [];
  const defaults = await dir.settings.internalUser();
  return joinTeams(dir, user, defaults.teams.filter((t) => !user.teams?.has(t.team_id)));
}

async function joinTeams(dir: Directory, user: UserItem, wanted: TeamRequest[]): Promise<JoinError[]> {
  const errors: JoinError[] = [];
  const seen = new Set<string>();
  for (const t of wanted) {
    if (seen.has(t.team_id)) continue;
    seen.add(t.team_id);
    try {
      const team = await dir.teams.require(t.team_id);
      await dir.teams.transactMemberOps(team, user, t.user_role ?? 'user', t.max_budget_in_team ?? null);
    } catch (err) {
      if (!(err instanceof DomainError)) throw err;
      errors.push({ team_id: t.team_id, message: err.message });
    }
  }
  return errors;
}
