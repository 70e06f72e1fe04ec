/**
 * Who may use an invitation, and for how long: single use under concurrency, only
 * the link's hash stored, onboarding tokens bound to their link and user, the
 * admin-only routes, and expiry to the second.
 */
import { randomUUID } from 'node:crypto';
import { MASTER_KEY_USER_ID, type Principal } from '../../../shared/auth/roles';
import { keys } from '../../../shared/db/keys';
import { sha256Hex } from '../../../shared/core/ids';
import { expectRoles, roleCallers } from '../../support/role-matrix';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { DAY_MS, PASSWORD, newUser, invite, getToken, claim, onboard } from './fixtures';

describe('the self-serve flow (seed: user → invitation → email → onboarding → sign in)', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  // Each claim hashes its password with scrypt before the transaction decides: give it time.
  test('of 20 concurrent claims of one link, exactly one succeeds', async () => {
    const { userId, email } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const tokens = await Promise.all(Array.from({ length: 20 }, async () => (await getToken(s, inv.id)).body.token as string));
    const results = await Promise.all(tokens.map((token, i) => claim(s, inv.id, userId, token, `${PASSWORD} #${i}`)));
    const winners = results.flatMap((r, i) => (r.status === 200 ? [i] : []));
    expect(winners).toHaveLength(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(expectError(r, 401).message).toBe('Invitation link has already been used.');
    }
    const ok = await s.call('POST', '/v2/login', { token: null, body: { username: email, password: `${PASSWORD} #${winners[0]}` } });
    expect(ok.status).toBe(200);
  }, 60_000);

  test('the stored invitation holds only the SHA-256 of its id, with an exact TTL and the user index', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId);
    const item = await s.deps.table.get<Record<string, unknown>>(keys.invitation(sha256Hex(inv.id)));
    expect(item).toBeDefined();
    expect(JSON.stringify(item)).not.toContain(inv.id);
    expect(item).toMatchObject({ id_hash: sha256Hex(inv.id), user_id: userId, GSI2PK: `USER#${userId}`, ttl: Math.ceil(Date.parse(inv.expires_at) / 1000) });
    expect(await s.deps.table.get(keys.invitation(inv.id))).toBeUndefined();
  });

  test('a claim needs a current onboarding token bound to that link and user', async () => {
    const a = await newUser(s);
    const b = await newUser(s);
    const invA = await invite(s, a.userId, { send_email: false });
    const invB = await invite(s, b.userId, { send_email: false });
    const tokenA = (await getToken(s, invA.id)).body.token as string;

    const noToken = await s.call('POST', '/onboarding/claim_token', { token: null, body: { invitation_link: invA.id, user_id: a.userId, password: PASSWORD } });
    expect(expectError(noToken, 401).message).toMatch(/onboarding token/);
    expectError(await claim(s, invB.id, b.userId, tokenA), 401);
    expectError(await claim(s, invA.id, b.userId, tokenA), 401);
    expectError(await claim(s, invA.id, a.userId, `${tokenA}x`), 401);
    // A session is not an onboarding token, and an onboarding token is not a session.
    const { token: session } = await s.deps.sessions.issue(a.userId);
    expectError(await claim(s, invA.id, a.userId, session), 401);
    expectError(await s.call('GET', '/user/info', { token: tokenA }), 401);

    for (const inv of [invA, invB]) {
      expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`)).body.is_accepted).toBe(false);
    }
  });

  test('who may do what: admins manage, admin viewers read, users and anonymous callers neither', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const c = await roleCallers(s);
    const body = { user_id: userId };
    const nobodyBelowAdmin = { proxy_admin_viewer: 403, internal_user: 403, internal_user_viewer: 403, team_admin: 403, team_member: 403, outsider: 403, other_key: 403, anonymous: 401 };

    await expectRoles(c, (token) => s.call('POST', '/invitation/new', { body, token }), nobodyBelowAdmin);
    await expectRoles(c, (token) => s.call('GET', `/invitation/info?invitation_id=${inv.id}`, { token }), { ...nobodyBelowAdmin, proxy_admin_viewer: 200 });
    for (const [path, b] of [
      ['/invitation/update', { invitation_id: inv.id, is_accepted: true }],
      ['/invitation/delete', { invitation_id: inv.id }],
      ['/invitation/resend', { invitation_id: inv.id }],
    ] as const) {
      await expectRoles(c, (token) => s.call('POST', path, { body: b, token }), nobodyBelowAdmin);
    }
    expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`)).body.is_accepted).toBe(false);
  });
});

