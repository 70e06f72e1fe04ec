/**
 * SSO (OpenID Connect, authorization code + PKCE) against a real provider: the
 * `oidc-provider` package run by the test on 127.0.0.1 (see test/support/oidc-provider-server.mjs),
 * onramp on DynamoDB Local. Covers first sign-in with the default user settings,
 * matching by email, IdP groups to teams, tampered ID tokens and replayed or foreign
 * callbacks, and turning password sign-in off.
 */
import { expectError, MASTER_KEY, testStack, type Reply, type TestStack } from '../support/stack';
import { signInAtIdp, startIdp, type TestIdp } from '../support/oidc-idp';
import { freePort } from '../../local/ports';

jest.setTimeout(60_000);

let idp: TestIdp;
let s: TestStack;
let defaultTeamId: string;

beforeAll(async () => {
  idp = await startIdp(['http://onramp.test/sso/callback']);
  s = await testStack({ env: idp.env({ ONRAMP_SSO_TEAMS_CLAIM: 'groups' }) });
  const team = await s.call('POST', '/team/new', { body: { team_alias: 'exploration', models: ['gpt-4o'], max_budget: 100 } });
  expect(team.status).toBe(200);
  defaultTeamId = team.body.team_id;
  const settings = await s.call('PATCH', '/update/internal_user_settings', {
    body: { teams: [defaultTeamId], models: ['no-default-models'], max_budget: 7, budget_duration: '1mo', user_role: 'internal_user_viewer' },
  });
  expect(settings.status).toBe(200);
});

afterAll(async () => {
  await idp?.stop();
});

/** The value of a cookie set by a reply, or undefined. */
function setCookie(reply: Reply, name: string): string | undefined {
  for (const line of reply.headers.getSetCookie()) {
    const [pair] = line.split(';');
    if (pair!.startsWith(`${name}=`)) return pair!.slice(name.length + 1);
  }
  return undefined;
}

/** Starts SSO at onramp; returns the IdP URL it redirects to and the flow cookie. */
async function start(stack: TestStack, next?: string) {
  const r = await stack.call('GET', `/sso/key/generate${next ? `?next=${encodeURIComponent(next)}` : ''}`, { token: null });
  expect(r.status).toBe(303);
  const flow = setCookie(r, 'onramp_sso');
  expect(flow).toBeTruthy();
  return { location: r.headers.get('location')!, flow: flow! };
}

async function callback(stack: TestStack, back: URL, flow: string | undefined, headers: Record<string, string> = {}) {
  return stack.call('GET', `/sso/callback${back.search}`, { token: null, headers: { ...(flow ? { cookie: `onramp_sso=${flow}` } : {}), ...headers } });
}

/** The whole round trip; returns the callback's reply. */
async function ssoSignIn(stack: TestStack, email: string, next?: string) {
  const { location, flow } = await start(stack, next);
  return callback(stack, await signInAtIdp(location, email), flow);
}

const uniqueEmail = (name: string) => `${name}-${Math.random().toString(36).slice(2, 8)}@corp.example`;

describe('starting the flow', () => {
  test('redirects to the IdP with code + PKCE (S256), state and nonce, and keeps them in a signed, HttpOnly cookie', async () => {
    const r = await s.call('GET', '/sso/key/generate', { token: null });
    expect(r.status).toBe(303);
    const url = new URL(r.headers.get('location')!);
    expect(url.origin).toBe(idp.issuer);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      client_id: 'onramp-test-client',
      redirect_uri: 'http://onramp.test/sso/callback',
      scope: 'openid email profile groups',
      response_type: 'code',
      state: expect.stringMatching(/^[\w-]{40,}$/),
      nonce: expect.stringMatching(/^[\w-]{40,}$/),
      code_challenge: expect.stringMatching(/^[\w-]{43}$/),
      code_challenge_method: 'S256',
    });
    const line = r.headers.getSetCookie().find((l) => l.startsWith('onramp_sso='))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Path=\/sso/);
    // The verifier is not in the URL; the cookie is a JWT signed by onramp.
    const flow = setCookie(r, 'onramp_sso')!;
    const claims = JSON.parse(Buffer.from(flow.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ state: url.searchParams.get('state'), nonce: url.searchParams.get('nonce'), aud: 'onramp-sso-flow', next: '/ui' });
    expect(url.search).not.toContain(claims.verifier);
  });

  test('an outside "next" is replaced by /ui (no open redirect)', async () => {
    const { flow } = await start(s, 'https://evil.example/phish');
    expect(JSON.parse(Buffer.from(flow.split('.')[1]!, 'base64url').toString()).next).toBe('/ui');
  });
});

