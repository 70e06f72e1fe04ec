/**
 * Budgets that hold: concurrent authorize+record never push committed spend past a
 * cap, each scope's spend equals the sum of its records, records are idempotent,
 * and a budget past its reset time is treated as reset before the job runs.
 */
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type TestStack } from '../support/stack';

type Scope = { spend: number; reserved_spend: number };

async function setup(s: TestStack, budgets: { team?: number; member?: number; key?: number; teamDuration?: string }) {
  const team = await s.call('POST', '/team/new', {
    body: { models: ['gpt-4o'], max_budget: budgets.team ?? null, budget_duration: budgets.teamDuration ?? null, team_member_budget: budgets.member ?? null, team_member_permissions: ['/key/generate'] },
  });
  expect(team.status).toBe(200);
  const user = await s.userWithSession('internal_user');
  expect((await s.call('POST', '/team/member_add', { body: { team_id: team.body.team_id, member: { user_id: user.userId } } })).status).toBe(200);
  const key = await s.call('POST', '/key/generate', { token: user.token, body: { team_id: team.body.team_id, max_budget: budgets.key ?? null } });
  expect(key.status).toBe(200);
  return { teamId: team.body.team_id as string, userId: user.userId, secret: key.body.key as string, token: key.body.token as string };
}

async function spendOf(s: TestStack, k: { teamId: string; userId: string; token: string }) {
  const [team, member, key, user] = await Promise.all([
    s.deps.table.get<Scope>(keys.team(k.teamId)),
    s.deps.table.get<Scope>(keys.member(k.teamId, k.userId)),
    s.deps.table.get<Scope>(keys.key(k.token)),
    s.deps.table.get<Scope>(keys.user(k.userId)),
  ]);
  return { team: team!, member: member!, key: key!, user: user! };
}

async function authorizeAndRecord(s: TestStack, secret: string, i: number, cost: number) {
  const auth = await s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: cost, request_id: `req-${i}` } });
  if (auth.status !== 200) return { ok: false, status: auth.status, type: auth.body?.error?.type };
  const rec = await s.call('POST', '/spend/record', { token: secret, body: { request_id: `req-${i}`, cost, model: 'gpt-4o', prompt_tokens: 10, completion_tokens: 20 } });
  expect(rec.status).toBe(200);
  return { ok: true, status: 200, charged: rec.body.charged as number };
}

describe.each([
  ['team', { team: 10 }],
  ['member', { member: 10 }],
  ['key', { key: 10 }],
] as const)('100 concurrent $0.50 requests on a $10 %s budget', (scope, budgets) => {
  test('at most 20 succeed; spend never exceeds the cap and equals the sum of records', async () => {
    const s = await testStack();
    const k = await setup(s, budgets);
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => authorizeAndRecord(s, k.secret, i, 0.5)));
    const ok = results.filter((r) => r.ok);
    expect(ok.length).toBeLessThanOrEqual(20);
    expect(ok.length).toBeGreaterThan(0);
    for (const r of results.filter((x) => !x.ok)) expect([400, 429]).toContain(r.status);
    expect(results.some((r) => r.type === 'budget_exceeded')).toBe(true);
    const recorded = ok.reduce((sum, r) => sum + (r.charged ?? 0), 0);
    const spend = await spendOf(s, k);
    const capped = spend[scope];
    expect(capped.spend).toBeLessThanOrEqual(10);
    for (const each of Object.values(spend)) {
      expect(each.spend).toBeCloseTo(recorded, 6);
      expect(each.reserved_spend).toBeCloseTo(0, 6);
    }
  }, 60_000);
});

describe('record', () => {
  test('a record sent twice with the same request id counts once', async () => {
    const s = await testStack();
    const k = await setup(s, { team: 10 });
    expect((await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 1, request_id: 'once' } })).status).toBe(200);
    const first = await s.call('POST', '/spend/record', { token: k.secret, body: { request_id: 'once', cost: 0.75 } });
    const second = await s.call('POST', '/spend/record', { token: k.secret, body: { request_id: 'once', cost: 0.75 } });
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ duplicate: false, charged: 0.75, reserved: 1 });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ duplicate: true, charged: 0.75 });
    const spend = await spendOf(s, k);
    expect(spend.team.spend).toBeCloseTo(0.75, 6);
    expect(spend.key.spend).toBeCloseTo(0.75, 6);
    expect(spend.team.reserved_spend).toBeCloseTo(0, 6);
  });

  test('a refusal names the budget, its spend, its limit and its reset time', async () => {
    const s = await testStack();
    const k = await setup(s, { team: 1, teamDuration: '1mo' });
    const refused = await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 2 } });
    const err = expectError(refused, 400, 'budget_exceeded');
    expect(err.message).toContain(`team ${k.teamId}`);
    expect(err.message).toMatch(/spend=0/);
    expect(err.message).toMatch(/max_budget=1\b/);
    expect(err.message).toMatch(/budget_reset_at=\d{4}-\d\d-01T00:00:00.000Z/);
    expect(err.param).toBe('team_budget');
  });

  test('a model outside the team is refused; an unknown key is 401', async () => {
    const s = await testStack();
    const k = await setup(s, {});
    expectError(await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'claude-3-5-sonnet', estimated_cost: 0.1 } }), 401);
    expectError(await s.call('POST', '/spend/authorize', { token: 'sk-not-a-real-key-000000000000', body: { model: 'gpt-4o', estimated_cost: 0.1 } }), 401);
    expectError(await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: -1 } }), 400);
  });
});

