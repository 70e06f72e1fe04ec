import { isProxyAdmin, readsEverything, type Principal } from '../auth/roles';
import { DomainError, forbidden } from '../core/errors';
import type { TeamItem } from '../teams/model';

export type KeyAction = 'generate' | 'update' | 'delete' | 'regenerate' | 'block' | 'unblock' | 'info' | 'list';
const READS: KeyAction[] = ['info', 'list'];

/**
 * Who may do what with a key (owned by `ownerId`, in `team` when it is a team key):
 * proxy admins everything; admin viewers read everything; viewers only read;
 * team admins manage their team's keys; everyone else only their own keys, and
 * in a team only what the team's `team_member_permissions` lists.
 */
export function assertKeyAccess(actor: Principal, action: KeyAction, ownerId: string | null, team: TeamItem | null): void {
  if (isProxyAdmin(actor)) return;
  const reading = READS.includes(action);
  if (readsEverything(actor) && reading) return;
  if (!reading && (actor.role === 'proxy_admin_viewer' || actor.role === 'internal_user_viewer')) {
    throw forbidden(`Your role (${actor.role}) can only view keys; calling /key/${action} needs internal_user or an admin role.`);
  }
  if (team) {
    const member = team.members?.[actor.userId];
    if (!member) throw forbidden(`User=${actor.userId} not assigned to team=${team.team_id}.`);
    if (member.role === 'admin') return;
    if (ownerId !== actor.userId) {
      throw forbidden(`You can only act on your own keys; key owner ${ownerId ?? '(none)'} is another member of team ${team.team_id}. Team admins manage other members' keys.`);
    }
    const route = `/key/${action}`;
    if (!(team.team_member_permissions as string[]).includes(route)) {
      throw new DomainError(
        'team_member_permission',
        `Team member does not have permission for ${route}. Your permissions in team ${team.team_id}${team.team_alias ? ` (${team.team_alias})` : ''}: [${team.team_member_permissions.join(', ')}]. Ask your proxy admin or a team admin to allow it with /team/permissions_update.`,
        'team_member_permissions',
      );
    }
    return;
  }
  if (ownerId !== actor.userId) throw forbidden('You can only act on your own keys.');
}

/** `assertKeyAccess` as a yes or no: for showing only what the actor may see or do. */
export function mayAccessKey(actor: Principal, action: KeyAction, ownerId: string | null, team: TeamItem | null): boolean {
  try {
    assertKeyAccess(actor, action, ownerId, team);
    return true;
  } catch (err) {
    if (err instanceof DomainError) return false;
    throw err;
  }
}

/** Whether `actor` may create a key of their own in `team` (the same rule /key/generate applies). */
export const mayCreateKeysIn = (actor: Principal, team: TeamItem): boolean => mayAccessKey(actor, 'generate', actor.userId, team);
