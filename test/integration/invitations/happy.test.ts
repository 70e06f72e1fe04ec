/**
 * Invitations doing what they are for: the self-serve flow (user → invitation →
 * email → onboarding → sign in), revoking and cleaning up, and the invitation
 * services the admin pages use (status, resend), against DynamoDB Local and local SES.
 */
import { randomUUID } from 'node:crypto';
import { MASTER_KEY_USER_ID, type Principal } from '../../../shared/auth/roles';
import { keys } from '../../../shared/db/keys';
import { DomainError } from '../../../shared/core/errors';
import { sha256Hex } from '../../../shared/core/ids';
import { LINK_REPLACED } from '../../../shared/invitations/service';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { DAY_MS, PASSWORD, INVITATION_FIELDS, mailTo, newUser, invite, getToken, claim } from './fixtures';

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

  test('the status goes from not invited, to pending, to expired, to pending again on resend, to accepted', async () => {
    const user = await newUser();
    expect(await s.deps.invitations.status(ADMIN, user.user_id)).toEqual({ state: 'none', expires_at: null, accepted_at: null });

    const first = await s.deps.invitations.create(ADMIN, { user_id: user.user_id, send_email: false }, BASE);
    expect(await s.deps.invitations.status(ADMIN, user.user_id)).toEqual({ state: 'pending', expires_at: first.invitation.expires_at, accepted_at: null });

    now += 8 * DAY_MS;
    expect(await s.deps.invitations.status(ADMIN, user.user_id)).toEqual({ state: 'expired', expires_at: first.invitation.expires_at, accepted_at: null });

    const again = await s.deps.invitations.resendToUser(ADMIN, user.user_id, BASE);
    expect(again.email_sent).toBe(true);
    expect(again.invitation.expires_at).toBe(new Date(now + 7 * DAY_MS).toISOString());
    expect(await s.deps.invitations.status(ADMIN, user.user_id)).toMatchObject({ state: 'pending', expires_at: again.invitation.expires_at });

    await claim(idOf(again.invitation_link), user.user_id);
    expect(await s.deps.invitations.status(ADMIN, user.user_id)).toEqual({ state: 'accepted', expires_at: again.invitation.expires_at, accepted_at: new Date(now).toISOString() });
  });

  test('resending replaces every open link of the user with one new link', async () => {
    const user = await newUser();
    const a = await s.deps.invitations.create(ADMIN, { user_id: user.user_id, send_email: false }, BASE);
    const b = await s.deps.invitations.create(ADMIN, { user_id: user.user_id, send_email: false }, BASE);
    const resent = await s.deps.invitations.resendToUser(ADMIN, user.user_id, BASE);
    for (const old of [a, b]) await expect(s.deps.invitations.onboardingToken(old.invitation.id, BASE)).rejects.toThrow(LINK_REPLACED);
    await expect(s.deps.invitations.onboardingToken(idOf(resent.invitation_link), BASE)).resolves.toMatchObject({ user_id: user.user_id });
    const stored = await s.deps.table.queryAll({ index: 'GSI2', pk: `USER#${user.user_id}`, skPrefix: 'INVITE#' });
    expect(stored).toHaveLength(1);
  });

  test('a resend racing a claim of the same link: exactly one wins, and a link that works is never lost', async () => {
    for (let round = 0; round < 5; round++) {
      const user = await newUser();
      const issued = await s.deps.invitations.create(ADMIN, { user_id: user.user_id, send_email: false }, BASE);
      const { token } = await s.deps.invitations.onboardingToken(issued.invitation.id, BASE);
      const [claimed, resent] = await Promise.allSettled([
        s.deps.invitations.claim({ invitation_link: issued.invitation.id, user_id: user.user_id, password: PASSWORD, token }),
        s.deps.invitations.resendToUser(ADMIN, user.user_id, BASE),
      ]);
      const status = await s.deps.invitations.status(ADMIN, user.user_id);
      if (claimed.status === 'fulfilled') {
        // The claim won: the resend was refused as a whole (no new link was added).
        expect(resent.status).toBe('rejected');
        expect((resent as PromiseRejectedResult).reason).toBeInstanceOf(DomainError);
        expect(status.state).toBe('accepted');
        expect(await s.deps.table.queryAll({ index: 'GSI2', pk: `USER#${user.user_id}`, skPrefix: 'INVITE#' })).toHaveLength(1);
      } else {
        // The resend won: the old link is gone and the new one works.
        expect(resent.status).toBe('fulfilled');
        expect(status.state).toBe('pending');
        const link = (resent as PromiseFulfilledResult<{ invitation_link: string }>).value.invitation_link;
        await expect(s.deps.invitations.onboardingToken(idOf(link), BASE)).resolves.toMatchObject({ user_id: user.user_id });
      }
    }
  });
});
