import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import { COMPOSED_HANDLER } from 'hono/utils/constants';
import { constantTimeEqual } from '../../auth/logins';
import { isReservedUserId, MASTER_KEY_USER_ID, type Principal } from '../../auth/roles';
import { SESSION_COOKIE, type Session } from '../../auth/session';
import { forbidden, unauthenticated } from '../../core/errors';
import { namesKey, type KeyItem } from '../../keys/model';
import { assertKeyMayCall } from '../../keys/routes';
import type { AppEnv } from './env';
import { isForm } from './media-type';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
export const CSRF_HEADER = 'x-csrf-token';
export const CSRF_FIELD = 'csrf_token';

/**
 * Who may call a route, declared in its definition (`createRoute({ auth })`, or
 * {@link routeAuth} for a route registered by hand); the router installs it.
 *
 * - `public`: no caller needed. The session cookie is not read, so a stale one cannot
 *   block signing in (its CSRF check would refuse the form); a Bearer sent is still checked.
 * - `anyone`: no caller needed, but one sent (Bearer or cookie) is resolved: sign-out, health, pages open to all.
 * - `caller`: the master key, a user's virtual key or a session (Bearer or cookie); else 401.
 * - `session`: a signed-in session only (Bearer session token or cookie); a key is refused (403).
 *   No route needs it yet: a password change is refused to keys by the users service, as it
 *   depends on the fields sent.
 * - `selfKey`: as `caller`, and a key that belongs to no user may read itself (`GET /key/info`, as in LiteLLM).
 * - `virtualKey`: the hot-path gateway routes: they authenticate the key themselves, in the
 *   same read as their budget check, so nothing is read here.
 * - `claimToken`: the Bearer is the onboarding token's `key` (as LiteLLM's UI sends it), which the route checks itself.
 */
export type RouteAuth = 'public' | 'anyone' | 'caller' | 'session' | 'selfKey' | 'virtualKey' | 'claimToken';

type AuthRule = {
  /** What the global middleware reads before the route runs. */
  reads: 'nothing' | 'bearer' | 'bearer or cookie';
  /** Documented in OpenAPI as needing `bearerAuth`. */
  documented: boolean;
  /** Refuses a request this route may not serve, once the caller is resolved. */
  check?: (c: Context<AppEnv>) => void;
};

const AUTH_RULES: Record<RouteAuth, AuthRule> = {
  public: { reads: 'bearer', documented: false },
  anyone: { reads: 'bearer or cookie', documented: false },
  caller: { reads: 'bearer or cookie', documented: true, check: (c) => void requirePrincipal(c) },
  session: {
    reads: 'bearer or cookie',
    documented: true,
    check: (c) => {
      if (requirePrincipal(c).via !== 'session') throw forbidden('This route needs a signed-in session (sign in with your password), not an API key.');
    },
  },
  selfKey: { reads: 'bearer or cookie', documented: true, check: (c) => void (c.get('callerKey') ?? requirePrincipal(c)) },
  virtualKey: { reads: 'nothing', documented: true },
  claimToken: { reads: 'nothing', documented: false },
};

export const ROUTE_AUTH_KINDS = Object.keys(AUTH_RULES) as RouteAuth[];

/** Whether a route declared `auth` serves only a resolved caller (pages send the others to sign in). */
export const needsCaller = (auth: RouteAuth) => auth === 'caller' || auth === 'session' || auth === 'selfKey';

/** The OpenAPI `security` of a route, from its declaration. */
export function securityOf(auth: RouteAuth): { bearerAuth: string[] }[] | undefined {
  return AUTH_RULES[auth].documented ? [{ bearerAuth: [] }] : undefined;
}

const CHECKS = new Map<MiddlewareHandler<AppEnv>, RouteAuth>();
const CHECK_OF = Object.fromEntries(
  ROUTE_AUTH_KINDS.map((auth) => {
    const check = createMiddleware<AppEnv>(async (c, next) => {
      AUTH_RULES[auth].check?.(c);
      await next();
    });
    CHECKS.set(check, auth);
    return [auth, check];
  }),
) as Record<RouteAuth, MiddlewareHandler<AppEnv>>;

/**
 * The middleware a route declaring `auth` runs right before its handler (after its
 * request validation, as clients have always seen the errors). It also marks the
 * route, so {@link authenticate} knows what to read for it.
 */
export function routeAuth(auth: RouteAuth): MiddlewareHandler<AppEnv> {
  return CHECK_OF[auth];
}

/**
 * The auth declared by the route that answers this request; undefined when no route
 * matches (a 404). A matched route that declares nothing is a programming error,
 * refused (500) rather than served with a guess.
 */
export function declaredAuth(c: Context<AppEnv>): RouteAuth | undefined {
  const routes = matchedRoutes(c);
  for (const route of routes) {
    const auth = CHECKS.get(unwrapped(route.handler));
    if (auth) return auth;
  }
  const handler = routes.find((r) => r.method !== 'ALL');
  if (handler) throw new Error(`Route ${handler.method} ${handler.path} declares no auth: give it one (see RouteAuth in shared/http/core/auth.ts)`);
  return undefined;
}

/** A handler as registered: Hono wraps those of a router with its own error handler (the pages) when mounting it. */
function unwrapped(handler: unknown): MiddlewareHandler<AppEnv> {
  let h = handler as MiddlewareHandler<AppEnv> & { [COMPOSED_HANDLER]?: unknown };
  while (!CHECKS.has(h) && h[COMPOSED_HANDLER]) h = h[COMPOSED_HANDLER] as typeof h;
  return h;
}

/**
 * Resolves the caller once per request, as the answering route's declaration says:
 * the master key, a virtual key, or a session (Bearer JWT or the HttpOnly cookie). A
 * Bearer credential that is not valid is a 401 at once; an unusable cookie just
 * leaves the caller anonymous so public routes and the sign-in page still work.
 * Paths no route answers resolve as `anyone`.
 *
 * Cookie-authenticated writes must carry the session's CSRF token (header
 * `X-CSRF-Token` or form field `csrf_token`): a cross-site form cannot know it.
 */
export const authenticate = createMiddleware<AppEnv>(async (c, next) => {
  const deps = c.get('deps');
  c.set('principal', null);
  c.set('callerKey', null);
  c.set('session', null);
  const auth = declaredAuth(c) ?? 'anyone';
  const { reads } = AUTH_RULES[auth];
  if (reads === 'nothing') return next();
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (bearer) {
    const caller = await principalForBearer(deps, bearer, (key) => auth === 'selfKey' && isSelfKeyInfo(c.req, key));
    if (caller.key) assertKeyMayCall(caller.key, c.req.path);
    c.set('principal', caller.principal);
    c.set('callerKey', caller.key);
    return next();
  }
  const cookie = reads === 'bearer or cookie' ? getCookie(c, SESSION_COOKIE) : undefined;
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

/** On a `selfKey` route (`GET /key/info`): the request is about the key the caller sent (no `?key=`, or the same key). */
export function isSelfKeyInfo(req: { query(name: string): string | undefined }, key: KeyItem): boolean {
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

async function checkCsrf(c: Context<AppEnv>, expected: string) {
  let sent = c.req.header(CSRF_HEADER);
  if (!sent && isForm(c)) {
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
