/**
 * Issue 9, spend items: a recorded request id cannot be authorized again (1); a
 * reservation settles even when its key is deleted, blocked or regenerated while
 * requests are in flight, and regenerate loses no concurrent spend (2); a request
 * id answers only to the key that made it, without storage attributes (3); a zero
 * or missing estimate never passes a budget with nothing left (4).
 */
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type TestStack } from '../support/stack';

type Counters = { spend: number; reserved_spend: number; used: number; budget_remaining: number };

async function teamKey(s: TestStack, budgets: { team?: number; member?: number; key?: number; user?: number } = {}) {
  const team = await s.call('POST', '/team/new', {
    body: { models: ['gpt-4o'], max_budget: budgets.team ?? 100, team_member_budget: budgets.member ?? 100, team_member_permissions: ['/key/generate'] },
  });
  expect(team.status).toBe(200);
  const user = await s.userWithSession('internal_user', { max_budget: budgets.user ?? 100 });
  expect((await s.call('POST', '/team/member_add', { body: { team_id: team.body.team_id, member: { user_id: user.userId } } })).status).toBe(200);
  const key = await s.call('POST', '/key/generate', { token: user.token, body: { team_id: team.body.team_id, max_budget: budgets.key ?? (budgets.team || budgets.member ? null : 100) } });
  expect(key.status).toBe(200);
  return { teamId: team.body.team_id as string, userId: user.userId, userToken: user.token, secret: key.body.key as string, token: key.body.token as string };
}

const authorize = (s: TestStack, secret: string, body: Record<string, unknown>) => s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', ...body } });
const record = (s: TestStack, secret: string, body: Record<string, unknown>) => s.call('POST', '/spend/record', { token: secret, body });
const get = (s: TestStack, key: { PK: string; SK: string }) => s.deps.table.get<Counters & Record<string, unknown>>(key);

const STORAGE = /^(PK|SK|GSI\d(PK|SK)|type|ttl)$/;

describe('1. a recorded request id is never authorized again', () => {
  test('authorize after record is refused with 409 and reserves nothing', async () => {
    const s = await testStack();
    const k = await teamKey(s);
    expect((await authorize(s, k.secret, { estimated_cost: 1, request_id: 'reused' })).status).toBe(200);
    expect((await record(s, k.secret, { request_id: 'reused', cost: 0.5 })).status).toBe(200);

    const again = await authorize(s, k.secret, { estimated_cost: 5, request_id: 'reused' });
    const err = expectError(again, 409);
    expect(err.param).toBe('request_id');
    expect(err.message).toContain('already recorded');
    expect((await get(s, keys.request('reused')))?.type).toBe('spend_record');
    for (const scope of [keys.key(k.token), keys.team(k.teamId), keys.member(k.teamId, k.userId), keys.user(k.userId)]) {
      const item = (await get(s, scope))!;
      expect(item.reserved_spend).toBeCloseTo(0, 9);
      expect(item.spend).toBeCloseTo(0.5, 9);
    }
  });
});