describe('expiry is exact: 7 days to the second', () => {
  // Near the real time: cookies may not expire more than 400 days ahead of it.
  const T = Math.floor(Date.now() / 1000) * 1000;
  let now = T;
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack({ clock: () => new Date(now) });
  });
  beforeEach(() => {
    now = T;
  });

  test('a link works until one second before its expiry and not from one second after', async () => {
    const early = await newUser(s);
    const late = await newUser(s);
    const invEarly = await invite(s, early.userId, { send_email: false });
    const invLate = await invite(s, late.userId, { send_email: false });
    expect(invLate.created_at).toBe(new Date(T).toISOString());
    expect(invLate.expires_at).toBe(new Date(T + 7 * DAY_MS).toISOString());

    now = T + 7 * DAY_MS - 2000;
    const lateToken = (await getToken(s, invLate.id)).body.token as string;
    now = T + 7 * DAY_MS - 1000;
    expect((await onboard(s, invEarly.id, early.userId)).status).toBe(200);

    now = T + 7 * DAY_MS;
    expect(expectError(await getToken(s, invLate.id), 401).message).toBe('Invitation link has expired.');
    now = T + 7 * DAY_MS + 1000;
    expect(expectError(await getToken(s, invLate.id), 401).message).toBe('Invitation link has expired.');
    // A token fetched before the expiry does not stretch it.
    expect(expectError(await claim(s, invLate.id, late.userId, lateToken), 401).message).toBe('Invitation link has expired.');
    expect((await s.call('GET', `/invitation/info?invitation_id=${invLate.id}`)).body.is_accepted).toBe(false);
  });

  test('an onboarding token lasts 15 minutes', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const token = (await getToken(s, inv.id)).body.token as string;
    now = T + 16 * 60 * 1000;
    expect(expectError(await claim(s, inv.id, userId, token), 401).message).toMatch(/expired/);
    expect((await onboard(s, inv.id, userId)).status).toBe(200);
  });
});

describe('invitation services for the pages', () => {
  const ADMIN: Principal = { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'master_key' };
  const BASE = 'http://onramp.test';
  const DAY_MS = 24 * 60 * 60 * 1000;
  const PASSWORD = 'correct horse battery staple';

  let now = Date.parse('2026-03-10T12:00:00.000Z');
  let s: TestStack;

  beforeAll(async () => {
    s = await testStack({ clock: () => new Date(now) });
  });

  const newUser = (role: 'internal_user' | 'proxy_admin_viewer' = 'internal_user') =>
    s.deps.users.createRecord('test', { user_email: `status-${randomUUID().slice(0, 8)}@example.com`, user_role: role });
  const idOf = (link: string) => new URL(link).searchParams.get('id')!;

  async function claim(id: string, userId: string) {
    const { token } = await s.deps.invitations.onboardingToken(id, BASE);
    return s.deps.invitations.claim({ invitation_link: id, user_id: userId, password: PASSWORD, token });
  }

  test('a user who accepted is refused, and so are viewers, users and unknown users; nothing is written', async () => {
    const user = await newUser();
    const issued = await s.deps.invitations.create(ADMIN, { user_id: user.user_id, send_email: false }, BASE);
    await claim(issued.invitation.id, user.user_id);
    await expect(s.deps.invitations.resendToUser(ADMIN, user.user_id, BASE)).rejects.toThrow(
      'This invitation has already been accepted: the user has set a password.',
    );

    const viewer: Principal = { userId: (await newUser('proxy_admin_viewer')).user_id, role: 'proxy_admin_viewer', via: 'session' };
    const member: Principal = { userId: (await newUser()).user_id, role: 'internal_user', via: 'session' };
    const open = await newUser();
    await expect(s.deps.invitations.resendToUser(viewer, open.user_id, BASE)).rejects.toThrow('Only proxy admins can resend invitations.');
    await expect(s.deps.invitations.resendToUser(member, open.user_id, BASE)).rejects.toThrow('Only proxy admins can resend invitations.');
    await expect(s.deps.invitations.status(member, open.user_id)).rejects.toThrow('Only proxy admins and proxy admin viewers can view invitations.');
    expect(await s.deps.invitations.status(viewer, open.user_id)).toMatchObject({ state: 'none' });
    await expect(s.deps.invitations.resendToUser(ADMIN, 'no-such-user', BASE)).rejects.toMatchObject({ kind: 'bad_request', param: 'user_id' });
    expect(await s.deps.table.queryAll({ index: 'GSI2', pk: `USER#${open.user_id}`, skPrefix: 'INVITE#' })).toEqual([]);
  });
});
