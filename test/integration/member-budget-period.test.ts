/**
 * Member budgets always have a period: the team's member period, else the team's
 * own (LiteLLM's member budgets without a duration never reset). Changing either
 * mid-period restarts the members' periods from the change and keeps their spend.
 */
import { keys } from '../../shared/db/keys';
import { testStack } from '../support/stack';

type Member = { budget_duration: string | null; budget_reset_at: string | null; spend: number; GSI4PK?: string };

test('a member budget follows the team period, and period changes reach existing members', async () => {
  let now = new Date('2027-01-20T12:00:00Z');
  const s = await testStack({ clock: () => now });
  const team = await s.call('POST', '/team/new', { body: { models: ['gpt-4o'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10 } });
  const teamId: string = team.body.team_id;
  const user = await s.userWithSession('internal_user');
  expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.userId } } })).status).toBe(200);

  const member = () => s.deps.table.get<Member>(keys.member(teamId, user.userId));
  expect(await member()).toMatchObject({ budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z', GSI4PK: 'BUDGET_RESET' });

  // A member period of its own wins over the team's, from the time of the change.
  now = new Date('2027-01-21T08:00:00Z');
  expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget_duration: '1d' } })).status).toBe(200);
  expect(await member()).toMatchObject({ budget_duration: '1d', budget_reset_at: '2027-01-22T00:00:00.000Z' });

  // Back to following the team; then the team stops resetting, and so do members.
  expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget_duration: null } })).status).toBe(200);
  expect(await member()).toMatchObject({ budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z' });
  expect((await s.call('POST', '/team/update', { body: { team_id: teamId, budget_duration: null } })).status).toBe(200);
  const after = await member();
  expect(after).toMatchObject({ budget_duration: null, budget_reset_at: null });
  expect(after!.GSI4PK).toBeUndefined();

  // A new per-member budget reaches the member: they can now reserve up to it.
  expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget: 2 } })).status).toBe(200);
  const key = await s.call('POST', '/key/generate', { body: { team_id: teamId, user_id: user.userId } });
  const spend = (cost: number) => s.call('POST', '/spend/authorize', { token: key.body.key, body: { model: 'gpt-4o', estimated_cost: cost } });
  expect((await spend(2.5)).status).toBe(400);
  expect((await spend(1.5)).status).toBe(200);
});
