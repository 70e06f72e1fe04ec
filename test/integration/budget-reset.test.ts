/**
 * The scheduled budget reset against DynamoDB Local, with a clock the tests move:
 * due budgets of every kind are zeroed and get their next reset time, others are
 * untouched, a second run changes nothing, a run killed half-way then rerun ends
 * exactly where one clean run ends, month ends and late runs keep the calendar,
 * open reservations survive, and unsettled ones are released. Then the three ways
 * to run it: the admin route, the Lambda handler and the local CLI.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTable, localClient } from '../../local/dynamodb';
import { runResetJob } from '../../shared/spend/job';
import { keys } from '../../shared/db/keys';
import { sha256Hex } from '../../shared/core/ids';
import { expectError, testStack, type TestStack } from '../support/stack';

const REPO = resolve(__dirname, '../..');

type Budget = {
  PK: string;
  SK: string;
  type: string;
  spend: number;
  reserved_spend: number;
  used: number;
  budget_remaining: number;
  max_budget?: number | null;
  budget_duration: string | null;
  budget_reset_at: string | null;
  last_period_spend?: number;
  last_reset_at?: string;
  GSI4PK?: string;
  GSI4SK?: string;
};

/** A stack whose clock is `now`, moved with `at(...)`. */
async function clockedStack(start: string) {
  let now = new Date(start);
  const s = await testStack({ clock: () => now });
  return { s, at: (iso: string) => void (now = new Date(iso)) };
}

type Durations = { key?: string | null; user?: string | null; team?: string | null; member?: string | null };

/**
 * One team, `users` members each with a key in it, every scope with a limit and
 * the given periods; ids and secrets are fixed, so two stacks seeded at the same
 * clock hold identical items. Each key then spends 1 + i/4 dollars.
 */
async function seed(s: TestStack, d: Durations, opts: { users?: number; spend?: boolean } = {}) {
  const n = opts.users ?? 1;
  const teamId = 'team-reset';
  const team = await s.call('POST', '/team/new', {
    body: { team_id: teamId, max_budget: 1000, budget_duration: d.team ?? null, team_member_budget: 100, team_member_budget_duration: d.member ?? null },
  });
  expect(team.status).toBe(200);
  const members: Array<{ userId: string; secret: string; token: string; spent: number }> = [];
  for (let i = 1; i <= n; i++) {
    const userId = `user-reset-${i}`;
    const user = await s.call('POST', '/user/new', {
      body: { user_id: userId, user_email: `${userId}@example.com`, max_budget: 200, budget_duration: d.user ?? null, auto_create_key: false },
    });
    expect(user.status).toBe(200);
    expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: userId } } })).status).toBe(200);
    const secret = `sk-reset-test-key-${String(i).padStart(4, '0')}-0123456789`;
    const key = await s.call('POST', '/key/generate', { body: { key: secret, user_id: userId, team_id: teamId, max_budget: 50, budget_duration: d.key ?? null } });
    expect(key.status).toBe(200);
    const spent = opts.spend === false ? 0 : 1 + i / 4;
    if (spent > 0) {
      const auth = await s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: spent, request_id: `seed-${i}` } });
      expect(auth.status).toBe(200);
      expect((await s.call('POST', '/spend/record', { token: secret, body: { request_id: `seed-${i}`, cost: spent } })).status).toBe(200);
    }
    members.push({ userId, secret, token: sha256Hex(secret), spent });
  }
  const totalSpent = members.reduce((a, m) => a + m.spent, 0);
  return { teamId, members, totalSpent };
}

type Seeded = Awaited<ReturnType<typeof seed>>;

/** The four budget-bearing items of the first member's path. */
async function scopes(s: TestStack, k: Seeded, i = 0) {
  const m = k.members[i]!;
  const [key, member, team, user] = await Promise.all([
    s.deps.table.get<Budget>(keys.key(m.token)),
    s.deps.table.get<Budget>(keys.member(k.teamId, m.userId)),
    s.deps.table.get<Budget>(keys.team(k.teamId)),
    s.deps.table.get<Budget>(keys.user(m.userId)),
  ]);
  return { key: key!, member: member!, team: team!, user: user! };
}