describe('signing in', () => {
  test('a first sign-in creates the user with the default user settings and starts the same session as a password sign-in', async () => {
    const email = uniqueEmail('ana');
    await idp.account(email);
    const r = await ssoSignIn(s, email, '/ui/teams');
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('/ui/teams');
    const token = setCookie(r, 'token')!;
    expect(token).toBeTruthy();
    const cookieLine = r.headers.getSetCookie().find((l) => l.startsWith('token='))!;
    expect(cookieLine).toMatch(/HttpOnly/i);
    // The flow cookie is used up.
    expect(r.headers.getSetCookie().some((l) => /^onramp_sso=;/.test(l) && /Path=\/sso/.test(l))).toBe(true);

    // The session cookie is a regular onramp session: verified by the same signer, usable as a Bearer.
    const session = await s.deps.sessions.verify(token);
    expect(session).not.toBeNull();
    const me = await s.call('GET', '/user/info', { token });
    expect(me.status).toBe(200);
    expect(me.body.user_info).toMatchObject({
      user_id: session!.userId,
      user_email: email,
      user_role: 'internal_user_viewer',
      max_budget: 7,
      budget_duration: '1mo',
      budget_reset_at: expect.any(String),
      models: ['no-default-models'],
      teams: [defaultTeamId],
      created_by: 'sso',
      metadata: { created_via: 'sso' },
    });
    expect(me.body.user_info.password_hash).toBeUndefined();
    const team = await s.call('GET', `/team/info?team_id=${defaultTeamId}`);
    expect(team.body.team_memberships.map((m: { user_id: string }) => m.user_id)).toContain(session!.userId);
    // The pages take the cookie too.
    const page = await s.app.request('http://onramp.test/ui', { headers: { cookie: `token=${token}` } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(email);
  });

  test('signing in again finds the same user: one user per email', async () => {
    const email = uniqueEmail('bo');
    await idp.account(email);
    const first = await ssoSignIn(s, email);
    const second = await ssoSignIn(s, email);
    const a = await s.deps.sessions.verify(setCookie(first, 'token')!);
    const b = await s.deps.sessions.verify(setCookie(second, 'token')!);
    expect(a!.userId).toBe(b!.userId);
    const list = await s.call('GET', `/user/list?user_email=${encodeURIComponent(email)}`);
    expect(list.body.total).toBe(1);
  });

  test('an existing user is matched by email (any case) and keeps their role and settings', async () => {
    const email = uniqueEmail('viewer');
    const created = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'proxy_admin_viewer', max_budget: 50, auto_create_key: false } });
    expect(created.status).toBe(200);
    const shouted = email.toUpperCase();
    await idp.account(shouted, {});
    const r = await ssoSignIn(s, shouted);
    expect(r.status).toBe(303);
    const session = await s.deps.sessions.verify(setCookie(r, 'token')!);
    expect(session!.userId).toBe(created.body.user_id);
    const me = await s.call('GET', '/user/info', { token: setCookie(r, 'token')! });
    expect(me.body.user_info).toMatchObject({ user_role: 'proxy_admin_viewer', max_budget: 50, created_by: 'default_user_id' });
  });

  test('IdP groups that name teams add the user to them; unknown groups are reported, not fatal', async () => {
    const team = await s.call('POST', '/team/new', { body: { team_alias: 'research', models: ['claude'] } });
    const email = uniqueEmail('grouped');
    await idp.account(email, { groups: [team.body.team_id, 'no-such-team'] });
    const r = await ssoSignIn(s, email);
    expect(r.status).toBe(303);
    const me = await s.call('GET', '/user/info', { token: setCookie(r, 'token')! });
    expect(me.body.user_info.teams.sort()).toEqual([defaultTeamId, team.body.team_id].sort());
    // A later sign-in with the same groups changes nothing.
    const again = await ssoSignIn(s, email);
    expect(again.status).toBe(303);
    const members = await s.call('GET', `/team/info?team_id=${team.body.team_id}`);
    expect(members.body.team_memberships.filter((m: { user_id: string }) => m.user_id === me.body.user_id)).toHaveLength(1);
  });

  test('an email the IdP has not verified is refused and creates nobody', async () => {
    const email = uniqueEmail('unverified');
    await idp.account(email, { email_verified: false });
    const r = await ssoSignIn(s, email);
    const err = expectError(r, 403, 'auth_error');
    expect(err.message).toContain('has not verified');
    expect(setCookie(r, 'token')).toBeUndefined();
    expect((await s.call('GET', `/user/list?user_email=${encodeURIComponent(email)}`)).body.total).toBe(0);
  });
});

