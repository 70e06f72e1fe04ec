/**
 * Invitations refusing what they must: unknown and deleted links, bad input that
 * writes nothing, and email delivery that fails without losing the invitation.
 */
import { freePort } from '../../../local/ports';
import { EmailError, SesMailer } from '../../../shared/email/mailer';
import { createApp } from '../../../shared/http/core/app';
import { buildDeps } from '../../../shared/composition/services';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { SES, DAY_MS, mailTo, newUser, invite, getToken, claim, onboard, countInvitations } from './fixtures';

describe('the self-serve flow (seed: user → invitation → email → onboarding → sign in)', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
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
