/**
 * Issue 9, item 14: values DynamoDB refuses never reach it. Money is kept within
 * the digits DynamoDB numbers hold, free-form metadata within its depth, size, key
 * and number limits, a new team's members within one transaction, and durations
 * are exactly LiteLLM's grammar and short enough that every reset stays a
 * four-digit-year ISO date. Each refusal is a 400 in the envelope that changes nothing.
 */
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type TestStack } from '../support/stack';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

async function keyCount(s: TestStack): Promise<number> {
  return (await s.call('GET', '/key/list?size=100')).body.total_count as number;
}

describe('money', () => {
  test('amounts below what DynamoDB numbers hold are rounded to 10 decimals, not a 500', async () => {
    const s = await testStack();
    const user = await s.call('POST', '/user/new', { body: { user_email: 'tiny@example.com', max_budget: 1e-200, soft_budget: 5e-324 } });
    expect(user.status).toBe(200);
    expect(user.body).toMatchObject({ max_budget: 0 });
    const key = await s.call('POST', '/key/generate', { body: { max_budget: 3.0000000000000004e-7 } });
    expect(key.status).toBe(200);
    expect(key.body.max_budget).toBe(3e-7);
  });

  test('a gateway cost too small for 38 digits next to an unlimited budget settles instead of failing', async () => {
    const s = await testStack();
    const key = await s.call('POST', '/key/generate', { body: {} });
    const auth = await s.call('POST', '/spend/authorize', { token: key.body.key, body: { model: 'gpt-4o', estimated_cost: 1e-25, request_id: 'tiny' } });
    expect(auth.status).toBe(200);
    const rec = await s.call('POST', '/spend/record', { token: key.body.key, body: { request_id: 'tiny', cost: 1.0000000000000001e-24 } });
    expect(rec.status).toBe(200);
    expect((await s.deps.table.get<{ spend: number; reserved_spend: number }>(keys.key(key.body.token)))!).toMatchObject({ spend: 0, reserved_spend: 0 });
  });

  test.each([1e13, 1e300, -1e-200])('%p is refused with a 400 naming the field', async (amount) => {
    const s = await testStack();
    expect(expectError(await s.call('POST', '/team/new', { body: { max_budget: amount } }), 400).param).toBe('max_budget');
  });
});

describe('metadata', () => {
  const deep = (n: number): unknown => (n === 0 ? 1 : { d: deep(n - 1) });
  test.each([
    ['nested 40 levels deep', deep(40), /nested more than 16/],
    ['over the size limit', { blob: 'x'.repeat(420_000) }, /bytes/],
    ['with an empty key', { '': 'x' }, /empty key/],
    ['with an empty key further down', { a: [{ '': 1 }] }, /empty key/],
    ['with a number too large for DynamoDB', { n: 1e300 }, /number/],
    ['with a number too large to read back', { n: 1e20 }, /number/],
    ['with a number too small for DynamoDB', { n: [1e-200] }, /number/],
  ])('metadata %s is a 400 on /key/generate, /team/new and /user/new, and nothing is written', async (_, metadata, message) => {
    const s = await testStack();
    const before = await keyCount(s);
    const key = expectError(await s.call('POST', '/key/generate', { body: { key_alias: 'meta', metadata } }), 400);
    expect(key.param).toBe('metadata');
    expect(key.message).toMatch(message);
    expect(await keyCount(s)).toBe(before);
    expect(await s.deps.table.get(keys.keyAlias('meta'))).toBeUndefined();
    expect(expectError(await s.call('POST', '/team/new', { body: { team_alias: 'meta', metadata } }), 400).param).toBe('metadata');
    expect((await s.call('GET', '/team/list')).body).toEqual([]);
    expect(expectError(await s.call('POST', '/user/new', { body: { user_email: 'meta@example.com', metadata } }), 400).param).toBe('metadata');
    expect((await s.call('GET', '/user/list?user_email=meta@example.com')).body.total).toBe(0);
  });

  test('metadata at the limits is stored and read back', async () => {
    const s = await testStack();
    const metadata = { nested: deep(14), text: 'y'.repeat(60_000), n: 1e-100, big: Number.MAX_SAFE_INTEGER, negative: -1.5e15 };
    const key = await s.call('POST', '/key/generate', { body: { metadata } });
    expect(key.status).toBe(200);
    expect((await s.call('GET', `/key/info?key=${key.body.key}`)).body.info.metadata).toEqual(metadata);
  });
});

describe('members_with_roles', () => {
  async function users(s: TestStack, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const u = await s.call('POST', '/user/new', { body: { user_email: `member-${i}@example.com`, auto_create_key: false } });
      expect(u.status).toBe(200);
      ids.push(u.body.user_id);
    }
    return ids;
  }

  test('more members than one transaction holds is a 400, and no team is created', async () => {
    const s = await testStack();
    const ids = await users(s, 60);
    const refused = expectError(await s.call('POST', '/team/new', { body: { team_alias: 'crowd', members_with_roles: ids.map((user_id) => ({ user_id })) } }), 400);
    expect(refused.param).toBe('members_with_roles');
    expect((await s.call('GET', '/team/list')).body).toEqual([]);
    expect(await s.deps.table.get(keys.teamAlias('crowd'))).toBeUndefined();
  }, 60_000);

  test('the most members allowed, with an alias and a creating user, fit in the one transaction', async () => {
    const s = await testStack();
    const ids = await users(s, 48);
    const creator = await s.userWithSession('proxy_admin');
    const team = await s.call('POST', '/team/new', { token: creator.token, body: { team_alias: 'full', members_with_roles: ids.map((user_id) => ({ user_id })) } });
    expect(team.status).toBe(200);
    const info = await s.call('GET', `/team/info?team_id=${team.body.team_id}`);
    expect(info.body.team_memberships).toHaveLength(49);
  }, 60_000);
});

describe('durations', () => {
  test.each(['1mo ', ' 30d', '1mo\n', '1 mo', '1201mo', '5219w', '36526d', '99999mo'])('%p is refused everywhere a duration is read', async (duration) => {
    const s = await testStack();
    expect(expectError(await s.call('POST', '/team/new', { body: { budget_duration: duration } }), 400).param).toBe('budget_duration');
    expect(expectError(await s.call('POST', '/team/new', { body: { team_member_budget_duration: duration } }), 400).param).toBe('team_member_budget_duration');
    expect(expectError(await s.call('POST', '/key/generate', { body: { duration } }), 400).param).toBe('duration');
    expect(expectError(await s.call('POST', '/user/new', { body: { user_email: 'd@example.com', budget_duration: duration } }), 400).param).toBe('budget_duration');
    expect(expectError(await s.call('PATCH', '/update/internal_user_settings', { body: { budget_duration: duration } }), 400).param).toBe('budget_duration');
    expect((await s.call('GET', '/team/list')).body).toEqual([]);
  });

  test.each(['1200mo', '5218w', '36525d', '99999h'])('the longest durations, %p, give reset and expiry dates before year 10000', async (duration) => {
    const s = await testStack({ clock: () => new Date('2999-12-31T23:59:59Z') });
    const team = await s.call('POST', '/team/new', { body: { budget_duration: duration } });
    expect(team.status).toBe(200);
    expect(team.body.budget_reset_at).toMatch(ISO);
    const key = await s.call('POST', '/key/generate', { body: { duration, budget_duration: duration } });
    expect(key.status).toBe(200);
    expect(key.body.expires).toMatch(ISO);
    expect(key.body.budget_reset_at).toMatch(ISO);
  });
});
