/** The role helpers (shared/auth/roles.ts): LiteLLM's four roles and the master key's reserved id. */
import { isAdminRole, isProxyAdmin, isReservedUserId, MASTER_KEY_USER_ID, readsEverything, USER_ROLES, type Principal, type UserRole } from '../../shared/auth/roles';

const as = (role: UserRole, via: Principal['via'] = 'session'): Principal => ({ userId: 'u', role, via });

test("the roles are LiteLLM's four, in its order", () => {
  expect(USER_ROLES).toEqual(['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer']);
});

test.each([
  // role                    isProxyAdmin  readsEverything  isAdminRole
  ['proxy_admin', true, true, true],
  ['proxy_admin_viewer', false, true, true],
  ['internal_user', false, false, false],
  ['internal_user_viewer', false, false, false],
] as const)('%s: proxy admin %s, reads everything %s, admin role %s', (role, proxyAdmin, readsAll, adminRole) => {
  for (const via of ['master_key', 'session', 'virtual_key', 'sso'] as const) {
    expect(isProxyAdmin(as(role, via))).toBe(proxyAdmin);
    expect(readsEverything(as(role, via))).toBe(readsAll);
  }
  expect(isAdminRole(role)).toBe(adminRole);
});

test("the master key's user id is LiteLLM's default_user_id", () => {
  expect(MASTER_KEY_USER_ID).toBe('default_user_id');
});

test.each(['default_user_id', 'DEFAULT_USER_ID', 'Default_User_Id', ' default_user_id ', '\tdefault_user_id\n'])('%p is reserved', (id) => {
  expect(isReservedUserId(id)).toBe(true);
});

test.each(['default_user', 'default_user_id2', 'default-user-id', 'my_default_user_id', '', 'admin'])('%p is not reserved', (id) => {
  expect(isReservedUserId(id)).toBe(false);
});
