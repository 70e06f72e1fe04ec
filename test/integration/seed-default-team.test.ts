/**
 * The first source document ("Onboard Users for AI Exploration"), step by step over HTTP:
 * a team for AI exploration, member permissions, default team + no-default-models,
 * then a new user who can create a key only inside that team.
 */
import { expectError, testStack, type TestStack } from '../support/stack';

let s: TestStack;
beforeAll(async () => {
  s = await testStack({ clock: () => new Date('2027-01-15T10:00:00Z') });
});

test('an admin onboards a user into a default team for AI exploration', async () => {
  // 1. Create a team with models, a max budget reset monthly, and a member budget.
  const team = await s.call('POST', '/team/new', {
    body: { team_alias: 'internal exploration', models: ['gpt-4o', 'claude-3-5-sonnet'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10 },
  });
  expect(team.status).toBe(200);
  const teamId: string = team.body.team_id;
  expect(team.body).toMatchObject({ team_alias: 'internal exploration', models: ['gpt-4o', 'claude-3-5-sonnet'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10, spend: 0 });
  expect(team.body.budget_reset_at).toBe('2027-02-01T00:00:00.000Z');

  // 2. Let all team members create keys.
  const perms = await s.call('POST', '/team/permissions_update', {
    body: { team_id: teamId, team_member_permissions: ['/key/generate', '/key/list', '/key/delete', '/key/info'] },
  });
  expect(perms.status).toBe(200);
  expect((await s.call('GET', `/team/permissions_list?team_id=${teamId}`)).body.team_member_permissions).toEqual([
    '/key/generate',
    '/key/list',
    '/key/delete',
    '/key/info',
  ]);

  // 3. The team becomes the default team; new users get no default models.
  const settings = await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [teamId], models: ['no-default-models'] } });
  expect(settings.status).toBe(200);
  expect(settings.body.settings).toMatchObject({ teams: [{ team_id: teamId }], models: ['no-default-models'] });

  // 4a. Create the user.
  const created = await s.call('POST', '/user/new', { body: { user_email: 'test_default_team_user@xyz.com', user_role: 'internal_user' } });
  expect(created.status).toBe(200);
  expect(created.body.join_errors).toEqual([]);
  const userId: string = created.body.user_id;

  // 4b. The user is in the team and has no default models.
  const info = await s.call('GET', `/user/info?user_id=${userId}`);
  expect(info.body.user_info.models).toEqual(['no-default-models']);
  expect(info.body.user_info.teams).toEqual([teamId]);
  expect(info.body.teams.map((t: { team_id: string }) => t.team_id)).toEqual([teamId]);
  const teamInfo = await s.call('GET', `/team/info?team_id=${teamId}`);
  expect(teamInfo.body.team_info.members_with_roles).toEqual([{ user_id: userId, user_email: 'test_default_team_user@xyz.com', role: 'user' }]);
  expect(teamInfo.body.team_memberships[0]).toMatchObject({ user_id: userId, max_budget: 10, spend: 0 });

  // 4c. The user signs in.
  const { token } = await s.deps.sessions.issue(userId);

  // 4d. A key without a team is refused with a message about selecting a team.
  const noTeam = await s.call('POST', '/key/generate', { token, body: {} });
  expect(expectError(noTeam, 400).message).toMatch(/team/i);
  expect(noTeam.body.error.param).toBe('team_id');

  // 4e. A key inside the team works, within the team's models and the member budget.
  const key = await s.call('POST', '/key/generate', { token, body: { team_id: teamId, key_alias: 'my-exploration-key', max_budget: 10 } });
  expect(key.status).toBe(200);
  expect(key.body.key).toMatch(/^sk-[A-Za-z0-9_-]{43}$/);
  expect(key.body).toMatchObject({ team_id: teamId, user_id: userId, key_alias: 'my-exploration-key', key_name: `sk-...${key.body.key.slice(-4)}` });

  const mine = await s.call('GET', '/key/list?return_full_object=true', { token });
  expect(mine.body.keys.map((k: { token: string }) => k.token)).toEqual([key.body.token]);
  expect(JSON.stringify(mine.body)).not.toContain(key.body.key);
});