/** Every item of the table, in key order (a scan is fine in a test), without the users' random session stamps. */
async function allItems(s: TestStack) {
  const out = await s.deps.table.doc.send(new ScanCommand({ TableName: s.tableName, ConsistentRead: true }));
  return (out.Items ?? [])
    // Audit entries have fresh ids per write, so identically seeded stacks differ there by design.
    .filter((item) => item.type !== 'audit')
    .map(({ session_stamp: _stamp, ...item }) => item)
    .sort((a, b) => `${a.PK}|${a.SK}`.localeCompare(`${b.PK}|${b.SK}`));
}

/** A budget just reset at `at` whose period had `spent`, next due at `next`, `limit` its max. */
function expectReset(item: Budget, o: { spent: number; next: string; limit: number; at: string; reserved?: number }) {
  const reserved = o.reserved ?? 0;
  expect(item.spend).toBe(0);
  expect(item.last_period_spend).toBeCloseTo(o.spent, 9);
  expect(item.last_reset_at).toBe(o.at);
  expect(item.reserved_spend).toBeCloseTo(reserved, 9);
  expect(item.used).toBeCloseTo(reserved, 9);
  expect(item.budget_remaining).toBeCloseTo(o.limit - reserved, 9);
  expect(item.budget_reset_at).toBe(o.next);
  // the reset index follows, so the next run finds it at its new time
  expect(item.GSI4PK).toBe('BUDGET_RESET');
  expect(item.GSI4SK).toBe(`${o.next}#${item.PK}#${item.SK}`);
}

describe('due budgets of every kind', () => {
  test('due ones are zeroed with the right next reset (late runs keep the calendar, 7d is Monday); the rest untouched', async () => {
    // Wednesday 10 March 2027
    const { s, at } = await clockedStack('2027-03-10T12:00:00.000Z');
    const k = await seed(s, { key: '1d', user: '1d', team: '7d', member: '1mo' });
    const spent = k.totalSpent; // one member: every scope spent the same
    const before = await scopes(s, k);
    expect(before.key.budget_reset_at).toBe('2027-03-11T00:00:00.000Z');
    expect(before.user.budget_reset_at).toBe('2027-03-11T00:00:00.000Z');
    expect(before.team.budget_reset_at).toBe('2027-03-15T00:00:00.000Z'); // the next Monday
    expect(before.member.budget_reset_at).toBe('2027-04-01T00:00:00.000Z');
    for (const scope of Object.values(before)) expect(scope.spend).toBeCloseTo(spent, 9);

    // just before midnight nothing is due
    at('2027-03-10T23:59:59.999Z');
    expect(await s.deps.budgetReset.run()).toEqual({ reset: { key: 0, user: 0, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 0 });
    expect(await scopes(s, k)).toEqual(before);

    // midnight: the daily key and user budgets, not the weekly team nor the monthly member
    at('2027-03-11T00:00:30.000Z');
    expect(await s.deps.budgetReset.run()).toEqual({ reset: { key: 1, user: 1, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 1 });
    const midnight = await scopes(s, k);
    expectReset(midnight.key, { spent, next: '2027-03-12T00:00:00.000Z', limit: 50, at: '2027-03-11T00:00:30.000Z' });
    expectReset(midnight.user, { spent, next: '2027-03-12T00:00:00.000Z', limit: 200, at: '2027-03-11T00:00:30.000Z' });
    expect(midnight.team).toEqual(before.team);
    expect(midnight.member).toEqual(before.member);

    // the job then stops for three weeks; it runs on Thursday 1 April, 00:00:05
    at('2027-04-01T00:00:05.000Z');
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 1, team: 1, member: 1 });
    const late = await scopes(s, k);
    // 1d, three weeks late: the next midnight after now, not a day in the past
    expectReset(late.key, { spent: 0, next: '2027-04-02T00:00:00.000Z', limit: 50, at: '2027-04-01T00:00:05.000Z' });
    expectReset(late.user, { spent: 0, next: '2027-04-02T00:00:00.000Z', limit: 200, at: '2027-04-01T00:00:05.000Z' });
    // 7d, due Monday 15 March: the next Monday after now
    expectReset(late.team, { spent, next: '2027-04-05T00:00:00.000Z', limit: 1000, at: '2027-04-01T00:00:05.000Z' });
    expect(new Date(late.team.budget_reset_at!).getUTCDay()).toBe(1);
    // 1mo, due exactly now: the 1st of next month
    expectReset(late.member, { spent, next: '2027-05-01T00:00:00.000Z', limit: 100, at: '2027-04-01T00:00:05.000Z' });
  });

  test('three days late for a daily budget: the next midnight after now', async () => {
    const { s, at } = await clockedStack('2027-03-10T12:00:00.000Z');
    const k = await seed(s, { key: '1d' });
    at('2027-03-14T09:00:00.000Z'); // due 2027-03-11T00:00, the job runs three days and nine hours late
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 0, team: 0, member: 0 });
    expectReset((await scopes(s, k)).key, { spent: k.totalSpent, next: '2027-03-15T00:00:00.000Z', limit: 50, at: '2027-03-14T09:00:00.000Z' });
  });

  test('budgets without a period are never in the reset index and never reset', async () => {
    const { s, at } = await clockedStack('2027-03-10T12:00:00.000Z');
    const k = await seed(s, {});
    const before = await scopes(s, k);
    for (const scope of Object.values(before)) {
      expect(scope.budget_reset_at).toBeNull();
      expect(scope.GSI4PK).toBeUndefined();
    }
    at('2030-01-01T00:00:00.000Z');
    expect((await s.deps.budgetReset.run()).pages).toBe(0);
    expect(await scopes(s, k)).toEqual(before);
  });
});