describe('reset', () => {
  test('a budget past its reset time is allowed before the job has run', async () => {
    let now = new Date('2027-01-20T12:00:00Z');
    const s = await testStack({ clock: () => now });
    const k = await setup(s, { team: 1, teamDuration: '1mo' });
    const a = await authorizeAndRecord(s, k.secret, 1, 1);
    expect(a.ok).toBe(true);
    expect((await authorizeAndRecord(s, k.secret, 2, 0.5)).ok).toBe(false);
    now = new Date('2027-02-01T00:00:05Z'); // past the reset; the job has not run
    const b = await authorizeAndRecord(s, k.secret, 3, 0.5);
    expect(b.ok).toBe(true);
    const team = await s.deps.table.get<Scope & { budget_reset_at: string }>(keys.team(k.teamId));
    expect(team!.spend).toBeCloseTo(0.5, 6);
    expect(team!.budget_reset_at).toBe('2027-03-01T00:00:00.000Z');
  });
});

describe('record beyond the reservation', () => {
  test('a cost above the reservation is charged only as far as every budget allows', async () => {
    const s = await testStack();
    const k = await setup(s, { team: 1 });
    expect((await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 0.8, request_id: 'big' } })).status).toBe(200);
    const rec = await s.call('POST', '/spend/record', { token: k.secret, body: { request_id: 'big', cost: 1.5 } });
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({ cost: 1.5, charged: 0.8, uncharged: 0.7 });
    const spend = await spendOf(s, k);
    expect(spend.team.spend).toBeCloseTo(0.8, 6);
    expect(spend.team.spend).toBeLessThanOrEqual(1);
  });

  test('concurrent records of one request count once', async () => {
    const s = await testStack();
    const k = await setup(s, { team: 10 });
    expect((await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 1, request_id: 'dup' } })).status).toBe(200);
    const replies = await Promise.all(Array.from({ length: 20 }, () => s.call('POST', '/spend/record', { token: k.secret, body: { request_id: 'dup', cost: 0.4 } })));
    expect(replies.map((r) => r.status)).toEqual(Array.from({ length: 20 }, () => 200));
    expect(replies.filter((r) => r.body.duplicate === false)).toHaveLength(1);
    expect((await spendOf(s, k)).team.spend).toBeCloseTo(0.4, 6);
  });
});

describe('what the info routes show', () => {
  test('key, user and team info show spend, limit, what remains and when it resets; users see their own', async () => {
    const s = await testStack({ clock: () => new Date('2027-03-10T09:00:00Z') });
    const team = await s.call('POST', '/team/new', { body: { models: ['gpt-4o'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10, team_member_permissions: ['/key/generate', '/key/info'] } });
    const teamId: string = team.body.team_id;
    const user = await s.userWithSession('internal_user', { max_budget: 50, budget_duration: '7d' });
    await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.userId } } });
    const key = await s.call('POST', '/key/generate', { token: user.token, body: { team_id: teamId, max_budget: 5, budget_duration: '1d' } });
    expect((await s.call('POST', '/spend/authorize', { token: key.body.key, body: { model: 'gpt-4o', estimated_cost: 2, request_id: 'shown' } })).status).toBe(200);
    expect((await s.call('POST', '/spend/record', { token: key.body.key, body: { request_id: 'shown', cost: 1.25 } })).status).toBe(200);

    const keyInfo = await s.call('GET', `/key/info?key=${key.body.key}`, { token: user.token });
    expect(keyInfo.body.info).toMatchObject({ spend: 1.25, max_budget: 5, remaining_budget: 3.75, budget_reset_at: '2027-03-11T00:00:00.000Z' });

    const userInfo = await s.call('GET', '/user/info', { token: user.token });
    expect(userInfo.body.user_info).toMatchObject({ spend: 1.25, max_budget: 50, remaining_budget: 48.75, budget_reset_at: '2027-03-15T00:00:00.000Z' });

    const teamInfo = await s.call('GET', `/team/info?team_id=${teamId}`, { token: user.token });
    expect(teamInfo.body.team_info).toMatchObject({ spend: 1.25, max_budget: 100, remaining_budget: 98.75, budget_reset_at: '2027-04-01T00:00:00.000Z' });
    expect(teamInfo.body.team_memberships[0]).toMatchObject({ user_id: user.userId, spend: 1.25, max_budget: 10, remaining_budget: 8.75, budget_reset_at: '2027-04-01T00:00:00.000Z' });

    // Another internal user sees none of it.
    const other = await s.userWithSession('internal_user');
    expectError(await s.call('GET', `/user/info?user_id=${user.userId}`, { token: other.token }), 403);
    expectError(await s.call('GET', `/key/info?key=${key.body.key}`, { token: other.token }), 403);
  });
});
