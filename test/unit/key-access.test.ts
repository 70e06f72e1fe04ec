/**
 * Who may do what with a key (shared/keys/access.ts), without a table: the same rules
 * the integration role matrix (test/integration/keys/security.test.ts) checks through
 * the routes, here cell by cell on the pure function, with the refusal each gives.
 */
import type { Principal, UserRole } from '../../shared/auth/roles';
import { DomainError } from '../../shared/core/errors';
import { assertKeyAccess, mayCreateKeysIn, type KeyAction } from '../../shared/keys/access';
import type { TeamItem, TeamMemberPermission } from '../../shared/teams/model';

const ALL_ACTIONS: KeyAction[] = ['generate', 'update', 'delete', 'regenerate', 'block', 'unblock', 'info', 'list'];
const WRITES: KeyAction[] = ['generate', 'update', 'delete', 'regenerate', 'block', 'unblock'];
const READS: KeyAction[] = ['info', 'list'];

const who = (userId: string, role: UserRole = 'internal_user'): Principal => ({ userId, role, via: 'session' });

/** Only the fields the access rule reads; the rest of a stored team does not matter to it. */
function team(permissions: TeamMemberPermission[] = ['/key/info', '/key/health'], alias: string | null = 'Research'): TeamItem {
  return {
    team_id: 'team-1',
    team_alias: alias,
    team_member_permissions: permissions,
    members: {
      tadmin: { user_id: 'tadmin', user_email: null, role: 'admin' },
      ann: { user_id: 'ann', user_email: null, role: 'user' },
      bob: { user_id: 'bob', user_email: null, role: 'user' },
    },
  } as unknown as TeamItem;
}

