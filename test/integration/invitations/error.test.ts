/**
 * Invitations refusing what they must: unknown and deleted links, bad input that
 * writes nothing, and email delivery that fails without losing the invitation.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { freePort } from '../../../local/ports';
import { readMailbox, type StoredEmail } from '../../../local/ses';
import { EmailError, SesMailer } from '../../../shared/email/mailer';
import { createApp } from '../../../shared/http/core/app';
import { buildDeps } from '../../../shared/composition/services';
import { expectError, testStack, type TestStack } from '../../support/stack';

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
