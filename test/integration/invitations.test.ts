import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { freePort } from '../../local/ports';
import { readMailbox, type StoredEmail } from '../../local/ses';
import { keys } from '../../shared/db/keys';
import { EmailError, SesMailer } from '../../shared/email/mailer';
import { createApp } from '../../shared/http/app';
import { sha256Hex } from '../../shared/ids';
import { buildDeps } from '../../shared/services';
import { expectError, testStack, type TestStack } from '../support/stack';

const SES = () => process.env.ONRAMP_TEST_SES_ENDPOINT!;
const DAY_MS = 24 * 60 * 60 * 1000;
const PASSWORD = 'correct horse battery staple';
const INVITATION_FIELDS = ['accepted_at', 'created_at', 'created_by', 'expires_at', 'id', 'is_accepted', 'updated_at', 'updated_by', 'user_id'];

const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** The emails sent to one address (the local SES endpoint is shared by every test file). */
async function mailTo(address: string): Promise<StoredEmail[]> {
  return (await readMailbox(SES())).filter((m) => m.destination.to.includes(address));
}

async function newUser(s: TestStack, extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('invitee');
  const r = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', ...extra } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email };
}

async function invite(s: TestStack, userId: string, extra: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/invitation/new', { body: { user_id: userId, ...extra } });
  expect(r.status).toBe(200);
  return r.body as Record<string, any> & { id: string };
}

async function getToken(s: TestStack, id: string) {
  return s.call('GET', `/onboarding/get_token?invite_link=${encodeURIComponent(id)}`, { token: null });
}

async function claim(s: TestStack, id: string, userId: string, token: string, password = PASSWORD) {
  return s.call('POST', '/onboarding/claim_token', { token: null, body: { invitation_link: id, user_id: userId, password, token } });
}

/** get_token then claim_token, as the onboarding page does. */
async function onboard(s: TestStack, id: string, userId: string, password = PASSWORD) {
  const t = await getToken(s, id);
  expect(t.status).toBe(200);
  return claim(s, id, userId, t.body.token, password);
}