/** The refusal `assertKeyAccess` throws, or null when it allows the call. */
function refusal(actor: Principal, action: KeyAction, ownerId: string | null, t: TeamItem | null): DomainError | null {
  try {
    assertKeyAccess(actor, action, ownerId, t);
    return null;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
}

describe('assertKeyAccess', () => {
  test.each(ALL_ACTIONS)('a proxy admin may %s any key, in a team or not, whoever owns it', (action) => {
    const admin = who('root', 'proxy_admin');
    expect(refusal(admin, action, 'someone-else', null)).toBeNull();
    expect(refusal(admin, action, null, team([]))).toBeNull();
    expect(refusal(admin, action, 'ann', team([]))).toBeNull();
  });

  test.each(READS)('a proxy admin viewer may %s any key', (action) => {
    expect(refusal(who('v', 'proxy_admin_viewer'), action, 'someone-else', null)).toBeNull();
    expect(refusal(who('v', 'proxy_admin_viewer'), action, 'ann', team([]))).toBeNull();
  });

  test.each(WRITES)('viewers may not %s, not even their own key: 403 naming their role and the route', (action) => {
    for (const role of ['proxy_admin_viewer', 'internal_user_viewer'] as const) {
      const err = refusal(who('me', role), action, 'me', null);
      expect(err).toMatchObject({ kind: 'forbidden', param: null });
      expect(err!.message).toBe(`Your role (${role}) can only view keys; calling /key/${action} needs internal_user or an admin role.`);
    }
  });

  test('an internal_user_viewer reads their own personal key, not another user\'s', () => {
    expect(refusal(who('me', 'internal_user_viewer'), 'info', 'me', null)).toBeNull();
    expect(refusal(who('me', 'internal_user_viewer'), 'info', 'you', null)).toMatchObject({ kind: 'forbidden', message: 'You can only act on your own keys.' });
  });

  test.each(ALL_ACTIONS)('an internal_user may %s their own personal key, and not anyone else\'s nor an ownerless one', (action) => {
    expect(refusal(who('me'), action, 'me', null)).toBeNull();
    expect(refusal(who('me'), action, 'you', null)).toMatchObject({ kind: 'forbidden', message: 'You can only act on your own keys.' });
    expect(refusal(who('me'), action, null, null)).toMatchObject({ kind: 'forbidden' });
  });

  test.each(ALL_ACTIONS)('a team admin may %s any key of the team, whatever the permissions', (action) => {
    for (const owner of ['tadmin', 'ann', null]) expect(refusal(who('tadmin'), action, owner, team([]))).toBeNull();
  });

  test('someone outside the team is refused, naming them and the team', () => {
    for (const action of ALL_ACTIONS) {
      const err = refusal(who('stranger'), action, 'stranger', team(['/key/generate', '/key/info']));
      expect(err).toMatchObject({ kind: 'forbidden', message: 'User=stranger not assigned to team=team-1.' });
    }
  });

  test("a plain member may not act on another member's key (or a service key), whatever the permissions", () => {
    const everything = team(['/key/generate', '/key/update', '/key/delete', '/key/regenerate', '/key/block', '/key/unblock', '/key/info', '/key/list']);
    for (const action of ALL_ACTIONS) {
      const other = refusal(who('ann'), action, 'bob', everything);
      expect(other).toMatchObject({ kind: 'forbidden' });
      expect(other!.message).toBe("You can only act on your own keys; key owner bob is another member of team team-1. Team admins manage other members' keys.");
      expect(refusal(who('ann'), action, null, everything)!.message).toContain('key owner (none) is another member');
    }
  });

  test.each(ALL_ACTIONS)('a plain member may %s their own key only when the team lists /key/<action>', (action) => {
    expect(refusal(who('ann'), action, 'ann', team([`/key/${action}` as TeamMemberPermission]))).toBeNull();
    const others = ALL_ACTIONS.filter((a) => a !== action).map((a) => `/key/${a}` as TeamMemberPermission);
    const err = refusal(who('ann'), action, 'ann', team(others));
    expect(err).toMatchObject({ kind: 'team_member_permission', param: 'team_member_permissions' });
  });

  test('the permission refusal names the route, the team, its alias and what the member may do, and how to change it', () => {
    expect(refusal(who('ann'), 'delete', 'ann', team())!.message).toBe(
      'Team member does not have permission for /key/delete. Your permissions in team team-1 (Research): [/key/info, /key/health]. ' +
        'Ask your proxy admin or a team admin to allow it with /team/permissions_update.',
    );
    expect(refusal(who('ann'), 'delete', 'ann', team([], null))!.message).toContain('Your permissions in team team-1: [].');
  });

  test('a proxy admin viewer in a team is still refused writes there (the viewer rule comes first)', () => {
    const viewer = who('ann', 'proxy_admin_viewer');
    expect(refusal(viewer, 'update', 'ann', team(['/key/update']))).toMatchObject({ kind: 'forbidden', message: expect.stringMatching(/^Your role \(proxy_admin_viewer\)/) });
  });
});

describe('mayCreateKeysIn', () => {
  test('a team admin may; a plain member only with /key/generate; an outsider and a viewer never; a proxy admin always', () => {
    expect(mayCreateKeysIn(who('tadmin'), team([]))).toBe(true);
    expect(mayCreateKeysIn(who('ann'), team(['/key/generate']))).toBe(true);
    expect(mayCreateKeysIn(who('ann'), team(['/key/info', '/key/health']))).toBe(false);
    expect(mayCreateKeysIn(who('stranger'), team(['/key/generate']))).toBe(false);
    expect(mayCreateKeysIn(who('ann', 'internal_user_viewer'), team(['/key/generate']))).toBe(false);
    expect(mayCreateKeysIn(who('root', 'proxy_admin'), team([]))).toBe(true);
  });

  test('an error that is not a refusal is not swallowed', () => {
    const broken = { team_id: 'team-1', members: { ann: { role: 'user' } } } as unknown as TeamItem; // no team_member_permissions
    expect(() => mayCreateKeysIn(who('ann'), broken)).toThrow(TypeError);
  });
});