describe('idempotent and resumable', () => {
  const durations: Durations = { key: '1d', user: '1d', team: '1d', member: '1d' };
  const start = '2027-06-15T10:00:00.000Z';
  const due = '2027-06-16T00:05:00.000Z';

  test('two runs = one run: the second resets nothing and changes nothing', async () => {
    const { s, at } = await clockedStack(start);
    await seed(s, durations, { users: 3 });
    at(due);
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 3, user: 3, team: 1, member: 3 });
    const afterOne = await allItems(s);
    const second = await s.deps.budgetReset.run();
    expect(second).toEqual({ reset: { key: 0, user: 0, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 0 });
    expect(await allItems(s)).toEqual(afterOne);
    // and later the same instant again (a retried invocation): still nothing
    at('2027-06-16T00:09:00.000Z');
    expect((await runResetJob(s.deps)).reset).toEqual({ key: 0, user: 0, team: 0, member: 0 });
    expect(await allItems(s)).toEqual(afterOne);
  });

  test('a stale index entry, or another run, is a no-op: each reset is conditional on the reset time read', async () => {
    const { s, at } = await clockedStack(start);
    await seed(s, durations, { users: 2 });
    at(due);
    // what the index says is due, as a lagging GSI read (or a concurrent run) would still see it
    const stale = (await s.deps.table.query<Parameters<typeof s.deps.budgetReset.resetItem>[0]>({ index: 'GSI4', pk: 'BUDGET_RESET', skAtMost: `${due}#\uffff` })).items;
    expect(stale).toHaveLength(7);
    await s.deps.budgetReset.run();
    const afterOne = await allItems(s);
    at('2027-06-16T00:06:00.000Z');
    for (const item of stale) expect(await s.deps.budgetReset.resetItem(item)).toBe(false);
    expect(await allItems(s)).toEqual(afterOne);
  });

  test('two runs at the same time reset each budget once', async () => {
    const a = await clockedStack(start);
    const b = await clockedStack(start);
    await seed(a.s, durations, { users: 3 });
    await seed(b.s, durations, { users: 3 });
    a.at(due);
    b.at(due);
    await a.s.deps.budgetReset.run();
    const [x, y] = await Promise.all([b.s.deps.budgetReset.run({ batchSize: 3 }), b.s.deps.budgetReset.run({ batchSize: 3 })]);
    const total = (r: typeof x) => Object.values(r.reset).reduce((m, n) => m + n, 0);
    expect(total(x) + total(y)).toBe(10);
    expect(x.failed + y.failed).toBe(0);
    expect(await allItems(b.s)).toEqual(await allItems(a.s));
  });

  test('a run killed half-way then rerun = one clean run, and no budget is reset twice', async () => {
    // Two stacks seeded identically at the same clock: one is reset cleanly, the other is
    // interrupted after one page of 5 (of 13 due budgets), then run again.
    const clean = await clockedStack(start);
    const killed = await clockedStack(start);
    const k = await seed(clean.s, durations, { users: 4 });
    await seed(killed.s, durations, { users: 4 });
    expect(await allItems(killed.s)).toEqual(await allItems(clean.s));

    clean.at(due);
    killed.at(due);
    const one = await clean.s.deps.budgetReset.run();
    expect(one.reset).toEqual({ key: 4, user: 4, team: 1, member: 4 });

    const partial = await killed.s.deps.budgetReset.run({ pageSize: 5, maxPages: 1 });
    expect(partial.pages).toBe(1);
    const partialCount = Object.values(partial.reset).reduce((a, b) => a + b, 0);
    expect(partialCount).toBe(5);
    // the rerun picks up exactly what is left
    const rest = await killed.s.deps.budgetReset.run({ pageSize: 5 });
    const restCount = Object.values(rest.reset).reduce((a, b) => a + b, 0);
    expect(restCount).toBe(13 - 5);
    for (const kind of ['key', 'user', 'team', 'member']) expect(partial.reset[kind]! + rest.reset[kind]!).toBe(one.reset[kind]);
    expect(rest.skipped + rest.failed + partial.skipped + partial.failed).toBe(0);

    // the same end state, item for item
    expect(await allItems(killed.s)).toEqual(await allItems(clean.s));
    // reset once: each period's spend is kept as last_period_spend (a second reset would make it 0)
    const team = await killed.s.deps.table.get<Budget>(keys.team(k.teamId));
    expect(team!.last_period_spend).toBeCloseTo(k.totalSpent, 9);
    for (const m of k.members) {
      const key = await killed.s.deps.table.get<Budget>(keys.key(m.token));
      const user = await killed.s.deps.table.get<Budget>(keys.user(m.userId));
      const member = await killed.s.deps.table.get<Budget>(keys.member(k.teamId, m.userId));
      for (const item of [key!, user!, member!]) {
        expect(item.last_period_spend).toBeCloseTo(m.spent, 9);
        expect(item.spend).toBe(0);
        expect(item.budget_reset_at).toBe('2027-06-17T00:00:00.000Z');
      }
    }
  });

  test('small transactions and pages give the same result as the defaults', async () => {
    const a = await clockedStack(start);
    const b = await clockedStack(start);
    await seed(a.s, durations, { users: 3 });
    await seed(b.s, durations, { users: 3 });
    a.at(due);
    b.at(due);
    await a.s.deps.budgetReset.run();
    const small = await b.s.deps.budgetReset.run({ pageSize: 2, batchSize: 1 });
    expect(small.pages).toBe(5); // 10 due budgets, 2 per page
    expect(await allItems(b.s)).toEqual(await allItems(a.s));
  });
});

