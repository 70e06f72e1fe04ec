/**
 * Each route declares who may call it (`auth` in its definition, see RouteAuth in
 * shared/http/core/auth.ts) and the router installs it: no route without a declaration,
 * the OpenAPI document's `security` derived from it, and each kind doing what it
 * says: a `session` route refuses keys, a `public` route ignores the session
 * cookie, the gateway routes read their key themselves, once.
 */
import { randomUUID } from 'node:crypto';
import { COMPOSED_HANDLER } from 'hono/utils/constants';
import { keys } from '../../shared/db/keys';
import { requirePrincipal, ROUTE_AUTH_KINDS, routeAuth, securityOf, type RouteAuth } from '../../shared/http/core/auth';
import { createRoute, newRouter } from '../../shared/http/core/router';
import { expectError, MASTER_KEY, testStack, type TestStack } from '../support/stack';

const PASSWORD = 'a long enough passphrase';

/** The kind a registered handler declares, seen through Hono's wrapping of mounted routers. */
const KIND_OF = new Map(ROUTE_AUTH_KINDS.map((kind) => [routeAuth(kind) as unknown, kind]));
function kindOf(handler: unknown): RouteAuth | undefined {
  let h = handler as { [COMPOSED_HANDLER]?: unknown } | undefined;
  while (h && !KIND_OF.has(h) && h[COMPOSED_HANDLER]) h = h[COMPOSED_HANDLER] as typeof h;
  return KIND_OF.get(h);
}

let s: TestStack;

beforeAll(async () => {
  s = await testStack();
  // Routes only this suite serves, added before the first request builds the app's router.
  s.app.route(
    '/',
    newRouter().openapi(
      createRoute({ method: 'post', path: '/test/session-only', auth: 'session', responses: { 200: { description: 'the caller' } } }),
      (c) => c.json({ via: requirePrincipal(c).via }, 200),
    ),
  );
  s.app.get('/test/undeclared', (c) => c.json({ served: true }, 200));
});

describe('every route declares its auth', () => {
  test('every JSON route definition names one of the kinds', () => {
    expect(s.app.definitions.length).toBeGreaterThan(70);
    const undeclared = s.app.definitions.filter((d) => !ROUTE_AUTH_KINDS.includes(d.auth)).map((d) => `${d.method} ${d.path}`);
    expect(undeclared).toEqual([]);
  });

  test('every route the app serves (JSON, model routes, pages, /openapi.json) runs a declared check', () => {
    const declared = new Map<string, RouteAuth[]>();
    for (const r of s.app.routes.filter((r) => r.method !== 'ALL' && r.path !== '/test/undeclared')) {
      const kinds = declared.get(`${r.method} ${r.path}`) ?? [];
      const kind = kindOf(r.handler);
      declared.set(`${r.method} ${r.path}`, kind ? [...kinds, kind] : kinds);
    }
    const missing = [...declared].filter(([, kinds]) => kinds.length !== 1).map(([route, kinds]) => `${route}: ${kinds.join(', ') || 'none'}`);
    expect(missing).toEqual([]);
    expect(declared.size).toBeGreaterThan(120);
    // Spot checks, one per kind that today's behaviour needs.
    expect(declared.get('POST /v1/chat/completions')).toEqual(['virtualKey']);
    expect(declared.get('POST /spend/authorize')).toEqual(['virtualKey']);
    expect(declared.get('GET /key/info')).toEqual(['selfKey']);
    expect(declared.get('POST /onboarding/claim_token')).toEqual(['claimToken']);
    expect(declared.get('POST /login')).toEqual(['public']);
    expect(declared.get('POST /password/forgot')).toEqual(['public']);
    expect(declared.get('GET /logout')).toEqual(['anyone']);
    expect(declared.get('POST /team/new')).toEqual(['caller']);
    expect(declared.get('GET /ui/login')).toEqual(['anyone']);
    expect(declared.get('GET /ui/account')).toEqual(['caller']);
    expect(declared.get('GET /ui/teams')).toEqual(['caller']);
    expect(declared.get('GET /openapi.json')).toEqual(['anyone']);
  });

  test("the OpenAPI document's security is derived from each declaration", async () => {
    const doc = (await s.call('GET', '/openapi.json', { token: null })).body as { paths: Record<string, Record<string, { security?: unknown }>> };
    const checked = s.app.definitions.filter((d) => !d.path.startsWith('/test/'));
    for (const d of checked) {
      expect({ route: `${d.method} ${d.path}`, security: doc.paths[d.path]?.[d.method]?.security }).toEqual({ route: `${d.method} ${d.path}`, security: securityOf(d.auth) });
    }
    expect(doc.paths['/v1/chat/completions']!.post!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/key/info']!.get!.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/login']!.post!.security).toBeUndefined();
    expect(doc.paths['/onboarding/claim_token']!.post!.security).toBeUndefined();
  });

  test('a route registered without a declaration is refused (500), never served with a guess', async () => {
    const r = await s.call('GET', '/test/undeclared');
    expectError(r, 500, 'internal_server_error');
    expect(JSON.stringify(r.body)).not.toContain('served');
  });
});

