/**
 * Signing in and out, sessions (jose JWTs) as cookie and Bearer, CSRF for
 * cookie-authenticated writes, the sign-in lock, and the app-wide behaviour every
 * route shares (request ids, the not-found envelope, the OpenAPI document, health).
 */
import { randomUUID } from 'node:crypto';
import { base64url, decodeJwt, SignJWT } from 'jose';
import { keys } from '../../shared/db/keys';
import { expectError, JWT_SECRET, MASTER_KEY, testStack, type Reply, type TestStack } from '../support/stack';

const PASSWORD = 'a long enough passphrase';
const INVALID = 'Invalid credentials used to access UI.';
const uniqueEmail = (tag = 'auth') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

async function userWithPassword(s: TestStack, role = 'internal_user') {
  const email = uniqueEmail(role);
  const r = await s.call('POST', '/user/new', { body: { user_email: email, user_role: role, password: PASSWORD } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email };
}

const formLogin = (s: TestStack, username: string, password: string) => s.call('POST', '/login', { token: null, form: { username, password } });
const jsonLogin = (s: TestStack, username: string, password: string) => s.call('POST', '/v2/login', { token: null, body: { username, password } });

/** The value of the `token` cookie a response sets. */
function sessionCookie(r: Reply): { value: string; header: string } {
  const header = r.headers.get('set-cookie') ?? '';
  const value = /(?:^|,\s*)token=([^;]*)/.exec(header)?.[1];
  if (value === undefined) throw new Error(`no token cookie in ${JSON.stringify(header)}`);
  return { value, header };
}

const withCookie = (token: string, headers: Record<string, string> = {}) => ({ token: null, headers: { cookie: `token=${token}`, ...headers } });

const secretKey = (secret: string) => new TextEncoder().encode(secret);

/** A session JWT built by hand, valid unless a test changes one part of it. */
function craft(sub: string, o: { secret?: string; audience?: string; issuer?: string; exp?: number; iat?: number; csrf?: string | null; alg?: string; stamp?: string | null } = {}) {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ ...(o.csrf === null ? {} : { csrf: o.csrf ?? 'csrf-value' }), ...(o.stamp ? { stp: o.stamp } : {}) })
    .setProtectedHeader({ alg: o.alg ?? 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuer(o.issuer ?? 'onramp')
    .setAudience(o.audience ?? 'onramp-session')
    .setIssuedAt(o.iat ?? now)
    .setExpirationTime(o.exp ?? now + 3600);
  return jwt.sign(secretKey(o.secret ?? JWT_SECRET));
}

const encodeJson = (value: unknown) => base64url.encode(JSON.stringify(value));

describe('sign in', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  describe('happy path', () => {
    test('POST /login (form) redirects to /ui with an HttpOnly, SameSite=Lax session cookie that works', async () => {
      const u = await userWithPassword(s);
      const r = await formLogin(s, u.email, PASSWORD);
      expect(r.status).toBe(303);
      expect(r.headers.get('location')).toBe('/ui');
      const cookie = sessionCookie(r);
      expect(cookie.value.split('.')).toHaveLength(3);
      expect(cookie.header).toMatch(/;\s*HttpOnly/i);
      expect(cookie.header).toMatch(/;\s*SameSite=Lax/i);
      expect(cookie.header).toMatch(/;\s*Path=\/(;|$)/);
      expect(cookie.header).not.toMatch(/;\s*Secure/i); // served over http here
      const me = await s.call('GET', '/user/info', withCookie(cookie.value));
      expect(me.status).toBe(200);
      expect(me.body.user_id).toBe(u.userId);
    });

    test('the username is matched whatever its case', async () => {
      const u = await userWithPassword(s);
      const r = await formLogin(s, `  ${u.email.toUpperCase()} `, PASSWORD);
      expect(r.status).toBe(303);
    });

    test('POST /v2/login (JSON) returns a token usable as Bearer, and sets the cookie', async () => {
      const u = await userWithPassword(s);
      const r = await jsonLogin(s, u.email, PASSWORD);
      expect(r.status).toBe(200);
      expect(r.body).toEqual({ redirect_url: '/ui', token: expect.any(String), user_id: u.userId, expires: expect.any(String) });
      expect(new Date(r.body.expires).getTime()).toBeGreaterThan(Date.now());
      expect(sessionCookie(r).value).toBe(r.body.token);
      const me = await s.call('GET', '/user/info', { token: r.body.token });
      expect(me.status).toBe(200);
      expect(me.body.user_id).toBe(u.userId);
      // the session JWT carries what the server pinned
      const claims = decodeJwt(r.body.token);
      expect(claims).toMatchObject({ sub: u.userId, iss: 'onramp', aud: 'onramp-session', csrf: expect.any(String) });
    });

    test('"admin" with the master key signs in as the proxy admin', async () => {
      const r = await jsonLogin(s, 'admin', MASTER_KEY);
      expect(r.status).toBe(200);
      expect(r.body.user_id).toBe('default_user_id');
      const list = await s.call('GET', '/user/list', { token: r.body.token });
      expect(list.status).toBe(200);
      const created = await s.call('POST', '/user/new', { token: r.body.token, body: { user_email: uniqueEmail('by-admin') } });
      expect(created.status).toBe(200);
      expect(created.body.created_by).toBe('default_user_id');
    });

    test('signing in again while an old session cookie is present switches accounts', async () => {
      const first = await userWithPassword(s);
      const second = await userWithPassword(s);
      const old = sessionCookie(await formLogin(s, first.email, PASSWORD)).value;
      const r = await s.call('POST', '/login', { ...withCookie(old), form: { username: second.email, password: PASSWORD } });
      expect(r.status).toBe(303);
      const fresh = sessionCookie(r).value;
      expect((await s.call('GET', '/user/info', withCookie(fresh))).body.user_id).toBe(second.userId);
      const v2 = await s.call('POST', '/v2/login', { ...withCookie(old), body: { username: second.email, password: PASSWORD } });
      expect(v2.status).toBe(200);
    });

    test('the cookie is marked Secure when the public URL is https', async () => {
      const https = await testStack({ env: { PROXY_BASE_URL: 'https://onramp.example.com' } });
      const r = await jsonLogin(https, 'admin', MASTER_KEY);
      expect(r.status).toBe(200);
      expect(sessionCookie(r).header).toMatch(/;\s*Secure/i);
    });
  });

  describe('refusals', () => {
    test('a wrong password is a 401 with LiteLLM message, and no cookie', async () => {
      const u = await userWithPassword(s);
      for (const r of [await formLogin(s, u.email, 'not the passphrase'), await jsonLogin(s, u.email, 'not the passphrase')]) {
        const err = expectError(r, 401, 'auth_error');
        expect(err.message).toBe(INVALID);
        expect(r.headers.get('set-cookie')).toBeNull();
      }
    });

    test('an unknown email gets the same answer as a wrong password', async () => {
      const err = expectError(await jsonLogin(s, uniqueEmail('nobody'), PASSWORD), 401, 'auth_error');
      expect(err.message).toBe(INVALID);
    });

    test('a user without a password cannot sign in', async () => {
      const email = uniqueEmail('nopass');
      expect((await s.call('POST', '/user/new', { body: { user_email: email } })).status).toBe(200);
      expect(expectError(await jsonLogin(s, email, PASSWORD), 401).message).toBe(INVALID);
    });

    test('"admin" with a wrong master key is refused', async () => {
      expect(expectError(await jsonLogin(s, 'admin', 'sk-wrong-master-key-000000'), 401).message).toBe(INVALID);
    });

    test('missing fields are a 400', async () => {
      expectError(await s.call('POST', '/login', { token: null, form: { username: 'a@example.com' } }), 400, 'bad_request_error');
      expectError(await s.call('POST', '/v2/login', { token: null, body: { password: PASSWORD } }), 400, 'bad_request_error');
      expectError(await s.call('POST', '/v2/login', { token: null }), 400, 'bad_request_error');
    });

    test('after 5 failures for one email, even the right password is refused with 429', async () => {
      const locked = await testStack();
      const u = await userWithPassword(locked);
      const other = await userWithPassword(locked);
      for (let i = 0; i < 5; i++) {
        expect(expectError(await jsonLogin(locked, u.email, `wrong passphrase ${i}`), 401).message).toBe(INVALID);
      }
      const err = expectError(await jsonLogin(locked, u.email, PASSWORD), 429);
      expect(err.message).toMatch(/Too many failed sign-in attempts/);
      expectError(await formLogin(locked, u.email.toUpperCase(), PASSWORD), 429);
      // the lock is per email: others still sign in
      expect((await jsonLogin(locked, other.email, PASSWORD)).status).toBe(200);
    }, 60_000);

    test('admin (the master key) is never locked: failures cannot lock the admin out of the pages', async () => {
      const fresh = await testStack();
      for (let i = 0; i < 8; i++) expect(expectError(await jsonLogin(fresh, 'admin', `sk-wrong-guess-${i}`), 401).message).toBe(INVALID);
      const signedIn = await jsonLogin(fresh, 'admin', fresh.deps.config.masterKey);
      expect(signedIn.status).toBe(200);
      expect(await fresh.deps.table.get(keys.loginFailures('admin'))).toBeUndefined();
    }, 60_000);

    test('a successful sign-in clears earlier failures', async () => {
      const fresh = await testStack();
      const u = await userWithPassword(fresh);
      for (let i = 0; i < 4; i++) expectError(await jsonLogin(fresh, u.email, 'wrong passphrase!'), 401);
      expect((await jsonLogin(fresh, u.email, PASSWORD)).status).toBe(200);
      for (let i = 0; i < 4; i++) expectError(await jsonLogin(fresh, u.email, 'wrong passphrase!'), 401);
      expect((await jsonLogin(fresh, u.email, PASSWORD)).status).toBe(200);
    }, 60_000);
  });

  describe('passwords', () => {
    test('are stored as salted scrypt hashes and never returned', async () => {
      const email = uniqueEmail('stored');
      const created = await s.call('POST', '/user/new', { body: { user_email: email, password: PASSWORD } });
      expect(JSON.stringify(created.body)).not.toMatch(/password|scrypt/i);
      const stored = await s.deps.table.get<{ password_hash: string }>(keys.user(created.body.user_id));
      expect(stored?.password_hash).toMatch(/^scrypt\$/);
      expect(stored?.password_hash).not.toContain(PASSWORD);
      const login = await jsonLogin(s, email, PASSWORD);
      expect(JSON.stringify(login.body)).not.toMatch(/password|scrypt/i);
      for (const r of [await s.call('GET', `/user/info?user_id=${created.body.user_id}`), await s.call('GET', '/user/list')]) {
        expect(JSON.stringify(r.body)).not.toMatch(/password|scrypt/i);
      }
    });

    test('the stored hash does not work as a password (no pass-the-hash)', async () => {
      const u = await userWithPassword(s);
      const stored = await s.deps.table.get<{ password_hash: string }>(keys.user(u.userId));
      expectError(await jsonLogin(s, u.email, stored!.password_hash), 401);
    });
  });
});

