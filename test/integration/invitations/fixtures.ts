/** What the invitations test files share: fixtures and helpers. */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { randomUUID } from 'node:crypto';
import { readMailbox, type StoredEmail } from '../../../local/ses';
import { type TestStack } from '../../support/stack';

export const SES = () => process.env.ONRAMP_TEST_SES_ENDPOINT!;
export const DAY_MS = 24 * 60 * 60 * 1000;
export const PASSWORD = 'correct horse battery staple';
export const INVITATION_FIELDS = ['accepted_at', 'created_at', 'created_by', 'expires_at', 'id', 'is_accepted', 'updated_at', 'updated_by', 'user_id'];

export const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** The emails sent to one address (the local SES endpoint is shared by every test file). */
export async function mailTo(address: string): Promise<StoredEmail[]> {
  return (await readMailbox(SES())).filter((m) => m.destination.to.includes(address));
}

export async function newUser(s: TestStack, extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('invitee');
  const r = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', ...extra } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email };
}

export async function invite(s: TestStack, userId: string, extra: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/invitation/new', { body: { user_id: userId, ...extra } });
  expect(r.status).toBe(200);
  return r.body as Record<string, any> & { id: string };
}

export async function getToken(s: TestStack, id: string) {
  return s.call('GET', `/onboarding/get_token?invite_link=${encodeURIComponent(id)}`, { token: null });
}

export async function claim(s: TestStack, id: string, userId: string, token: string, password = PASSWORD) {
  return s.call('POST', '/onboarding/claim_token', { token: null, body: { invitation_link: id, user_id: userId, password, token } });
}

/** get_token then claim_token, as the onboarding page does. */
export async function onboard(s: TestStack, id: string, userId: string, password = PASSWORD) {
  const t = await getToken(s, id);
  expect(t.status).toBe(200);
  return claim(s, id, userId, t.body.token, password);
}

export async function countInvitations(s: TestStack): Promise<number> {
  const out = await s.deps.table.doc.send(
    new ScanCommand({ TableName: s.tableName, FilterExpression: '#t = :t', ExpressionAttributeNames: { '#t': 'type' }, ExpressionAttributeValues: { ':t': 'invitation' } }),
  );
  return out.Count ?? 0;
}
