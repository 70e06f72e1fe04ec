/**
 * The /team/* routes refusing bad input (4xx in LiteLLM's envelope, nothing written)
 * and repairing on retry what a failure half-way left.
 */
import { randomUUID } from 'node:crypto';
import { testStack, type TestStack } from '../../support/stack';
import { badInputSuite } from '../bad-input-suite';

badInputSuite((c) => c.path.startsWith('/team/'));

async function newTeam(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: `team-${randomUUID().slice(0, 8)}`, ...body } });
  expect(r.status).toBe(200);
  return r.body.team_id as string;
}

describe('item 13: a retry repairs what a failure half-way left', () => {
  test('a new team_member_budget reaches every membership, and a retry repairs the ones a failure left stale', async () => {
    const s = await testStack();
    const team = await newTeam(s);
    const members = await Promise.all([0, 1, 2, 3].map(() => s.userWithSession('internal_user')));
    await s.call('POST', '/team/member_add', { body: { team_id: team, member: members.map((m) => ({ user_id: m.userId, role: 'user' })) } });

    const update = s.deps.table.update.bind(s.deps.table);
    let memberWrites = 0;
    const spy = jest.spyOn(s.deps.table, 'update').mockImplementation(async (key, change) => {
      if (key.SK.startsWith('MEMBER#') && ++memberWrites === 2) throw new Error('injected: DynamoDB went away');
      return update(key, change);
    });
    const failed = await s.call('POST', '/team/update', { body: { team_id: team, team_member_budget: 5 } });
    spy.mockRestore();
    expect(failed.status).toBe(500);

    const retried = await s.call('POST', '/team/update', { body: { team_id: team, team_member_budget: 5 } });
    expect(retried.status).toBe(200);
    const memberships = (await s.call('GET', `/team/info?team_id=${team}`)).body.team_memberships;
    expect(memberships).toHaveLength(4);
    for (const m of memberships) expect({ user: m.user_id, remaining: m.remaining_budget }).toEqual({ user: m.user_id, remaining: 5 });
  });
});