describe('2. in-flight requests settle whatever happens to their key', () => {
  const IN_FLIGHT = 40;

  test.each(['delete', 'regenerate', 'block'] as const)('40 requests in flight around a key %s: all recorded, spend = sum of records, nothing reserved', async (action) => {
    const s = await testStack();
    const k = await teamKey(s);
    const ids = Array.from({ length: IN_FLIGHT }, (_, i) => `flight-${i}`);
    for (const r of await Promise.all(ids.map((id) => authorize(s, k.secret, { estimated_cost: 0.5, request_id: id })))) expect(r.status).toBe(200);

    const change =
      action === 'delete'
        ? s.call('POST', '/key/delete', { body: { keys: [k.secret] } })
        : action === 'regenerate'
          ? s.call('POST', '/key/regenerate', { body: { key: k.secret } })
          : s.call('POST', '/key/block', { body: { key: k.secret } });
    const [changed, ...records] = await Promise.all([change, ...ids.map((id, i) => record(s, k.secret, { request_id: id, cost: 0.1 + (i % 4) * 0.1 }))]);

    expect(changed.status).toBe(200);
    expect(records.map((r) => r.status)).toEqual(ids.map(() => 200));
    expect(records.every((r) => r.body.duplicate === false)).toBe(true);
    const sum = records.reduce((total, r) => total + (r.body.charged as number), 0);
    expect(sum).toBeCloseTo(ids.reduce((t, _, i) => t + 0.1 + (i % 4) * 0.1, 0), 6);

    const scopes = [keys.team(k.teamId), keys.member(k.teamId, k.userId), keys.user(k.userId)];
    if (action === 'regenerate') scopes.push(keys.key(changed.body.token));
    if (action === 'block') scopes.push(keys.key(k.token));
    if (action === 'delete') expect(await get(s, keys.key(k.token))).toBeUndefined();
    if (action === 'regenerate') expect(await get(s, keys.key(k.token))).toBeUndefined();
    for (const scope of scopes) {
      const item = (await get(s, scope))!;
      expect({ scope: scope.PK, spend: item.spend }).toEqual({ scope: scope.PK, spend: expect.closeTo(sum, 6) });
      expect(item.reserved_spend).toBeCloseTo(0, 9);
      expect(item.used).toBeCloseTo(sum, 6);
      expect(item.budget_remaining).toBeCloseTo(100 - sum, 6);
    }
    for (const id of ids) expect((await get(s, keys.request(id)))?.type).toBe('spend_record');
  }, 60_000);

  test('after a regenerate, the new secret settles a reservation made with the old one and replays its record', async () => {
    const s = await testStack();
    const k = await teamKey(s);
    expect((await authorize(s, k.secret, { estimated_cost: 2, request_id: 'before' })).status).toBe(200);
    const regenerated = await s.call('POST', '/key/regenerate', { body: { key: k.secret } });
    expect(regenerated.status).toBe(200);
    expectError(await authorize(s, k.secret, { estimated_cost: 1 }), 401);

    const settled = await record(s, regenerated.body.key, { request_id: 'before', cost: 1.5 });
    expect(settled.status).toBe(200);
    expect(settled.body).toMatchObject({ charged: 1.5, duplicate: false });
    const replay = await record(s, k.secret, { request_id: 'before', cost: 1.5 });
    expect(replay.status).toBe(200);
    expect(replay.body.duplicate).toBe(true);
    const item = (await get(s, keys.key(regenerated.body.token)))!;
    expect(item.spend).toBeCloseTo(1.5, 9);
    expect(item.reserved_spend).toBeCloseTo(0, 9);
  });

  test('a reservation left open by a regenerated key is released from the new key when it expires', async () => {
    let now = new Date('2027-05-10T10:00:00Z');
    const s = await testStack({ clock: () => now });
    const k = await teamKey(s);
    expect((await authorize(s, k.secret, { estimated_cost: 3, request_id: 'abandoned' })).status).toBe(200);
    const regenerated = await s.call('POST', '/key/regenerate', { body: { key: k.secret } });
    expect(regenerated.status).toBe(200);
    expect((await get(s, keys.key(regenerated.body.token)))!.reserved_spend).toBeCloseTo(3, 9);

    now = new Date('2027-05-10T10:30:00Z');
    expect(await s.deps.gateway.releaseExpired()).toBe(1);
    for (const scope of [keys.key(regenerated.body.token), keys.team(k.teamId), keys.member(k.teamId, k.userId), keys.user(k.userId)]) {
      const item = (await get(s, scope))!;
      expect({ scope: scope.PK, reserved: item.reserved_spend, used: item.used }).toEqual({ scope: scope.PK, reserved: 0, used: 0 });
    }
  });

  test('regenerate during a burst of authorize+record keeps every counter', async () => {
    const s = await testStack();
    const k = await teamKey(s);
    const burst = Array.from({ length: 30 }, async (_, i) => {
      const id = `burst-${i}`;
      const a = await authorize(s, k.secret, { estimated_cost: 1, request_id: id });
      if (a.status !== 200) return 0;
      const r = await record(s, k.secret, { request_id: id, cost: 0.25 });
      expect(r.status).toBe(200);
      return r.body.charged as number;
    });
    const [regenerated, ...charged] = await Promise.all([s.call('POST', '/key/regenerate', { body: { key: k.secret } }), ...burst]);
    expect(regenerated.status).toBe(200);
    const sum = charged.reduce((t, c) => t + c, 0);
    expect(sum).toBeGreaterThan(0);
    const key = (await get(s, keys.key(regenerated.body.token)))!;
    const team = (await get(s, keys.team(k.teamId)))!;
    expect(key.spend).toBeCloseTo(sum, 6);
    expect(key.reserved_spend).toBeCloseTo(0, 9);
    expect(key.spend).toBeCloseTo(team.spend, 6);
  }, 60_000);
});

