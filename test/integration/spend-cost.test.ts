/**
 * Issue 11, DynamoDB cost: the spend routes and the reset make the round trips and
 * consume the capacity units they are meant to, measured with ReturnConsumedCapacity
 * through the bench's meter (an SDK middleware: product code unchanged). And one key
 * check for every path: an old secret within its regenerate grace period lists models
 * as it authenticates and authorizes.
 */
import { installMeter, itemSize, writeUnits, type Meter } from '../../bench/capacity';
import { indexKeys, keys } from '../../shared/db/keys';
import { LOCAL_ECHO, seedLocalModels } from '../../shared/models/config-file';
import { testStack, type TestStack } from '../support/stack';

/** Transactional write units of these items, by DynamoDB's rule (2 per KB started) from their sizes. */
async function transactUnits(s: TestStack, itemKeys: { PK: string; SK: string }[]) {
  const items = await Promise.all(itemKeys.map((k) => s.deps.table.get<Record<string, unknown>>(k)));
  return items.reduce((sum, item) => sum + writeUnits(itemSize(item!), true), 0);
}

async function teamKey(s: TestStack) {
  const team = await s.call('POST', '/team/new', { body: { models: ['gpt-4o'], max_budget: 100, budget_duration: '30d', team_member_budget: 50 } });
  const user = await s.call('POST', '/user/new', { body: { user_email: `cost-${Math.random().toString(36).slice(2)}@example.com`, max_budget: 100, auto_create_key: false } });
  expect((await s.call('POST', '/team/member_add', { body: { team_id: team.body.team_id, member: { user_id: user.body.user_id } } })).status).toBe(200);
  const key = await s.call('POST', '/key/generate', { body: { team_id: team.body.team_id, user_id: user.body.user_id, max_budget: 10, budget_duration: '1d' } });
  expect(key.status).toBe(200);
  const budgets = [keys.key(key.body.token), keys.member(team.body.team_id, user.body.user_id), keys.team(team.body.team_id), keys.user(user.body.user_id)];
  return { secret: key.body.key as string, budgets };
}

describe('what /spend/authorize and /spend/record cost', () => {
  let s: TestStack;
  let meter: Meter;
  let secret: string;
  let budgets: { PK: string; SK: string }[];
  beforeAll(async () => {
    s = await testStack();
    meter = installMeter(s.deps.table.doc);
    ({ secret, budgets } = await teamKey(s));
  });

  test('authorize: the key read (1 read unit) and one transaction over the 4 budgets and the reservation', async () => {
    const { result, units } = await meter.measure(() => s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: 0.01, request_id: 'cost-a' } }));
    expect(result.status).toBe(200);
    expect(units.calls).toEqual(['GetItem', 'TransactWriteItems']);
    expect(units.read).toBe(1);
    // the 4 budgets and the request's item, at 2 units per KB started in a transaction: the floor
    expect(units.tableWrite).toBe(await transactUnits(s, [...budgets, keys.request('cost-a')]));
    expect(units.unreported).toEqual([]);
  });

  test('record: the reservation alone is read before the transaction, then the charged budgets for the alert check', async () => {
    expect((await s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: 0.01, request_id: 'cost-r' } })).status).toBe(200);
    const reservationUnits = await transactUnits(s, [keys.request('cost-r')]);
    const { result, units } = await meter.measure(() => s.call('POST', '/spend/record', { token: secret, body: { request_id: 'cost-r', cost: 0.005 } }));
    expect(result.status).toBe(200);
    expect(result.body).toMatchObject({ request_id: 'cost-r', charged: 0.005, duplicate: false });
    expect(units.calls).toEqual(['GetItem', 'TransactWriteItems', 'BatchGetItem']);
    // 1 for the reservation, 4 for the alert check
    expect(units.read).toBe(5);
    // the 4 budgets and the request's item replaced by its record (billed by the larger of the two): the floor
    const recordUnits = await transactUnits(s, [keys.request('cost-r')]);
    expect(units.tableWrite).toBe((await transactUnits(s, budgets)) + Math.max(reservationUnits, recordUnits));
    // a replay answers from the record, and charges nothing
    const replay = await meter.measure(() => s.call('POST', '/spend/record', { token: secret, body: { request_id: 'cost-r', cost: 0.005 } }));
    expect(replay.result.body).toMatchObject({ duplicate: true });
    expect(replay.units.write).toBe(0);
  });
});

test('the reset: one conditional UpdateItem per due budget, 1 write unit per KB of it (not 2: no transaction)', async () => {
  let now = new Date('2027-05-10T12:00:00.000Z');
  const s = await testStack({ clock: () => now });
  const meter = installMeter(s.deps.table.doc);
  const due: { PK: string; SK: string }[] = [];
  for (let i = 0; i < 3; i++) due.push(...(await teamKey(s)).budgets);
  now = new Date('2027-06-02T00:00:00.000Z'); // past every 1d and 30d reset
  const { result, units } = await meter.measure(() => s.deps.budgetReset.run());
  const resetCount = Object.values(result.reset).reduce((a, b) => a + b, 0);
  // per team key: the key (1d), its team (30d); the members and users have no period
  expect(result.reset).toMatchObject({ key: 3, team: 3 });
  expect(units.calls.filter((c) => c !== 'Query')).toEqual(Array(resetCount).fill('UpdateItem'));
  // an update is billed on the larger of the item before and after: after (a reset adds last_period_spend, last_reset_at)
  const resetItems = (await Promise.all(due.map((k) => s.deps.table.get<Record<string, unknown>>(k)))).filter((i) => i!.last_reset_at === now.toISOString());
  expect(resetItems).toHaveLength(resetCount);
  expect(units.tableWrite).toBe(resetItems.reduce((sum, item) => sum + writeUnits(itemSize(item!)), 0));
  // the entry in the reset index moved to the next reset time
  const key = (await s.deps.table.query<{ PK: string; SK: string; budget_reset_at: string; GSI4SK: string }>({ index: 'GSI4', pk: indexKeys.budgetReset('', '', '').GSI4PK })).items.find((i) => i.SK === 'KEY')!;
  expect(key.budget_reset_at).toBe('2027-06-03T00:00:00.000Z');
  expect(key.GSI4SK).toBe(indexKeys.budgetReset(key.budget_reset_at, key.PK, key.SK).GSI4SK);
  // run again: nothing due, nothing written
  const again = await meter.measure(() => s.deps.budgetReset.run());
  expect(again.units.write).toBe(0);
});

test("an old secret within its regenerate grace period lists the new key's models, as it authenticates and authorizes", async () => {
  const s = await testStack();
  await seedLocalModels(s.deps.models, []);
  const user = await s.call('POST', '/user/new', { body: { user_email: 'graced@example.com', models: [LOCAL_ECHO.model_name] } });
  const old = user.body.key as string;
  const regen = await s.call('POST', '/key/regenerate', { body: { key: old, grace_period: '1h' } });
  expect(regen.status).toBe(200);
  expect((await s.call('GET', '/user/info', { token: old })).status).toBe(200);
  const models = await s.call('GET', '/v1/models', { token: old });
  expect(models.status).toBe(200);
  expect(models.body.data.map((m: { id: string }) => m.id)).toEqual([LOCAL_ECHO.model_name]);
  expect((await s.call('GET', '/v1/models', { token: regen.body.key })).body).toEqual(models.body);
  expect(await s.deps.table.get(keys.key(regen.body.token))).toBeDefined();
});
