import type { Principal } from '../auth/roles';
import type { Deps } from '../services';

/**
 * Deletes teams (with their keys and memberships) and takes them off the default
 * teams, so new users are not sent to a team that is gone. `/team/delete` and the
 * team page both delete through here.
 * @returns the deleted team ids.
 */
export async function deleteTeams(deps: Pick<Deps, 'teams' | 'settings'>, actor: Principal, teamIds: string[]): Promise<string[]> {
  const deleted = await deps.teams.delete(actor, teamIds);
  await deps.settings.forgetTeams(deleted);
  return deleted;
}
