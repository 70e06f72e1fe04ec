import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { constantTimeEqual } from '../auth/logins';
import { isReservedUserId, MASTER_KEY_USER_ID, type Principal } from '../auth/roles';
import { SESSION_COOKIE, type Session } from '../auth/session';
import { forbidden, unauthenticated } from '../errors';
import { namesKey, type KeyItem } from '../keys/model';
import { assertKeyMayCall } from '../keys/routes';
import type { AppEnv } from './env';
import { MODEL_ROUTE_PATHS } from './routes/gateway';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Hot-path routes that authenticate with the virtual key themselves, in the same read as their budget check. */
const GATEWAY_PATHS = new Set(['/spend/authorize', '/spend/record', ...MODEL_ROUTE_PATHS]);
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = 'csrf_token';
/** Signing in starts a new session: an old cookie is ignored there (else its CSRF check would refuse the sign-in form); so do the anonymous forgot-password routes. */
const SIGN_IN_PATHS = new Set(['/login', '/v2/login', '/onboarding/claim_token', '/password/forgot', '/password/reset']);
/** Its Bearer is the onboarding token's `key` (as LiteLLM's UI sends it), which the route checks itself: no caller. */
const ONBOARDING_CLAIM_PATH = '/onboarding/claim_token';

/**
 * Resolves the caller once per request: the master key, a virtual key, or a
 * session (Bearer JWT or the HttpOnly cookie). A Bearer credential that is not
 * valid is a 401 at once; an unusable cookie just leaves the caller anonymous so
 * public routes and the sign-in page still work.
 *
 * Cookie-authenticated writes must carry the session's CSRF token (header
 * `X-CSRF-Token` or form field `csrf_token`): a cross-site form cannot know it.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get('deps');
  c.set('principal', null);
  c.set('callerKey', null);
  c.set('session', null);
  if (GATEWAY_PATHS.has(c.req.path)) return next();
  if (c.req.path === ONBOARDING_CLAIM_PATH) return next();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (bearer) {
    const caller = await principalForBearer(deps, bearer, (key) => isSelfKeyInfo(c.req, key));
    if (caller.key) assertKeyMayCall(caller.key, c.req.path);
    c.set('principal', caller.principal);
    c.set('callerKey', caller.key);
    return next();
  }
  const cookie = SIGN_IN_PATHS.has(c.req.path) ? undefined : getCookie(c, SESSION_COOKIE);
  if (cookie) {
    const session = await deps.sessions.verify(cookie);
    const principal = session ? await principalForSession(deps, session) : null;
    if (session && principal) {
      if (!SAFE_METHODS.has(c.req.method)) await checkCsrf(c, session.csrf);
      c.set('principal', principal);
      c.set('session', session);
    }
  }
  return next();
});

/**
 * The caller behind a Bearer credential. A virtual key acts as its user; a key that
 * belongs to no user (a team or service key) may only read itself (`GET /key/info`,
 * as in LiteLLM), so it gets no principal there and a 401 anywhere else.
 */
async function principalForBearer(
  deps: AppEnv['Variables']['deps'],
  credential: string,
  readsItself: (key: KeyItem) => boolean,
): Promise<{ principal: Principal | null; key: KeyItem | null }> {
  if (constantTimeEqual(credential, deps.config.masterKey)) {
    return { principal: { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'master_key' }, key: null };
  }
  if (credential.startsWith('sk-')) {
    const key = await deps.keys.authenticate(credential);
    if (!key.user_id) {
      if (readsItself(key)) return { principal: null, key };
      throw unauthenticated(`Key ${key.key_name} belongs to no user, so it can only read itself (GET /key/info).`);
    }
    // A key acts with its stored user's role, whatever that user's id.
    const user = await deps.users.get(key.user_id);
    if (!user) throw unauthenticated(`Key ${key.key_name} belongs to a user that no longer exists.`);
    return { principal: { userId: user.user_id, role: user.user_role, via: 'virtual_key', keyHash: key.token }, key };
  }
  const session = await deps.sessions.verify(credential);
  const principal = session ? await principalForSession(deps, session) : null;
  if (!principal) throw unauthenticated('Invalid or expired session token. Sign in again.');
  return { principal, key: null };
}

/** `GET /key/info` about the key the caller sent: no `?key=`, or the same key. */
export function isSelfKeyInfo(req: { method: string; path: string; query(name: string): string | undefined }, key: KeyItem): boolean {
  if (req.method !== 'GET' || req.path !== '/key/info') return false;
  const ref = req.query('key');
  return ref === undefined || namesKey(ref, key);
}

/**
 * The caller behind a session. The user's current role is read on every request, so
 * role changes and deletions apply at once; a session stands only while it carries
 * the user's current session stamp (logout and new passwords change it, and a user
 * re-created with an old id has a new one). Only the master key's session ("admin")
 * is an admin by its id: a stored user with that id is never honoured.
 */
async function principalForSession(deps: AppEnv['Variables']['deps'], session: Session): Promise<Principal | null> {
  if (session.userId === MASTER_KEY_USER_ID) {
    const current = await deps.users.sessionStamp(MASTER_KEY_USER_ID);
    return session.stamp === current ? { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'session' } : null;
  }
  const user = await deps.users.get(session.userId);
  if (!user || isReservedUserId(user.user_id) || session.stamp !== (user.session_stamp ?? null)) return null;
  return { userId: user.user_id, role: user.user_role, via: 'session' };
}

async function checkCsrf(c: Parameters<Parameters<typeof createMiddleware<AppEnv>>[0]>[0], expected: string) {
  let sent = c.req.header(CSRF_HEADER);
  const type = c.req.header('content-type') ?? '';
  if (!sent && (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))) {
    const field = (await c.req.parseBody())[CSRF_FIELD];
    sent = typeof field === 'string' ? field : undefined;
  }
  if (!sent || !constantTimeEqual(sent, expected)) {
    throw forbidden('Missing or invalid CSRF token. Reload the page and try again.');
  }
}

/** The caller, or a 401 for anonymous requests. */
export function requirePrincipal(c: { get(key: 'principal'): Principal | null }): Principal {
  const principal = c.get('principal');
  if (!principal) throw unauthenticated('Authentication required: send "Authorization: Bearer <key>" or sign in.');
  return principal;
}