describe('a session route', () => {
  test('serves a signed-in session, as Bearer token or as cookie (with its CSRF token)', async () => {
    const u = await s.userWithSession('internal_user');
    const bearer = await s.call('POST', '/test/session-only', { token: u.token });
    expect({ status: bearer.status, body: bearer.body }).toEqual({ status: 200, body: { via: 'session' } });
    const { token, session } = await s.deps.sessions.issue(u.userId);
    const cookie = await s.call('POST', '/test/session-only', { token: null, headers: { cookie: `token=${token}`, 'x-csrf-token': session.csrf } });
    expect({ status: cookie.status, body: cookie.body }).toEqual({ status: 200, body: { via: 'session' } });
  });

  test("refuses the user's own virtual key and the master key (403), and anonymous callers (401)", async () => {
    const u = await s.userWithSession('internal_user');
    const key = await s.call('POST', '/key/generate', { token: u.token, body: {} });
    expect(key.status).toBe(200);
    expectError(await s.call('POST', '/test/session-only', { token: key.body.key }), 403, 'auth_error');
    expectError(await s.call('POST', '/test/session-only', { token: MASTER_KEY }), 403, 'auth_error');
    expectError(await s.call('POST', '/test/session-only', { token: null }), 401, 'auth_error');
  });
});

describe('a public route ignores the session cookie', () => {
  async function userWithPassword() {
    const email = `route-auth-${randomUUID().slice(0, 8)}@example.com`;
    const r = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', password: PASSWORD } });
    expect(r.status).toBe(200);
    return { userId: r.body.user_id as string, email };
  }

  test("signing in works with another session's cookie and no CSRF token (a cookie-reading route would refuse it: 403)", async () => {
    const other = await userWithPassword();
    const { token: stale } = await s.deps.sessions.issue(other.userId);
    const me = await userWithPassword();
    const cookie = { cookie: `token=${stale}` };

    const form = await s.call('POST', '/login', { token: null, headers: cookie, form: { username: me.email, password: PASSWORD } });
    expect({ status: form.status, location: form.headers.get('location') }).toEqual({ status: 303, location: '/ui' });
    const json = await s.call('POST', '/v2/login', { token: null, headers: cookie, body: { username: me.email, password: PASSWORD } });
    expect({ status: json.status, user_id: json.body.user_id }).toEqual({ status: 200, user_id: me.userId });
    const forgot = await s.call('POST', '/password/forgot', { token: null, headers: cookie, body: { user_email: me.email } });
    expect(forgot.status).toBe(200);

    // The same cookie on a route that reads it: the write needs the CSRF token.
    expectError(await s.call('POST', '/logout', { token: null, headers: cookie }), 403, 'auth_error');
  });

  test('a cookie of a session that has since ended does not block signing in either', async () => {
    const me = await userWithPassword();
    const { token: ended } = await s.deps.sessions.issue(me.userId);
    await s.deps.users.revokeSessions(me.userId);
    const r = await s.call('POST', '/v2/login', { token: null, headers: { cookie: `token=${ended}` }, body: { username: me.email, password: PASSWORD } });
    expect({ status: r.status, user_id: r.body.user_id }).toEqual({ status: 200, user_id: me.userId });
  });
});

describe('the gateway routes authenticate their key themselves, in one read', () => {
  /** Counts the reads of one key's item while `run` runs. */
  async function keyReads(token: string, run: () => Promise<unknown>): Promise<number> {
    const doc = s.deps.table.doc;
    const send = doc.send.bind(doc);
    const item = JSON.stringify(keys.key(token)).slice(1, -1);
    let reads = 0;
    doc.send = ((command: { constructor: { name: string }; input: unknown }, ...rest: unknown[]) => {
      if (/^(Get|BatchGet|TransactGet|Query)Command$/.test(command.constructor.name) && JSON.stringify(command.input).includes(item)) reads++;
      return (send as (...args: unknown[]) => unknown)(command, ...rest);
    }) as typeof doc.send;
    try {
      await run();
    } finally {
      doc.send = send as typeof doc.send;
    }
    return reads;
  }

  let secret: string;
  let token: string;
  beforeAll(async () => {
    const u = await s.userWithSession('internal_user');
    const key = await s.call('POST', '/key/generate', { body: { user_id: u.userId, max_budget: 5 } });
    expect(key.status).toBe(200);
    secret = key.body.key;
    token = key.body.token;
  });

  test('a caller route reads the key once, in the authentication middleware (the counter counts)', async () => {
    let status = 0;
    expect(await keyReads(token, async () => (status = (await s.call('GET', '/key/list', { token: secret })).status))).toBe(1);
    expect(status).toBe(200);
  });

  test('/spend/authorize and /v1/models read it once and /spend/record not at all: nothing more before the route', async () => {
    const request_id = `route-auth-${randomUUID().slice(0, 8)}`;
    const statuses: number[] = [];
    const authorize = () => s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: 0.01, request_id } });
    expect(await keyReads(token, async () => statuses.push((await authorize()).status))).toBe(1);
    const record = () => s.call('POST', '/spend/record', { token: secret, body: { request_id, cost: 0.01 } });
    // The record reads no key item at all when the open reservation names this key (shared/spend/gateway.ts).
    expect(await keyReads(token, async () => statuses.push((await record()).status))).toBe(0);
    expect(await keyReads(token, async () => statuses.push((await s.call('GET', '/v1/models', { token: secret })).status))).toBe(1);
    expect(statuses).toEqual([200, 200, 200]);
  });

  test('they still refuse what is not a working virtual key', async () => {
    const body = { model: 'gpt-4o', estimated_cost: 0.01 };
    expectError(await s.call('POST', '/spend/authorize', { token: null, body }), 401, 'auth_error');
    expectError(await s.call('POST', '/spend/authorize', { token: MASTER_KEY, body }), 401, 'auth_error');
    expectError(await s.call('POST', '/spend/authorize', { token: 'sk-not-a-key', body }), 401, 'auth_error');
    expect((await s.call('GET', '/v1/models', { token: null })).status).toBe(401);
    expect((await s.call('GET', '/v1/models', { token: MASTER_KEY })).status).toBe(401);
    expect((await s.call('GET', '/v1/models', { token: 'sk-not-a-key' })).status).toBe(401);
  });
});