describe('refused callbacks', () => {
  let victim: { email: string; userId: string };

  beforeAll(async () => {
    const email = uniqueEmail('victim');
    const created = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'proxy_admin', auto_create_key: false } });
    victim = { email, userId: created.body.user_id };
  });

  test.each([
    ['its email claim rewritten (signature kept)', 'claim' as const],
    ['it re-signed with a key that is not the IdP\u2019s', 'resign' as const],
  ])('an ID token with %s is refused: no session, no user', async (_name, mode) => {
    const attacker = uniqueEmail('attacker');
    await idp.account(attacker);
    await idp.tamperNextIdToken(mode, victim.email);
    const r = await ssoSignIn(s, attacker);
    const err = expectError(r, 401, 'auth_error');
    expect(err.message).toMatch(/^SSO sign-in failed: .*signature/i);
    expect(setCookie(r, 'token')).toBeUndefined();
    expect((await s.call('GET', `/user/list?user_email=${encodeURIComponent(attacker)}`)).body.total).toBe(0);
    // Untampered, the same person signs in as themselves, not as the victim.
    const honest = await ssoSignIn(s, attacker);
    expect(honest.status).toBe(303);
    const session = await s.deps.sessions.verify(setCookie(honest, 'token')!);
    expect(session!.userId).not.toBe(victim.userId);
  });

  test('a callback without the flow cookie (another browser, or a forged link) is refused', async () => {
    const email = uniqueEmail('nocookie');
    await idp.account(email);
    const { location } = await start(s);
    const back = await signInAtIdp(location, email);
    const r = await callback(s, back, undefined);
    expect(expectError(r, 401, 'auth_error').message).toContain('expired or was started in another browser');
    expect(setCookie(r, 'token')).toBeUndefined();
  });

  test("a callback with another attempt's cookie is refused (state mismatch)", async () => {
    const email = uniqueEmail('mixed');
    await idp.account(email);
    const first = await start(s);
    const second = await start(s);
    const back = await signInAtIdp(first.location, email);
    const r = await callback(s, back, second.flow);
    expect(expectError(r, 401, 'auth_error').message).toMatch(/state/i);
    expect(setCookie(r, 'token')).toBeUndefined();
  });

  test('a code is good once: replaying the callback is refused', async () => {
    const email = uniqueEmail('replay');
    await idp.account(email);
    const { location, flow } = await start(s);
    const back = await signInAtIdp(location, email);
    expect((await callback(s, back, flow)).status).toBe(303);
    const replay = await callback(s, back, flow);
    expect(expectError(replay, 401, 'auth_error').message).toMatch(/invalid_grant/);
  });

  test('a flow cookie signed with another key is refused', async () => {
    const email = uniqueEmail('forged');
    await idp.account(email);
    const other = await testStack({ env: { ...idp.env(), ONRAMP_JWT_SECRET: 'another-secret-that-is-long-enough-0123456789' } });
    const { location, flow } = await start(other);
    const back = await signInAtIdp(location, email);
    expectError(await callback(s, back, flow), 401, 'auth_error');
  });

  test('an attempt older than 10 minutes is refused', async () => {
    let now = Date.now();
    const timed = await testStack({ env: idp.env(), clock: () => new Date(now) });
    const email = uniqueEmail('slow');
    await idp.account(email);
    const { location, flow } = await start(timed);
    const back = await signInAtIdp(location, email);
    now += 10 * 60_000 + 1000;
    const r = await callback(timed, back, flow);
    expect(expectError(r, 401, 'auth_error').message).toContain('expired');
    expect(setCookie(r, 'token')).toBeUndefined();
  });

  test('an error from the IdP (the user said no) is a 401 naming it', async () => {
    const { flow } = await start(s);
    const r = await s.call('GET', '/sso/callback?error=access_denied&error_description=End-User%20aborted%20interaction', {
      token: null,
      headers: { cookie: `onramp_sso=${flow}` },
    });
    expect(expectError(r, 401, 'auth_error').message).toBe('The identity provider refused the sign-in (access_denied: End-User aborted interaction).');
  });

  test('a browser gets the refusal as a page', async () => {
    const r = await s.call('GET', '/sso/callback?code=x&state=y', { token: null, headers: { accept: 'text/html' } });
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toMatch(/text\/html/);
    expect(r.body).toContain('expired or was started in another browser');
  });
});

