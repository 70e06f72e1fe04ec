import type { Context } from 'hono';
import { setCookie } from 'hono/cookie';
import { MASTER_KEY_USER_ID } from '../../auth/roles';
import { SESSION_COOKIE, type TokenProfile } from '../../auth/session';
import type { AppEnv } from './env';

/**
 * Signs a user in whose identity is already proven (password checked, invitation
 * claimed): issues the session JWT and sets it as an HttpOnly cookie, `Secure`
 * whenever the app is served over HTTPS.
 */
export async function setSessionCookie(c: Context<AppEnv>, userId: string) {
  const deps = c.get('deps');
  const { token, session } = await deps.sessions.issue(userId, deps.clock(), await profileOf(deps, userId));
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Lax',
    secure: new URL(c.req.url).protocol === 'https:' || (deps.config.proxyBaseUrl ?? '').startsWith('https:'),
    path: '/',
    expires: session.expiresAt,
  });
  return { token, session };
}

/** The `user_email` and `user_role` claims of the session token (LiteLLM's UI shows them). */
async function profileOf(deps: AppEnv['Variables']['deps'], userId: string): Promise<TokenProfile | undefined> {
  if (userId === MASTER_KEY_USER_ID) return { user_email: null, user_role: 'proxy_admin' };
  const user = await deps.users.get(userId);
  return user ? { user_email: user.user_email, user_role: user.user_role } : undefined;
}

/** The public origin for links the app hands out: `PROXY_BASE_URL` when set, else the request's own origin. */
export function publicBaseUrl(c: Context<AppEnv>): string {
  return c.get('deps').config.proxyBaseUrl ?? new URL(c.req.url).origin;
}