describe('month ends and year ends', () => {
  test('1mo set on Jan 31: due Feb 1, then Mar 1', async () => {
    const { s, at } = await clockedStack('2027-01-31T12:00:00.000Z');
    const k = await seed(s, { team: '1mo', key: '30d' });
    const before = await scopes(s, k);
    expect(before.team.budget_reset_at).toBe('2027-02-01T00:00:00.000Z');
    expect(before.key.budget_reset_at).toBe('2027-02-01T00:00:00.000Z');
    at('2027-02-01T00:00:00.000Z'); // exactly at the reset time
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 0, team: 1, member: 1 });
    const after = await scopes(s, k);
    expectReset(after.team, { spent: k.totalSpent, next: '2027-03-01T00:00:00.000Z', limit: 1000, at: '2027-02-01T00:00:00.000Z' });
    expectReset(after.key, { spent: k.totalSpent, next: '2027-03-01T00:00:00.000Z', limit: 50, at: '2027-02-01T00:00:00.000Z' });
    // The member budget has no period of its own, so it follows the team's.
    expect(after.member.budget_reset_at).toBe('2027-03-01T00:00:00.000Z');
    expect(after.member.spend).toBe(0);
  });

  test('leap year: 1mo set on Feb 29 resets Mar 1 then Apr 1; a daily budget due Feb 29 next resets Mar 1', async () => {
    const { s, at } = await clockedStack('2028-02-28T15:00:00.000Z');
    const k = await seed(s, { key: '1d' });
    expect((await scopes(s, k)).key.budget_reset_at).toBe('2028-02-29T00:00:00.000Z');
    at('2028-02-29T00:00:10.000Z');
    expect((await s.deps.budgetReset.run()).reset.key).toBe(1);
    expect((await scopes(s, k)).key.budget_reset_at).toBe('2028-03-01T00:00:00.000Z');

    // a monthly budget set on Feb 29
    at('2028-02-29T10:00:00.000Z');
    expect((await s.call('POST', '/team/update', { body: { team_id: k.teamId, budget_duration: '1mo' } })).status).toBe(200);
    expect((await scopes(s, k)).team.budget_reset_at).toBe('2028-03-01T00:00:00.000Z');
    at('2028-03-01T00:01:00.000Z');
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 0, team: 1, member: 1 });
    const after = await scopes(s, k);
    expect(after.team.budget_reset_at).toBe('2028-04-01T00:00:00.000Z');
    expect(after.member.budget_reset_at).toBe('2028-04-01T00:00:00.000Z');
    expect(after.key.budget_reset_at).toBe('2028-03-02T00:00:00.000Z');
  });

  test('Dec 31 → Jan 1 of the next year', async () => {
    const { s, at } = await clockedStack('2027-12-31T23:59:00.000Z');
    const k = await seed(s, { team: '1mo', key: '1d', user: '7d' });
    const before = await scopes(s, k);
    expect(before.team.budget_reset_at).toBe('2028-01-01T00:00:00.000Z');
    expect(before.key.budget_reset_at).toBe('2028-01-01T00:00:00.000Z');
    expect(before.user.budget_reset_at).toBe('2028-01-03T00:00:00.000Z'); // Friday 31 Dec → Monday 3 Jan
    at('2028-01-01T00:00:02.000Z');
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 0, team: 1, member: 1 });
    const after = await scopes(s, k);
    expectReset(after.team, { spent: k.totalSpent, next: '2028-02-01T00:00:00.000Z', limit: 1000, at: '2028-01-01T00:00:02.000Z' });
    expectReset(after.key, { spent: k.totalSpent, next: '2028-01-02T00:00:00.000Z', limit: 50, at: '2028-01-01T00:00:02.000Z' });
    expect(after.user).toEqual(before.user);
  });
});

