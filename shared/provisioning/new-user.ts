import { isAdminRole, type Principal } from '../auth/roles';
import { DomainError } from '../core/errors';
import type { Settings } from '../settings/service';
import type { TeamJoin } from '../teams/inputs';
import type { Teams } from '../teams/service';
import type { NewUserRequest } from '../users/inputs';
import type { UserItem } from '../users/model';
import { normalizeEmail, type Users } from '../users/service';

export type { NewUserRequest };
/** A team to join, as `/user/new` names it: its id, or with the role and budget in it. */
export type TeamRequest = TeamJoin;
export type JoinError = { team_id: string; message: string };
/** The services a user's creation touches. */
export type Directory = { users: Users; teams: Pick<Teams, 'require' | 'transactMemberOps'>; settings: Pick<Settings, 'internalUser'> };

export type CreateUserOptions<T> = {
  /** Default teams not to join here (`/team/member_add` joins its own team with the role asked for). */
  skipTeams?: string[];
  /** A last step of the creation (the personal key of `/user/new`), retried with it if it fails. */
  finish?: (user: UserItem, resumed: boolean) => Promise<T>;
};

export type CreatedUser<T> = { user: UserItem; join_errors: JoinError[]; finished: T | undefined; resumed: boolean };

/**
 * The one function that creates users (every path goes through `Provisioning`:
 * `/user/new`, `/team/member_add` with a new email, SSO, the pages): non-admin users get the default role, budget and models where
 * the request leaves them out, and join the requested and default teams. The user is
 * created even if a team join fails, and every failure is returned (never swallowed).
 *
 * The user is written first, marked `setup_pending` (with a lease), and unmarked once
 * the joins and `finish` are done: a retry after a failure half-way (same email or
 * user_id) completes that user instead of answering 409, while a concurrent duplicate
 * still gets the 409. Callers check who may create users (`Provisioning` does).
 */
export async function createUser<T = undefined>(
  dir: Directory,
  actor: Principal,
  input: NewUserRequest,
  opts: CreateUserOptions<T> = {},
): Promise<CreatedUser<T>> {
  const defaults = await dir.settings.internalUser();
  const role = input.user_role ?? defaults.user_role;
  const { teams, ...fields } = input;
  let user: UserItem;
  let resumed = false;
  try {
    user = await dir.users.createRecord(
      actor.userId,
      {
        ...fields,
        user_role: role,
        ...(isAdminRole(role)
          ? {}
          : {
              max_budget: input.max_budget !== undefined ? input.max_budget : defaults.max_budget,
              budget_duration: input.budget_duration !== undefined ? input.budget_duration : defaults.budget_duration,
              models: input.models ?? defaults.models,
            }),
      },
      { pending: true },
    );
  } catch (err) {
    const unfinished = err instanceof DomainError && err.kind === 'conflict' ? await unfinishedUser(dir, input) : undefined;
    if (!unfinished) throw err;
    user = unfinished;
    resumed = true;
  }
  const requested: TeamJoin[] = (teams ?? []).map((t) => (typeof t === 'string' ? { team_id: t } : t));
  const wanted = [...requested, ...(isAdminRole(user.user_role) ? [] : defaults.teams)].filter(
    (t) => !opts.skipTeams?.includes(t.team_id) && !user.teams?.has(t.team_id),
  );
  try {
    const join_errors = await joinTeams(dir, user, wanted);
    const finished = opts.finish ? await opts.finish(user, resumed) : undefined;
    await dir.users.finishSetup(user.user_id);
    return { user: await dir.users.require(user.user_id), join_errors, finished, resumed };
  } catch (err) {
    await dir.users.releaseSetup(user.user_id);
    throw err;
  }
}

/** The user an earlier, interrupted creation with this id or email left half set up, now taken over. */
async function unfinishedUser(dir: Directory, input: NewUserRequest): Promise<UserItem | undefined> {
  const existing = input.user_id ? await dir.users.get(input.user_id) : input.user_email ? await dir.users.byEmail(input.user_email) : undefined;
  if (!existing?.setup_pending) return undefined;
  if (input.user_email && existing.user_email !== normalizeEmail(input.user_email)) return undefined;
  return (await dir.users.takeOverSetup(existing.user_id)) ? existing : undefined;
}

/** Joins the default teams the user is not in yet (after an invitation is accepted). */
export async function joinDefaultTeams(dir: Directory, userId: string): Promise<JoinError[]> {
  const user = await dir.users.require(userId);
  if (isAdminRole(user.user_role)) return [];
  const defaults = await dir.settings.internalUser();
  return joinTeams(dir, user, defaults.teams.filter((t) => !user.teams?.has(t.team_id)));
}

async function joinTeams(dir: Directory, user: UserItem, wanted: TeamJoin[]): Promise<JoinError[]> {
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