describe('session tokens', () => {
  let s: TestStack;
  let user: { userId: string; email: string; token: string };
  let admin: { userId: string; email: string; token: string };
  const infoAs = (bearer: string) => s.call('GET', '/user/info', { token: bearer });

  beforeAll(async () => {
    s = await testStack();
    user = await s.userWithSession('internal_user');
    admin = await s.userWithSession('proxy_admin');
  });

  test('a well-formed token signed with the secret is accepted (control for the cases below)', async () => {
    // It carries the user's current session stamp, as every session issued by the app does.
    const r = await infoAs(await craft(user.userId, { stamp: await s.deps.users.sessionStamp(user.userId) }));
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(user.userId);
  });

  describe('forged or stale tokens are a 401 as Bearer', () => {
    const cases: Array<[string, () => Promise<string>]> = [
      ['alg: none', async () => `${encodeJson({ alg: 'none', typ: 'JWT' })}.${decodeParts(await craft(user.userId)).payload}.`],
      [
        'alg: none keeping the old signature',
        async () => {
          const t = decodeParts(await craft(user.userId));
          return `${encodeJson({ alg: 'none', typ: 'JWT' })}.${t.payload}.${t.signature}`;
        },
      ],
      [
        'a tampered payload (sub swapped for an admin)',
        async () => {
          const t = decodeParts(user.token);
          const claims = { ...decodeJwt(user.token), sub: admin.userId };
          return `${t.header}.${encodeJson(claims)}.${t.signature}`;
        },
      ],
      ['an expired token', () => craft(user.userId, { iat: Math.floor(Date.now() / 1000) - 7200, exp: Math.floor(Date.now() / 1000) - 3600 })],
      ['a token signed with another secret', () => craft(user.userId, { secret: 'another-secret-that-is-also-long-enough-42' })],
      ['a token for another audience', () => craft(user.userId, { audience: 'some-other-app' })],
      ['a token from another issuer', () => craft(user.userId, { issuer: 'someone-else' })],
      ['a token without the csrf claim', () => craft(user.userId, { csrf: null })],
      ['a token with another HMAC algorithm', () => craft(user.userId, { alg: 'HS512' })],
      ['a token for a user that does not exist', () => craft('no-such-user')],
      ['not a JWT at all', async () => 'definitely-not-a-jwt'],
    ];

    test.each(cases)('%s', async (_label, make) => {
      const r = await infoAs(await make());
      expectError(r, 401, 'auth_error');
      expect(r.headers.get('www-authenticate')).toMatch(/^Bearer/);
    });
  });

  test('an invalid cookie leaves the caller anonymous: 401 on private routes, public routes still work', async () => {
    for (const bad of ['garbage', await craft(user.userId, { secret: 'another-secret-that-is-also-long-enough-42' })]) {
      expectError(await s.call('GET', '/user/info', withCookie(bad)), 401, 'auth_error');
      expect((await s.call('GET', '/health/liveliness', withCookie(bad))).status).toBe(200);
    }
  });

  test('an unknown sk- key is a 401', async () => {
    expectError(await infoAs('sk-this-key-does-not-exist-12345'), 401, 'auth_error');
  });
});