describe('an IdP that cannot be reached', () => {
  test('starting SSO is a 502 naming the issuer; nothing is cached, so it works once the IdP answers', async () => {
    const port = await freePort();
    const down = `http://127.0.0.1:${port}`;
    const stack = await testStack({ env: idp.env({ ONRAMP_SSO_ISSUER: down }) });
    const r = await stack.call('GET', '/sso/key/generate', { token: null });
    expect(expectError(r, 502, 'upstream_error').message).toContain(`The identity provider ${down} could not be reached`);
    expect(setCookie(r, 'onramp_sso')).toBeUndefined();
    // The IdP comes up: the same app discovers it on the next try.
    const late = await startIdp(['http://onramp.test/sso/callback'], port);
    try {
      const again = await stack.call('GET', '/sso/key/generate', { token: null });
      expect(again.status).toBe(303);
      expect(again.headers.get('location')).toMatch(new RegExp(`^${down}/`));
    } finally {
      await late.stop();
    }
  });
});

describe('without SSO configured', () => {
  test('the SSO routes answer 404 in the envelope and the sign-in page has no SSO button', async () => {
    const plain = await testStack();
    const r = await plain.call('GET', '/sso/key/generate', { token: null });
    expect(expectError(r, 404, 'not_found_error').message).toContain('SSO is not configured');
    expectError(await plain.call('GET', '/sso/callback?code=x&state=y', { token: null }), 404, 'not_found_error');
    const page = await plain.call('GET', '/ui/login', { token: null });
    expect(page.body).not.toContain('Sign in with SSO');
    expect(page.body).toContain('name="password"');
  });
});

describe('IdP groups mapped to teams, password sign-in turned off', () => {
  let locked: TestStack;

  beforeAll(async () => {
    locked = await testStack({
      env: idp.env({
        ONRAMP_SSO_TEAMS_CLAIM: 'groups',
        ONRAMP_SSO_TEAM_MAP: JSON.stringify({ engineering: ['team-eng', 'team-all'], everyone: 'team-all' }),
        ONRAMP_DISABLE_PASSWORD_LOGIN: 'true',
      }),
    });
    for (const team_id of ['team-eng', 'team-all', 'team-unmapped']) {
      expect((await locked.call('POST', '/team/new', { body: { team_id, team_alias: team_id } })).status).toBe(200);
    }
  });

  test('only mapped groups count; each maps to its teams', async () => {
    const email = uniqueEmail('eng');
    await idp.account(email, { groups: ['engineering', 'team-unmapped', 'sales'] });
    const r = await ssoSignIn(locked, email);
    expect(r.status).toBe(303);
    const me = await locked.call('GET', '/user/info', { token: setCookie(r, 'token')! });
    expect(me.body.user_info.teams).toEqual(['team-all', 'team-eng']);
  });

  test('passwords are refused on /login and /v2/login, before any password is checked', async () => {
    const email = uniqueEmail('haspassword');
    const created = await locked.call('POST', '/user/new', { body: { user_email: email, password: 'a long passphrase 123', auto_create_key: false } });
    expect(created.status).toBe(200);
    const v2 = await locked.call('POST', '/v2/login', { token: null, body: { username: email, password: 'a long passphrase 123' } });
    expect(expectError(v2, 403, 'auth_error').message).toBe('Password sign-in is turned off: sign in with SSO (GET /sso/key/generate).');
    const form = await locked.call('POST', '/login', { token: null, form: { username: email, password: 'a long passphrase 123' } });
    expectError(form, 403, 'auth_error');
    expect(setCookie(v2, 'token')).toBeUndefined();
    expect(setCookie(form, 'token')).toBeUndefined();
    // The same password works where password sign-in is on.
    const open = await testStack();
    await open.call('POST', '/user/new', { body: { user_email: email, password: 'a long passphrase 123', auto_create_key: false } });
    expect((await open.call('POST', '/v2/login', { token: null, body: { username: email, password: 'a long passphrase 123' } })).status).toBe(200);
  });

  test('the admin can still sign in with the master key (break-glass when the IdP is down)', async () => {
    const r = await locked.call('POST', '/v2/login', { token: null, body: { username: 'admin', password: MASTER_KEY } });
    expect(r.status).toBe(200);
    expectError(await locked.call('POST', '/v2/login', { token: null, body: { username: 'admin', password: 'sk-wrong-wrong-wrong-wrong' } }), 401, 'auth_error');
  });

  test('the sign-in page offers SSO and no password form', async () => {
    const page = await locked.call('GET', '/ui/login', { token: null });
    expect(page.status).toBe(200);
    expect(page.body).toContain('Sign in with SSO');
    expect(page.body).toContain('href="/sso/key/generate"');
    expect(page.body).not.toContain('name="username" type="text"');
    expect(page.body).not.toContain('autocomplete="username"');
    expect(page.body).toContain('sign in with the master key');
  });
});
