/**
 * The use cases in shared/provisioning, called directly and through the pages:
 * each flow that spans services lives once and checks who may run it, so the
 * pages only show the service's refusal. Against the real DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import type { Principal } from '../../shared/auth/roles';
import { Invitations } from '../../shared/invitations/service';
import { Provisioning } from '../../shared/provisioning/service';
import { testStack, type TestStack } from '../support/stack';

const ADMIN: Principal = { userId: 'admin', role: 'proxy_admin', via: 'master_key' };
const PASSWORD = 'correct horse battery staple';
const uid = () => randomUUID().slice(0, 8);

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

const newTeam = async () => (await s.call('POST', '/team/new', { body: { team_alias: `prov-${uid()}` } })).body.team_id as string;
const setDefaultTeams = (teamIds: string[]) => s.deps.settings.update(ADMIN, { teams: teamIds.map((team_id) => ({ team_id })) });
const page = (path: string, token: string) => s.call('GET', path, { token: null, headers: { cookie: `token=${token}` } });

test('buildDeps builds invitations and provisioning once, as services', () => {
  expect(s.deps.invitations).toBeInstanceOf(Invitations);
  expect(s.deps.provisioning).toBeInstanceOf(Provisioning);
});

test('createUser refuses anyone but a proxy admin, and creates nothing', async () => {
  const viewer = await s.userWithSession('proxy_admin_viewer');
  const actor: Principal = { userId: viewer.userId, role: 'proxy_admin_viewer', via: 'session' };
  const email = `refused-${uid()}@example.com`;
  await expect(s.deps.provisioning.createUser(actor, { user_email: email })).rejects.toMatchObject({ kind: 'forbidden', message: 'Only proxy admins can create users.' });
  expect(await s.deps.users.byEmail(email)).toBeUndefined();
});

test('createUser with an invitation: the user, their personal key and an emailed-or-not link, in one call', async () => {
  const made = await s.deps.provisioning.createUser(ADMIN, { user_email: `invited-${uid()}@example.com` }, { personalKey: {}, invite: { sendEmail: false, baseUrl: 'http://onramp.test' } });
  expect(made.key?.item.user_id).toBe(made.user.user_id);
  expect(made.invitation).toMatchObject({ issued: { email_sent: false, invitation: { user_id: made.user.user_id } } });
  expect(await s.deps.invitations.status(ADMIN, made.user.user_id)).toMatchObject({ state: 'pending' });
});

test('claiming an invitation joins the default teams set after the user was created', async () => {
  const made = await s.deps.provisioning.createUser(ADMIN, { user_email: `claim-${uid()}@example.com` }, { invite: { sendEmail: false, baseUrl: 'http://onramp.test' } });
  const teamId = await newTeam();
  await setDefaultTeams([teamId]);
  try {
    const link = 'issued' in made.invitation! ? made.invitation.issued.invitation.id : '';
    const { token } = await s.deps.invitations.onboardingToken(link, 'http://onramp.test');
    const claimed = await s.deps.provisioning.claimInvitation({ invitation_link: link, user_id: made.user.user_id, password: PASSWORD, token });
    expect(claimed.join_errors).toEqual([]);
    expect([...(claimed.user.teams ?? [])]).toContain(teamId);
  } finally {
    await setDefaultTeams([]);
  }
});

test('deleteTeams deletes the team and takes it off the default teams', async () => {
  const teamId = await newTeam();
  await setDefaultTeams([teamId]);
  expect(await s.deps.provisioning.deleteTeams(ADMIN, [teamId])).toEqual([teamId]);
  expect(await s.deps.teams.get(teamId)).toBeUndefined();
  expect((await s.deps.settings.internalUser()).teams).toEqual([]);
});

test('addMembers by a new email creates the user with the default settings, in the team with the role asked for', async () => {
  const teamId = await newTeam();
  const email = `added-${uid()}@example.com`;
  const { added, users } = await s.deps.provisioning.addMembers(ADMIN, teamId, [{ user_email: email, role: 'admin' }], null);
  const user = users[0]!;
  expect(added).toEqual([expect.objectContaining({ user_id: user.user_id, role: 'admin' })]);
  expect(user).toMatchObject({ user_email: email, user_role: 'internal_user' });
  expect(user.setup_pending).toBeFalsy();
});

test('SSO sign-in: created on the first, found on the next; unknown group teams are reported, not fatal', async () => {
  const teamId = await newTeam();
  const email = `sso-${uid()}@example.com`;
  const first = await s.deps.provisioning.signInFromSso(email, [teamId, 'no-such-team']);
  expect(first).toMatchObject({ created: true, user: { user_email: email, metadata: { created_via: 'sso' } } });
  expect([...(first.user.teams ?? [])]).toContain(teamId);
  expect(first.join_errors.map((e) => e.team_id)).toEqual(['no-such-team']);
  const again = await s.deps.provisioning.signInFromSso(email, [teamId]);
  expect(again).toMatchObject({ created: false, join_errors: [], user: { user_id: first.user.user_id } });
  expect((await s.deps.teams.membership(teamId, first.user.user_id))?.role).toBe('user');
});

describe('the pages show the service refusal instead of checking roles themselves', () => {
  test("the audit log: the service refuses an internal user, the page shows the service's words", async () => {
    const member = await s.userWithSession('internal_user');
    const actor: Principal = { userId: member.userId, role: 'internal_user', via: 'session' };
    const refusal = 'Only proxy admins and admin viewers can read the audit log.';
    await expect(s.deps.audit.listFor(actor, { page: 1, page_size: 10, sort_order: 'desc' })).rejects.toMatchObject({ kind: 'forbidden', message: refusal });
    await expect(s.deps.audit.getFor(actor, 'any-id')).rejects.toMatchObject({ kind: 'forbidden', message: refusal });
    const r = await page('/ui/audit', member.token);
    expect(r.status).toBe(403);
    expect(r.body).toContain(refusal);
  });

  test("the users and settings pages answer an internal user with the services' refusals", async () => {
    const member = await s.userWithSession('internal_user');
    const users = await page('/ui/users', member.token);
    expect(users.status).toBe(403);
    expect(users.body).toContain('Only proxy admins and proxy admin viewers can list users.');
    const settings = await page('/ui/settings', member.token);
    expect(settings.status).toBe(403);
    expect(settings.body).toContain('Only proxy admins and proxy admin viewers can read the default user settings.');
  });

  test("deleting another user's key from the home page: the keys service's refusal, and the key stays", async () => {
    const owner = await s.userWithSession('internal_user');
    const other = await s.userWithSession('internal_user');
    const key = (await s.call('POST', '/key/generate', { token: owner.token, body: {} })).body;
    for (const method of ['GET', 'POST'] as const) {
      const r = await s.call(method, `/ui/keys/${key.token}/delete`, { token: other.token, ...(method === 'POST' ? { form: {} } : {}) });
      expect({ method, status: r.status }).toEqual({ method, status: 403 });
      expect(r.body).toContain('You can only act on your own keys.');
    }
    expect(await s.deps.keys.get(key.token)).toBeDefined();
  });
});