describe('CSRF for cookie sessions', () => {
  let s: TestStack;
  let cookie: string;
  let csrf: string;
  let target: string;

  beforeAll(async () => {
    s = await testStack();
    const admin = await userWithPassword(s, 'proxy_admin');
    const login = await formLogin(s, admin.email, PASSWORD);
    expect(login.status).toBe(303);
    cookie = sessionCookie(login).value;
    csrf = decodeJwt(cookie).csrf as string;
    expect(typeof csrf).toBe('string');
    target = (await s.call('POST', '/user/new', { body: { user_email: uniqueEmail('target'), max_budget: 1 } })).body.user_id;
  });

  const budgetOfTarget = async () => (await s.call('GET', `/user/info?user_id=${target}`)).body.user_info.max_budget;

  test('a cookie-authenticated write without X-CSRF-Token is a 403 and writes nothing', async () => {
    const r = await s.call('POST', '/user/update', { ...withCookie(cookie), body: { user_id: target, max_budget: 5 } });
    expect(expectError(r, 403, 'auth_error').message).toMatch(/CSRF/);
    expect(await budgetOfTarget()).toBe(1);
    const email = uniqueEmail('csrf');
    expectError(await s.call('POST', '/user/new', { ...withCookie(cookie), body: { user_email: email } }), 403);
    expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(0);
  });

  test('a wrong X-CSRF-Token is a 403', async () => {
    const r = await s.call('POST', '/user/update', { ...withCookie(cookie, { 'x-csrf-token': 'not-the-token' }), body: { user_id: target, max_budget: 5 } });
    expectError(r, 403, 'auth_error');
    expect(await budgetOfTarget()).toBe(1);
  });

  test("another session's CSRF token does not fit this session", async () => {
    const other = await s.deps.sessions.issue(target);
    const r = await s.call('POST', '/user/update', { ...withCookie(cookie, { 'x-csrf-token': other.session.csrf }), body: { user_id: target, max_budget: 5 } });
    expectError(r, 403, 'auth_error');
  });

  test('the csrf claim of the session JWT, sent as X-CSRF-Token, lets the write through', async () => {
    const r = await s.call('POST', '/user/update', { ...withCookie(cookie, { 'x-csrf-token': csrf }), body: { user_id: target, max_budget: 5 } });
    expect(r.status).toBe(200);
    expect(await budgetOfTarget()).toBe(5);
  });

  test('a form post may carry the token as the csrf_token field', async () => {
    // Logout ends every session of its user, so this test signs in a user of its own, and
    // tries the wrong token before the right one.
    const own = await userWithPassword(s);
    const ownCookie = sessionCookie(await formLogin(s, own.email, PASSWORD)).value;
    const refused = await s.call('POST', '/logout', { ...withCookie(ownCookie), form: { csrf_token: 'wrong' } });
    expectError(refused, 403);
    const r = await s.call('POST', '/logout', { ...withCookie(ownCookie), form: { csrf_token: decodeJwt(ownCookie).csrf as string } });
    expect(r.status).toBe(303);
  });

  test('reads with the cookie need no CSRF token', async () => {
    expect((await s.call('GET', '/user/list', withCookie(cookie))).status).toBe(200);
  });

  test('a Bearer-authenticated write needs no CSRF token', async () => {
    const session = await jsonLogin(s, 'admin', MASTER_KEY);
    const r = await s.call('POST', '/user/update', { token: session.body.token, body: { user_id: target, max_budget: 6 } });
    expect(r.status).toBe(200);
    expect(await budgetOfTarget()).toBe(6);
  });
});

