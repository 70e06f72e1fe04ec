/** LiteLLM's user roles, with exactly the powers DESIGN.md gives them. */
export const USER_ROLES = ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const;
export type UserRole = (typeof USER_ROLES)[number];

/** The user id LiteLLM gives the master key. */
export const MASTER_KEY_USER_ID = 'default_user_id';

/**
 * User ids no stored user may have: LiteLLM treats `default_user_id` as the master
 * key (whatever its case, to be safe with case-insensitive tools around it).
 */
export const isReservedUserId = (userId: string) => userId.trim().toLowerCase() === MASTER_KEY_USER_ID;

/** Who is calling: resolved once per request by the auth middleware. */
export type Principal = {
  userId: string;
  role: UserRole;
  via: 'master_key' | 'session' | 'virtual_key' | 'sso';
  /** SHA-256 of the virtual key used, when `via` is `virtual_key`. */
  keyHash?: string;
};

export const isProxyAdmin = (p: Principal) => p.role === 'proxy_admin';
/** Admins and admin viewers read everything. */
export const readsEverything = (p: Principal) => p.role === 'proxy_admin' || p.role === 'proxy_admin_viewer';
export const isAdminRole = (role: UserRole) => role === 'proxy_admin' || role === 'proxy_admin_viewer';