describe('reservations', () => {
  test('an open reservation survives a reset: still reserved, and settles into the new period', async () => {
    const { s, at } = await clockedStack('2027-03-10T23:55:00.000Z');
    const k = await seed(s, { key: '1d', user: '1d', team: '1d', member: '1d' });
    const m = k.members[0]!;
    const auth = await s.call('POST', '/spend/authorize', { token: m.secret, body: { model: 'gpt-4o', estimated_cost: 3, request_id: 'open-1' } });
    expect(auth.status).toBe(200);

    at('2027-03-11T00:00:30.000Z'); // the reset runs while the request is in flight
    expect((await s.deps.budgetReset.run()).reset).toEqual({ key: 1, user: 1, team: 1, member: 1 });
    const after = await scopes(s, k);
    const next = '2027-03-12T00:00:00.000Z';
    const when = '2027-03-11T00:00:30.000Z';
    expectReset(after.key, { spent: k.totalSpent, next, limit: 50, at: when, reserved: 3 });
    expectReset(after.member, { spent: k.totalSpent, next, limit: 100, at: when, reserved: 3 });
    expectReset(after.team, { spent: k.totalSpent, next, limit: 1000, at: when, reserved: 3 });
    expectReset(after.user, { spent: k.totalSpent, next, limit: 200, at: when, reserved: 3 });

    const rec = await s.call('POST', '/spend/record', { token: m.secret, body: { request_id: 'open-1', cost: 2.5 } });
    expect(rec.status).toBe(200);
    for (const [scope, limit] of Object.entries({ key: 50, member: 100, team: 1000, user: 200 })) {
      const item = (await scopes(s, k))[scope as 'key'];
      expect(item.spend).toBeCloseTo(2.5, 9);
      expect(item.reserved_spend).toBeCloseTo(0, 9);
      expect(item.used).toBeCloseTo(2.5, 9);
      expect(item.budget_remaining).toBeCloseTo(limit - 2.5, 9);
    }
  });

  test('a reservation never settled is released after 15 minutes; recording it afterwards is 404', async () => {
    const { s, at } = await clockedStack('2027-03-10T10:00:00.000Z');
    const k = await seed(s, { key: '1mo' });
    const m = k.members[0]!;
    const auth = await s.call('POST', '/spend/authorize', { token: m.secret, body: { model: 'gpt-4o', estimated_cost: 4, request_id: 'abandoned' } });
    expect(auth.status).toBe(200);
    for (const item of Object.values(await scopes(s, k))) expect(item.reserved_spend).toBeCloseTo(4, 9);

    at('2027-03-10T10:14:00.000Z'); // not yet expired
    expect(await s.deps.gateway.releaseExpired()).toBe(0);
    at('2027-03-10T10:16:00.000Z');
    expect(await s.deps.gateway.releaseExpired()).toBe(1);
    for (const [scope, limit] of Object.entries({ key: 50, member: 100, team: 1000, user: 200 })) {
      const item = (await scopes(s, k))[scope as 'key'];
      expect(item.reserved_spend).toBeCloseTo(0, 9);
      expect(item.spend).toBeCloseTo(m.spent, 9);
      expect(item.used).toBeCloseTo(m.spent, 9);
      expect(item.budget_remaining).toBeCloseTo(limit - m.spent, 9);
    }
    expect(await s.deps.gateway.releaseExpired()).toBe(0);
    expectError(await s.call('POST', '/spend/record', { token: m.secret, body: { request_id: 'abandoned', cost: 1 } }), 404);
    // the job does both: nothing due, nothing left to release
    expect(await runResetJob(s.deps)).toMatchObject({ pages: 0, released_reservations: 0 });
  });
  test('every expired reservation is released in one run, however many pages they fill', async () => {
    const { s, at } = await clockedStack('2027-03-10T10:00:00.000Z');
    const k = await seed(s, { key: '1mo' });
    const m = k.members[0]!;
    for (let i = 0; i < 5; i++) {
      const auth = await s.call('POST', '/spend/authorize', { token: m.secret, body: { model: 'gpt-4o', estimated_cost: 1, request_id: `lost-${i}` } });
      expect(auth.status).toBe(200);
    }
    for (const item of Object.values(await scopes(s, k))) expect(item.reserved_spend).toBeCloseTo(5, 9);
    at('2027-03-10T10:16:00.000Z');
    expect(await s.deps.gateway.releaseExpired({ pageSize: 2 })).toBe(5);
    for (const item of Object.values(await scopes(s, k))) {
      expect(item.reserved_spend).toBeCloseTo(0, 9);
      expect(item.used).toBeCloseTo(m.spent, 9);
    }
    expect(await s.deps.gateway.releaseExpired({ pageSize: 2 })).toBe(0);
  });
});

