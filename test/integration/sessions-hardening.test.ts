/**
 * Issue 9, sessions and sign-in: sessions are revoked server-side (logout, password
 * change, admin reset, invitation claim, deletion and re-creation of a user id), the
 * sign-in lock holds under concurrent guesses, and the form sign-in refuses
 * cross-site posts.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { keys } from '../../shared/db/keys';
import { expectError, MASTER_KEY, testStack, type Reply, type TestStack } from '../support/stack';

const PASSWORD = 'a long enough passphrase';
const email = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

async function userWithPassword(s: TestStack, body: Record<string, unknown> = {}) {
  const address = email('session');
  const r = await s.call('POST', '/user/new', { body: { user_email: address, password: PASSWORD, auto_create_key: false, ...body } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email: address };
}

const signIn = (s: TestStack, username: string, password = PASSWORD) => s.call('POST', '/v2/login', { token: null, body: { username, password } });

function cookieOf(r: Reply): string {
  const value = /(?:^|,\s*)token=([^;]*)/.exec(r.headers.get('set-cookie') ?? '')?.[1];
  if (!value) throw new Error('no session cookie');
  return value;
}
const withCookie = (cookie: string, headers: Record<string, string> = {}) => ({ token: null, headers: { cookie: `token=${cookie}`, ...headers } });
const whoAmI = (s: TestStack, bearer: string) => s.call('GET', '/user/info', { token: bearer });

describe('item 9: sessions are revocable', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('POST /logout (cookie + CSRF) ends every session of the user, server-side', async () => {
    const u = await userWithPassword(s);
    const first = await signIn(s, u.email);
    const second = await signIn(s, u.email);
    const cookie = cookieOf(first);
    expect((await whoAmI(s, second.body.token)).status).toBe(200);

    const out = await s.call('POST', '/logout', { ...withCookie(cookie), form: { csrf_token: decodeJwt(cookie).csrf as string } });
    expect(out.status).toBe(303);
    // The old cookie, replayed, no longer signs anyone in; nor does the other session.
    expectError(await s.call('GET', '/user/info', withCookie(cookie)), 401);
    expectError(await whoAmI(s, first.body.token), 401);
    expectError(await whoAmI(s, second.body.token), 401);
    // Signing in again works at once.
    const again = await signIn(s, u.email);
    expect((await whoAmI(s, again.body.token)).status).toBe(200);
  });

  test('GET /logout with the cookie, and POST /logout with a Bearer session token, revoke too', async () => {
    const u = await userWithPassword(s);
    const viaGet = await signIn(s, u.email);
    expect((await s.call('GET', '/logout', withCookie(cookieOf(viaGet)))).status).toBe(303);
    expectError(await whoAmI(s, viaGet.body.token), 401);

    const viaBearer = await signIn(s, u.email);
    expect((await s.call('POST', '/logout', { token: viaBearer.body.token })).status).toBe(303);
    expectError(await whoAmI(s, viaBearer.body.token), 401);
  });

  test("the admin's session (signed in with the master key) is revoked by its logout", async () => {
    const admin = await signIn(s, 'admin', MASTER_KEY);
    expect((await s.call('GET', '/user/list', { token: admin.body.token })).status).toBe(200);
    expect((await s.call('POST', '/logout', { token: admin.body.token })).status).toBe(303);
    expectError(await s.call('GET', '/user/list', { token: admin.body.token }), 401);
    // The master key itself is not a session: it keeps working.
    expect((await s.call('GET', '/user/list')).status).toBe(200);
  });

  test('changing your own password ends your other sessions', async () => {
    const u = await userWithPassword(s);
    const changing = await signIn(s, u.email);
    const other = await signIn(s, u.email);
    const r = await s.call('POST', '/user/update', {
      token: changing.body.token,
      body: { user_id: u.userId, password: 'a brand new passphrase', current_password: PASSWORD },
    });
    expect(r.status).toBe(200);
    expectError(await whoAmI(s, other.body.token), 401);
  });

  test("an admin's password reset ends the user's sessions", async () => {
    const u = await userWithPassword(s);
    const session = await signIn(s, u.email);
    expect((await s.call('POST', '/user/update', { body: { user_id: u.userId, password: 'an admin chosen passphrase' } })).status).toBe(200);
    expectError(await whoAmI(s, session.body.token), 401);
  });

  test('setting a password through a new invitation ends earlier sessions', async () => {
    const u = await userWithPassword(s);
    const session = await signIn(s, u.email);
    const invite = await s.call('POST', '/invitation/new', { body: { user_id: u.userId } });
    const id = new URL(invite.body.invitation_link).searchParams.get('id')!;
    const start = await s.call('GET', `/onboarding/get_token?invite_link=${id}`, { token: null });
    const claimed = await s.call('POST', '/onboarding/claim_token', {
      token: null,
      body: { invitation_link: id, user_id: u.userId, password: 'a reset passphrase here', token: start.body.token },
    });
    expect(claimed.status).toBe(200);
    expectError(await whoAmI(s, session.body.token), 401);
    // The claim signs the user in with a fresh session.
    expect((await s.call('GET', '/user/info', withCookie(cookieOf(claimed)))).status).toBe(200);
  });

  test("a user re-created with a deleted user's id inherits none of its sessions", async () => {
    const id = `reused-${randomUUID().slice(0, 8)}`;
    const before = await userWithPassword(s, { user_id: id });
    const session = await signIn(s, before.email);
    expect((await whoAmI(s, session.body.token)).status).toBe(200);
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [id] } })).status).toBe(200);
    expectError(await whoAmI(s, session.body.token), 401);

    await userWithPassword(s, { user_id: id });
    expectError(await whoAmI(s, session.body.token), 401);
  });
});

describe('item 10: the sign-in lock holds under concurrent guesses', () => {
  test('25 parallel wrong guesses lock the account; then the right password is refused, even among parallel guesses', async () => {
    const s = await testStack();
    const u = await userWithPassword(s);
    const replies = await Promise.all(Array.from({ length: 25 }, (_, i) => signIn(s, u.email, `wrong passphrase ${i}`)));
    const statuses = replies.map((r) => r.status).sort();
    expect(statuses.filter((x) => x === 401)).toHaveLength(5);
    expect(statuses.filter((x) => x === 429)).toHaveLength(20);

    const mixed = await Promise.all([signIn(s, u.email), ...Array.from({ length: 5 }, (_, i) => signIn(s, u.email, `more wrong ${i}`))]);
    for (const r of mixed) expectError(r, 429);
    expectError(await signIn(s, u.email), 429);
  }, 60_000);
});

describe('item 11: POST /login refuses cross-site posts', () => {
  let s: TestStack;
  let u: { userId: string; email: string };
  beforeAll(async () => {
    s = await testStack();
    u = await userWithPassword(s);
  });

  const formLogin = (headers: Record<string, string>) => s.call('POST', '/login', { token: null, headers, form: { username: u.email, password: PASSWORD } });

  test.each([
    ['another origin', { origin: 'https://evil.example' }],
    ['an opaque origin', { origin: 'null' }],
    ['a cross-site fetch', { 'sec-fetch-site': 'cross-site' }],
    ['a same-site (sibling subdomain) fetch', { 'sec-fetch-site': 'same-site', origin: 'http://evil.onramp.test' }],
    ['our origin named, but the browser says cross-site', { origin: 'http://onramp.test', 'sec-fetch-site': 'cross-site' }],
  ])('%s: 403, no cookie, no failed attempt counted', async (_label, headers) => {
    const r = await formLogin(headers);
    expect(expectError(r, 403, 'auth_error').message).toMatch(/cross-site/i);
    expect(r.headers.get('set-cookie')).toBeNull();
    expect(await s.deps.table.get(keys.loginFailures(u.email))).toBeUndefined();
  });

  test.each([
    ['our own origin', { origin: 'http://onramp.test', 'sec-fetch-site': 'same-origin' }],
    ['no Origin at all (curl, scripts)', {}],
    ['a typed or bookmarked navigation', { 'sec-fetch-site': 'none' }],
  ])('%s: signs in', async (_label, headers) => {
    const r = await formLogin(headers);
    expect(r.status).toBe(303);
    expect(cookieOf(r)).toMatch(/\./);
  });

  test('PROXY_BASE_URL counts as our origin (behind a proxy that rewrites the host)', async () => {
    const proxied = await testStack({ env: { PROXY_BASE_URL: 'https://ai.example.com' } });
    const v = await userWithPassword(proxied);
    const r = await proxied.call('POST', '/login', { token: null, headers: { origin: 'https://ai.example.com' }, form: { username: v.email, password: PASSWORD } });
    expect(r.status).toBe(303);
  });
});