async function countInvitations(s: TestStack): Promise<number> {
  const out = await s.deps.table.doc.send(
    new ScanCommand({ TableName: s.tableName, FilterExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': 'invitation' } }),
  );
  return out.Count ?? 0;
}

describe('the self-serve flow (seed: user → invitation → email → onboarding → sign in)', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('an admin invites a user, the user gets the email, sets a password once and signs in', async () => {
    const { userId, email } = await newUser(s, { user_alias: '<b>Ann & "Co"</b>' });

    const inv = await invite(s, userId);
    expect(Object.keys(inv).sort()).toEqual([...INVITATION_FIELDS, 'email_error', 'email_sent', 'invitation_link'].sort());
    expect(inv).toMatchObject({ user_id: userId, is_accepted: false, accepted_at: null, created_by: 'default_user_id', updated_by: 'default_user_id', email_sent: true, email_error: null });
    expect(Date.parse(inv.expires_at) - Date.parse(inv.created_at)).toBe(7 * DAY_MS);
    expect(inv.updated_at).toBe(inv.created_at);
    // The id is the secret in the link: at least 128 random bits.
    expect(inv.id).toMatch(/^[A-Za-z0-9_-]{43,}$/);
    const link = `http://onramp.test/ui/onboarding?id=${inv.id}`;
    expect(inv.invitation_link).toBe(link);

    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    const mail = mails[0]!;
    expect(mail.from).toBe('onramp@example.com');
    expect(mail.destination.to).toEqual([email]);
    expect(mail.subject).toBe("You're invited to onramp");
    expect(mail.body.text).toContain(link);
    expect(mail.body.html).toContain(`href="${link}"`);
    expect(mail.body.html).toContain(`>${link}</a>`);
    // User-provided text is escaped in the HTML body.
    expect(mail.body.html).not.toContain('<b>Ann');
    expect(mail.body.html).toContain('&#60;b&#62;Ann &#38; &#34;Co&#34;&#60;/b&#62;');

    const info = await s.call('GET', `/invitation/info?invitation_id=${inv.id}`);
    expect(info.status).toBe(200);
    expect(Object.keys(info.body).sort()).toEqual(INVITATION_FIELDS);

    const started = await getToken(s, inv.id);
    expect(started.status).toBe(200);
    expect(started.body).toEqual({ login_url: 'http://onramp.test/ui/login', token: expect.any(String), user_email: email, user_id: userId });

    const claimed = await claim(s, inv.id, userId, started.body.token);
    expect(claimed.status).toBe(200);
    expect(claimed.body).toMatchObject({ user_id: userId, user_email: email, user_role: 'internal_user' });
    expect(claimed.body).not.toHaveProperty('password_hash');
    expect(JSON.stringify(claimed.body)).not.toContain('scrypt');

    // The claim signed the user in: its cookie is a working session.
    const cookie = /(?:^|,\s*)token=([^;]+)/.exec(claimed.headers.get('set-cookie') ?? '')?.[1];
    expect(cookie).toBeDefined();
    expect(claimed.headers.get('set-cookie')).toMatch(/HttpOnly/i);
    const me = await s.call('GET', '/user/info', { token: null, headers: { cookie: `token=${cookie}` } });
    expect(me.status).toBe(200);
    expect(me.body.user_id).toBe(userId);

    const login = await s.call('POST', '/v2/login', { token: null, body: { username: email, password: PASSWORD } });
    expect(login.status).toBe(200);
    expect(login.body.user_id).toBe(userId);

    const accepted = await s.call('GET', `/invitation/info?invitation_id=${inv.id}`);
    expect(accepted.body).toMatchObject({ is_accepted: true, updated_by: userId });
    expect(accepted.body.accepted_at).toEqual(expect.any(String));

    // Single use: neither a second claim (even with a token from before) nor a new token.
    const again = await claim(s, inv.id, userId, started.body.token, 'another password 123');
    expect(expectError(again, 401, 'auth_error').message).toBe('Invitation link has already been used.');
    expect(expectError(await getToken(s, inv.id), 401).message).toBe('Invitation link has already been used.');
    const oldPassword = await s.call('POST', '/v2/login', { token: null, body: { username: email, password: 'another password 123' } });
    expect(oldPassword.status).toBe(401);
  });

  test('the claim token may also be sent as a form (the web page posts one)', async () => {
    const { userId, email } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    expect(inv).toMatchObject({ email_sent: false, email_error: null });
    expect(await mailTo(email)).toHaveLength(0);
    const t = await getToken(s, inv.id);
    const r = await s.call('POST', '/onboarding/claim_token', {
      token: null,
      form: { invitation_link: inv.id, user_id: userId, password: PASSWORD, token: t.body.token },
    });
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(userId);
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

  test('unknown and deleted links are refused as unknown', async () => {
    const unknown = await getToken(s, 'no-such-invitation');
    expect(expectError(unknown, 401, 'auth_error').message).toBe('Invitation link does not exist in db.');
    expect(unknown.headers.get('www-authenticate')).toMatch(/Bearer/);

    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const t = await getToken(s, inv.id);
    const deleted = await s.call('POST', '/invitation/delete', { body: { invitation_id: inv.id } });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: inv.id, user_id: userId, is_accepted: false });
    expect(expectError(await getToken(s, inv.id), 401).message).toBe('Invitation link does not exist in db.');
    expect(expectError(await claim(s, inv.id, userId, t.body.token), 401).message).toBe('Invitation link does not exist in db.');
    expectError(await s.call('GET', `/invitation/info?invitation_id=${inv.id}`), 400);
    expectError(await s.call('POST', '/invitation/delete', { body: { invitation_id: inv.id } }), 400);
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

  test('bad input: missing or unknown user_id writes nothing; a too-short password leaves the invitation open', async () => {
    const before = await countInvitations(s);
    const missing = await s.call('POST', '/invitation/new', { body: {} });
    expect(expectError(missing, 400, 'bad_request_error').param).toBe('user_id');
    const unknown = await s.call('POST', '/invitation/new', { body: { user_id: 'no-such-user' } });
    const err = expectError(unknown, 400);
    expect(err.message).toMatch(/no-such-user.*does not exist/);
    expect(err.param).toBe('user_id');
    expect(await countInvitations(s)).toBe(before);

    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const t = await getToken(s, inv.id);
    const short = await claim(s, inv.id, userId, t.body.token, 'short');
    expect(expectError(short, 400).param).toBe('password');
    expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`)).body.is_accepted).toBe(false);
    expect((await claim(s, inv.id, userId, t.body.token)).status).toBe(200);
  });

  test('who may do what: admins manage, admin viewers read, users and anonymous callers neither', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const user = await s.userWithSession('internal_user');
    const viewer = await s.userWithSession('proxy_admin_viewer');
    const body = { user_id: userId };

    expectError(await s.call('POST', '/invitation/new', { body, token: user.token }), 403, 'auth_error');
    expectError(await s.call('POST', '/invitation/new', { body, token: viewer.token }), 403);
    expectError(await s.call('POST', '/invitation/new', { body, token: null }), 401, 'auth_error');
    expectError(await s.call('GET', `/invitation/info?invitation_id=${inv.id}`, { token: user.token }), 403);
    expectError(await s.call('GET', `/invitation/info?invitation_id=${inv.id}`, { token: null }), 401);
    expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`, { token: viewer.token })).status).toBe(200);
    for (const [path, b] of [
      ['/invitation/update', { invitation_id: inv.id, is_accepted: true }],
      ['/invitation/delete', { invitation_id: inv.id }],
      ['/invitation/resend', { invitation_id: inv.id }],
    ] as const) {
      expectError(await s.call('POST', path, { body: b, token: user.token }), 403);
      expectError(await s.call('POST', path, { body: b, token: viewer.token }), 403);
      expectError(await s.call('POST', path, { body: b, token: null }), 401);
    }
    expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`)).body.is_accepted).toBe(false);
  });

  test('/invitation/update: accepting revokes the link, an accepted invitation is never re-opened', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    const opened = await s.call('POST', '/invitation/update', { body: { invitation_id: inv.id, is_accepted: false } });
    expect(opened.status).toBe(200);
    expect(opened.body.is_accepted).toBe(false);
    const revoked = await s.call('POST', '/invitation/update', { body: { invitation_id: inv.id, is_accepted: true } });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: inv.id, is_accepted: true, accepted_at: expect.any(String) });
    expect(expectError(await getToken(s, inv.id), 401).message).toBe('Invitation link has already been used.');
    expect(expectError(await s.call('POST', '/invitation/update', { body: { invitation_id: inv.id, is_accepted: false } }), 400).param).toBe('is_accepted');
    expectError(await s.call('POST', '/invitation/resend', { body: { invitation_id: inv.id } }), 400);
  });

  test('/user/delete removes the user\'s invitations', async () => {
    const { userId } = await newUser(s);
    const inv = await invite(s, userId, { send_email: false });
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [userId] } })).status).toBe(200);
    expect(await s.deps.table.get(keys.invitation(sha256Hex(inv.id)))).toBeUndefined();
    expect(expectError(await getToken(s, inv.id), 401).message).toBe('Invitation link does not exist in db.');
  });

  test('the routes are in the OpenAPI document', async () => {
    const paths = Object.keys((await s.call('GET', '/openapi.json')).body.paths);
    for (const p of ['/invitation/new', '/invitation/info', '/invitation/update', '/invitation/delete', '/invitation/resend', '/onboarding/get_token', '/onboarding/claim_token']) {
      expect(paths).toContain(p);
    }
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

describe('email delivery', () => {
  test('when SES fails the invitation is kept and reported; /invitation/resend rotates the link and emails it', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const s = await testStack({ env: { ONRAMP_SES_ENDPOINT: closed } });
    const { userId, email } = await newUser(s);

    const inv = await invite(s, userId);
    expect(inv).toMatchObject({ email_sent: false, email_error: expect.stringContaining(email) });
    expect((await s.call('GET', `/invitation/info?invitation_id=${inv.id}`)).body).toMatchObject({ id: inv.id, is_accepted: false });
    expect(await mailTo(email)).toHaveLength(0);

    // The same table, served by an app whose mailer reaches the local SES endpoint.
    const working = createApp(
      buildDeps(s.config, { table: s.deps.table, mailer: new SesMailer({ region: s.config.region, sender: s.config.sesSender, endpoint: SES() }) }),
    );
    const res = await working.request('http://onramp.test/invitation/resend', {
      method: 'POST',
      headers: { authorization: `Bearer ${s.config.masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ invitation_id: inv.id }),
    });
    expect(res.status).toBe(200);
    const resent = (await res.json()) as Record<string, any>;
    expect(resent).toMatchObject({ user_id: userId, is_accepted: false, email_sent: true, email_error: null });
    expect(resent.id).not.toBe(inv.id);
    expect(Date.parse(resent.expires_at) - Date.parse(resent.created_at)).toBe(7 * DAY_MS);

    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.body.text).toContain(`http://onramp.test/ui/onboarding?id=${resent.id}`);
    expect(expectError(await getToken(s, inv.id), 401).message).toMatch(/^This invitation link was replaced by a newer one/);
    expect((await onboard(s, resent.id, userId)).status).toBe(200);
  });

  test('a user without an email gets an invitation whose link the admin shares', async () => {
    const s = await testStack();
    const created = await s.call('POST', '/user/new', { body: { user_role: 'internal_user' } });
    const inv = await invite(s, created.body.user_id);
    expect(inv).toMatchObject({ email_sent: false, email_error: expect.stringMatching(/user_email/) });
  });

  test('the mailer refuses addresses SES would reject, or that could inject headers', async () => {
    const mailer = new SesMailer({ region: 'us-east-1', sender: 'onramp@example.com', endpoint: SES() });
    for (const to of ['not-an-address', 'a@b', 'a@b.com\r\nBcc: x@y.com', '"a b"@example.com', 'a..b@example.com', '']) {
      await expect(mailer.send({ to, subject: 's', text: 't', html: 'h' })).rejects.toBeInstanceOf(EmailError);
    }
  });
});