describe('running it on demand', () => {
  test('POST /budget/reset as the master key runs it and returns the summary; an internal user gets 403', async () => {
    const { s, at } = await clockedStack('2027-03-10T12:00:00.000Z');
    const k = await seed(s, { key: '1d', team: '1mo' });
    const user = await s.userWithSession('internal_user');
    at('2027-03-11T00:01:00.000Z');
    expectError(await s.call('POST', '/budget/reset', { token: user.token }), 403);
    expect((await scopes(s, k)).key.spend).toBeCloseTo(k.totalSpent, 9); // the refusal ran nothing

    const res = await s.call('POST', '/budget/reset');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ reset: { key: 1, user: 0, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 1, released_reservations: 0 });
    expect((await scopes(s, k)).key.spend).toBe(0);
    const again = await s.call('POST', '/budget/reset');
    expect(again.body).toMatchObject({ reset: { key: 0, user: 0, team: 0, member: 0 }, pages: 0 });
  });
});

/** Seeds a table whose budgets fell due yesterday by the real clock, for the entry points that use it. */
async function dueByRealClock() {
  const twoDaysAgo = new Date(Date.now() - 2 * 86_400_000);
  const { s } = await clockedStack(twoDaysAgo.toISOString());
  const k = await seed(s, { key: '1d', user: '1d', team: '1d', member: '1d' }, { users: 2 });
  return { s, k };
}

