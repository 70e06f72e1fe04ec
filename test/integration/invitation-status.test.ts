/**
 * The two invitation services the admin pages use (the pages know a user, never
 * a link's id): `invitations.status` and `invitations.resendToUser`, against the real
 * DynamoDB Local and local SES.
 */
import { randomUUID } from 'node:crypto';
import { MASTER_KEY_USER_ID, type Principal } from '../../shared/auth/roles';
import { DomainError } from '../../shared/errors';
import { LINK_REPLACED } from '../../shared/invitations/service';
import { testStack, type TestStack } from '../support/stack';

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
