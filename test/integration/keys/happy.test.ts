/** What a regenerated key keeps, read back through the API. */
import { keys as itemKeys } from '../../../shared/db/keys';
import { lifecycle } from '../../support/lifecycle';
import { expectError, testStack, type TestStack } from '../../support/stack';

let now = new Date('2027-01-31T15:00:00Z');
let s: TestStack;
beforeAll(async () => {
  s = await testStack({ clock: () => now });
});

const { uid, ok, newUser, newTeam, addMember, newKey, keyStatus } = lifecycle(() => s);

describe('/key/regenerate', () => {
  test('keeps key_alias, spend, created_at, owner, team and limits; the alias resolves to the new token', async () => {
    now = new Date('2027-03-01T10:00:00Z');
    const t = await newTeam({ models: ['gpt-4o'] });
    const u = await newUser();
    await addMember(t.team_id, u.user_id);
    const alias = `regen-${uid()}`;
    const k = await newKey(u.user_id, t.team_id, { key_alias: alias, models: ['gpt-4o'], max_budget: 7, metadata: { purpose: 'tests' } });
    await s.deps.table.update(itemKeys.key(k.token), { expression: 'SET spend = :s', values: { ':s': 1.25 } });
    const before = ok(await s.call('GET', `/key/info?key=${k.token}`), 'info').info;
    expect(before.spend).toBe(1.25);

    now = new Date('2027-03-02T10:00:00Z');
    const r = await s.call('POST', '/key/regenerate', { body: { key: k.secret } });
    expect(r.status).toBe(200);
    expect(r.body.key).toMatch(/^sk-/);
    expect(r.body.token).not.toBe(k.token);
    expect(r.body).toMatchObject({
      key_alias: alias,
      spend: 1.25,
      created_at: before.created_at,
      user_id: u.user_id,
      team_id: t.team_id,
      models: ['gpt-4o'],
      max_budget: 7,
      metadata: { purpose: 'tests' },
      key_name: `sk-...${r.body.key.slice(-4)}`,
      updated_at: '2027-03-02T10:00:00.000Z',
    });
    expect(await keyStatus(k.token)).toBe(404);
    const after = ok(await s.call('GET', `/key/info?key=${r.body.token}`), 'info').info;
    expect(after).toMatchObject({ key_alias: alias, spend: 1.25, created_at: before.created_at });

    // Lists show the new token only, under the same alias, in the team and for the user.
    expect(ok(await s.call('GET', `/key/list?key_alias=${alias}`), 'list').keys).toEqual([r.body.token]);
    expect(ok(await s.call('GET', `/key/list?team_id=${t.team_id}`), 'list').keys).toEqual([r.body.token]);
    expect(ok(await s.call('GET', `/key/list?user_id=${u.user_id}`), 'list').keys).toEqual([r.body.token]);
    // The alias is still taken.
    expectError(await s.call('POST', '/key/generate', { body: { user_id: u.user_id, key_alias: alias } }), 409);

    // Deleting by alias deletes the new key.
    const del = await s.call('POST', '/key/delete', { body: { key_aliases: [alias] } });
    expect(del.status).toBe(200);
    expect(del.body.deleted_keys).toEqual([r.body.token]);
    expect(await keyStatus(r.body.token)).toBe(404);
    expectError(await s.call('GET', '/user/info', { token: r.body.key }), 401);
    // And the alias is free.
    expect((await s.call('POST', '/key/generate', { body: { user_id: u.user_id, key_alias: alias } })).status).toBe(200);
  });

  test('the path form /key/{key}/regenerate, twice in a row, keeps the alias each time', async () => {
    const u = await newUser();
    const alias = `regen2-${uid()}`;
    const k = await newKey(u.user_id, null, { key_alias: alias });
    const r1 = ok(await s.call('POST', `/key/${k.token}/regenerate`), 'regen 1');
    const r2 = ok(await s.call('POST', `/key/${r1.key}/regenerate`), 'regen 2');
    expect(r2.key_alias).toBe(alias);
    expect(new Set([k.token, r1.token, r2.token]).size).toBe(3);
    expect(ok(await s.call('GET', `/key/list?key_alias=${alias}`), 'list').keys).toEqual([r2.token]);
    for (const old of [k.secret, r1.key]) expectError(await s.call('GET', '/user/info', { token: old }), 401);
    expect(ok(await s.call('GET', '/user/info', { token: r2.key }), 'me').user_id).toBe(u.user_id);
  });

  test('regenerate with a new duration and budget changes only those', async () => {
    now = new Date('2027-04-01T00:00:00Z');
    const u = await newUser();
    const k = await newKey(u.user_id, null, { key_alias: `regen3-${uid()}`, max_budget: 3, duration: '1d' });
    const r = ok(await s.call('POST', '/key/regenerate', { body: { key: k.token, max_budget: 4, duration: '30d' } }), 'regen');
    expect(r).toMatchObject({ max_budget: 4, expires: '2027-05-01T00:00:00.000Z' });
  });
});