describe('functions/budget-reset (the Lambda handler)', () => {
  const NAMES = ['ONRAMP_TABLE_NAME', 'ONRAMP_DYNAMODB_ENDPOINT', 'ONRAMP_MASTER_KEY', 'ONRAMP_JWT_SECRET', 'ONRAMP_SES_SENDER', 'ONRAMP_MASTER_KEY_SECRET_ARN', 'ONRAMP_JWT_SECRET_ARN'];
  const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  afterAll(() => {
    for (const n of NAMES) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  });

  type Handler = (event?: unknown, context?: unknown) => Promise<{ reset: Record<string, number>; pages: number; released_reservations: number }>;
  /** A cold start with only these variables set: the handler needs no secret and no SES. */
  function coldStart(env: Record<string, string>): Handler {
    for (const n of NAMES) delete process.env[n];
    Object.assign(process.env, env);
    let handler: Handler | undefined;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../functions/budget-reset/index').handler as Handler;
    });
    return handler!;
  }

  const scheduledEvent = {
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '123456789012',
    time: new Date().toISOString(),
    region: 'us-east-1',
    resources: ['arn:aws:events:us-east-1:123456789012:rule/BudgetResetFrequent'],
    detail: {},
  };

  test('an EventBridge event resets what is due and returns the summary; a second invocation resets nothing', async () => {
    const { s, k } = await dueByRealClock();
    const handler = coldStart({ ONRAMP_TABLE_NAME: s.tableName, ONRAMP_DYNAMODB_ENDPOINT: process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT! });
    const summary = await handler(scheduledEvent, { awsRequestId: randomUUID(), functionName: 'onramp-budget-reset' });
    expect(summary).toEqual({ reset: { key: 2, user: 2, team: 1, member: 2 }, skipped: 0, failed: 0, pages: 1, released_reservations: 0 });
    const team = await s.deps.table.get<Budget>(keys.team(k.teamId));
    expect(team!.spend).toBe(0);
    expect(Date.parse(team!.budget_reset_at!)).toBeGreaterThan(Date.now());
    expect((await handler(scheduledEvent)).reset).toEqual({ key: 0, user: 0, team: 0, member: 0 });
  });

  test('a failing run throws (a Lambda error the alarm sees)', async () => {
    const handler = coldStart({ ONRAMP_TABLE_NAME: `onramp-missing-${randomUUID().slice(0, 8)}`, ONRAMP_DYNAMODB_ENDPOINT: process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT! });
    await expect(handler(scheduledEvent)).rejects.toThrow(/non-existent table|not found|ResourceNotFound/i);
  });

  test('a cold start without a table name fails, naming the variable', () => {
    expect(() => coldStart({})).toThrow(/ONRAMP_TABLE_NAME is required/);
    expect(() => coldStart({ ONRAMP_TABLE_NAME: 'onramp', ONRAMP_DYNAMODB_ENDPOINT: 'not a url' })).toThrow(/ONRAMP_DYNAMODB_ENDPOINT/);
  });
});

describe('npm run reset-budgets (the local CLI)', () => {
  function cli(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((done) => {
      const child = spawn(process.execPath, [resolve(REPO, 'node_modules/tsx/dist/cli.mjs'), 'local/reset-budgets.ts'], {
        cwd: REPO,
        env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', POWERTOOLS_LOG_LEVEL: 'WARN', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.once('exit', (code) => done({ code, stdout, stderr }));
    });
  }

  test('runs one reset against the given table and prints the summary as JSON', async () => {
    const { s, k } = await dueByRealClock();
    const out = await cli({ ONRAMP_TABLE_NAME: s.tableName, ONRAMP_DYNAMODB_ENDPOINT: process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT! });
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(out.stdout)).toEqual({ reset: { key: 2, user: 2, team: 1, member: 2 }, skipped: 0, failed: 0, pages: 1, released_reservations: 0 });
    expect((await s.deps.table.get<Budget>(keys.team(k.teamId)))!.spend).toBe(0);
  }, 60_000);

  test('exits 1 with the reason when the run fails', async () => {
    const endpoint = process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!;
    const name = `onramp-absent-${randomUUID().slice(0, 8)}`;
    const out = await cli({ ONRAMP_TABLE_NAME: name, ONRAMP_DYNAMODB_ENDPOINT: endpoint });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/budget reset failed: .*(non-existent table|not found)/i);
    // and it did not create the table
    expect(await ensureTable(localClient(endpoint), name)).toBe(true);
  }, 60_000);
});