describe('3. a request id answers only to its own key', () => {
  test("another key's request id is 404, open or recorded, and nothing is settled", async () => {
    const s = await testStack();
    const mine = await teamKey(s);
    const other = await s.call('POST', '/key/generate', { body: { team_id: mine.teamId } });
    expect(other.status).toBe(200);
    expect((await authorize(s, mine.secret, { estimated_cost: 1, request_id: 'private' })).status).toBe(200);

    const stolen = expectError(await record(s, other.body.key, { request_id: 'private', cost: 0 }), 404);
    expect(stolen.param).toBe('request_id');
    expect((await get(s, keys.request('private')))?.type).toBe('reservation');

    expect((await record(s, mine.secret, { request_id: 'private', cost: 0.6 })).status).toBe(200);
    const peek = expectError(await record(s, other.body.key, { request_id: 'private', cost: 0.6 }), 404);
    expect(peek.message).not.toContain(mine.token);
    expect(JSON.stringify(peek)).not.toContain('0.6');
  });

  test('the replayed answer has the same fields as the first, and no storage attributes', async () => {
    const s = await testStack();
    const k = await teamKey(s);
    expect((await authorize(s, k.secret, { estimated_cost: 1, request_id: 'shape' })).status).toBe(200);
    const first = await record(s, k.secret, { request_id: 'shape', cost: 0.4, prompt_tokens: 3 });
    const replay = await record(s, k.secret, { request_id: 'shape', cost: 0.4, prompt_tokens: 3 });
    expect(first.status).toBe(200);
    expect(replay.status).toBe(200);
    expect(Object.keys(replay.body).sort()).toEqual(Object.keys(first.body).sort());
    expect({ ...replay.body, duplicate: false }).toEqual(first.body);
    for (const body of [first.body, replay.body]) expect(Object.keys(body).filter((f) => STORAGE.test(f))).toEqual([]);
  });
});

describe('4. a zero or missing estimate never passes a budget with nothing left', () => {
  test.each([
    ['key', { key: 1 }],
    ['team', { team: 1 }],
    ['member', { member: 1 }],
    ['user', { user: 1 }],
  ] as const)('a spent %s budget refuses an estimate of 0 and a missing one', async (scope, budgets) => {
    const s = await testStack();
    const k = await teamKey(s, budgets);
    expect((await authorize(s, k.secret, { estimated_cost: 1, request_id: 'all' })).status).toBe(200);
    expect((await record(s, k.secret, { request_id: 'all', cost: 1 })).status).toBe(200);

    const zero = expectError(await authorize(s, k.secret, { estimated_cost: 0, request_id: 'zero' }), 400, 'budget_exceeded');
    expect(zero.param).toBe(`${scope}_budget`);
    expectError(await authorize(s, k.secret, { request_id: 'missing' }), 400);
    expect(await get(s, keys.request('zero'))).toBeUndefined();
    expect(await get(s, keys.request('missing'))).toBeUndefined();
  });

  test('a zero estimate still passes a budget with something left', async () => {
    const s = await testStack();
    const k = await teamKey(s, { key: 1 });
    expect((await authorize(s, k.secret, { estimated_cost: 0, request_id: 'free' })).status).toBe(200);
  });
});