describe('sign out', () => {
  test('GET /logout clears the cookie and goes to /ui/login', async () => {
    const s = await testStack();
    const r = await s.call('GET', '/logout', { token: null });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/login');
    const cookie = sessionCookie(r);
    expect(cookie.value).toBe('');
    expect(cookie.header).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(cookie.header).toMatch(/;\s*Path=\/(;|$)/);
  });

  test('with PROXY_LOGOUT_URL set, logout goes there and ui_settings names it', async () => {
    const s = await testStack({ env: { PROXY_LOGOUT_URL: 'https://example.com/bye' } });
    const r = await s.call('GET', '/logout', { token: null });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('https://example.com/bye');
    expect(sessionCookie(r).value).toBe('');
    const settings = await s.call('GET', '/sso/get/ui_settings', { token: null });
    expect(settings.body).toEqual({ PROXY_BASE_URL: 'http://onramp.test', PROXY_LOGOUT_URL: 'https://example.com/bye' });
  });
});

describe('every route', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('an unknown route is a 404 in the envelope', async () => {
    const err = expectError(await s.call('GET', '/no/such/route'), 404, 'not_found_error');
    expect(err.message).toContain('/no/such/route');
    expectError(await s.call('DELETE', '/user/new', { token: null }), 404, 'not_found_error');
  });

  test('every response carries an X-Request-Id', async () => {
    const replies = [
      await s.call('GET', '/health/liveliness', { token: null }),
      await s.call('GET', '/user/list'),
      await s.call('GET', '/user/list', { token: null }),
      await s.call('GET', '/user/list?page_size=500'),
      await s.call('GET', '/nope'),
      await s.call('GET', '/logout', { token: null }),
      await s.call('POST', '/v2/login', { token: null, body: { username: 'x@example.com', password: 'wrong password!' } }),
    ];
    expect(replies.map((r) => r.status)).toEqual([200, 200, 401, 400, 404, 303, 401]);
    const ids = replies.map((r) => r.headers.get('x-request-id'));
    for (const id of ids) expect(id).toEqual(expect.any(String));
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('GET /openapi.json lists every /user/* route and the sign-in routes', async () => {
    const r = await s.call('GET', '/openapi.json', { token: null });
    expect(r.status).toBe(200);
    expect(r.body.openapi).toMatch(/^3\./);
    const paths = r.body.paths;
    expect(paths['/user/new'].post).toBeDefined();
    expect(paths['/user/info'].get).toBeDefined();
    expect(paths['/user/update'].post).toBeDefined();
    expect(paths['/user/delete'].post).toBeDefined();
    expect(paths['/user/list'].get).toBeDefined();
    expect(paths['/login'].post).toBeDefined();
    expect(paths['/v2/login'].post).toBeDefined();
    expect(paths['/logout'].get).toBeDefined();
  });

  test('health: liveliness and readiness', async () => {
    const live = await s.call('GET', '/health/liveliness', { token: null });
    expect(live.status).toBe(200);
    expect(live.body).toBe("I'm alive!");
    const ready = await s.call('GET', '/health/readiness', { token: null });
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'healthy', db: 'connected', table: 'ACTIVE' });
  });
});

function decodeParts(token: string) {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  return { header, payload, signature };
}
