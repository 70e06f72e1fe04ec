/**
 * Regression tests for the classes of fault LiteLLM has had in its management API
 * (LITELLM-CONTRACT.md, "known faults onramp must not have"): keys created for or
 * moved to someone else, models and budgets beyond the team's, members acting on
 * each other's keys, team admins raising budgets, default-team join errors
 * swallowed, and the no-default-models key path. Every refusal is checked to have
 * written nothing by reading the data back.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type Reply, type TestStack } from '../support/stack';

const uid = () => randomUUID().slice(0, 8);

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

async function newTeam(body: Record<string, unknown> = {}): Promise<string> {
  return ok(await s.call('POST', '/team/new', { body: { team_alias: `adv-${uid()}`, ...body } }), 'team/new').team_id;
}
async function addMember(teamId: string, userId: string, role: 'user' | 'admin' = 'user', extra: Record<string, unknown> = {}) {
  ok(await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: userId, role }, ...extra } }), 'member_add');
}
async function keyFor(userId: string, teamId: string | null, extra: Record<string, unknown> = {}) {
  const b = ok(await s.call('POST', '/key/generate', { body: { user_id: userId, ...(teamId ? { team_id: teamId } : {}), ...extra } }), 'key/generate');
  return { secret: b.key as string, token: b.token as string };
}
const keyInfo = async (token: string) => ok(await s.call('GET', `/key/info?key=${token}`), 'key/info').info;
const allKeys = async () => ok(await s.call('GET', '/key/list?size=100'), 'key/list').total_count as number;

describe('keys for, or moved to, another user', () => {
  test('an internal user creating a key for another user → 403 "User can only create keys for themselves"', async () => {
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    const before = await allKeys();
    const r = await s.call('POST', '/key/generate', { token: a.token, body: { user_id: b.userId } });
    expect(expectError(r, 403, 'auth_error').message).toBe('User can only create keys for themselves.');
    expect(await allKeys()).toBe(before);
    // b's keys are unchanged (just the personal key from creation).
    const bKeys = ok(await s.call('GET', `/key/list?user_id=${b.userId}`), 'list').keys;
    expect(bKeys).toHaveLength(1);
  });

  test('…also inside a team both belong to, even with the /key/generate permission', async () => {
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    const team = await newTeam({ team_member_permissions: ['/key/generate'] });
    await addMember(team, a.userId);
    await addMember(team, b.userId);
    const before = await allKeys();
    const r = await s.call('POST', '/key/generate', { token: a.token, body: { user_id: b.userId, team_id: team } });
    expect(expectError(r, 403, 'auth_error').message).toBe('User can only create keys for themselves.');
    expect(await allKeys()).toBe(before);
  });

  test('an internal user cannot move their own key to another user or to a team via /key/update (403, nothing changed)', async () => {
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    const theirTeam = await newTeam({ team_member_permissions: ['/key/update', '/key/generate'] });
    await addMember(theirTeam, a.userId);
    const otherTeam = await newTeam();
    const own = await keyFor(a.userId, null, { metadata: { v: 1 } });
    const ownTeamKey = await keyFor(a.userId, theirTeam);
    const before = await keyInfo(own.token);
    const beforeTeamKey = await keyInfo(ownTeamKey.token);

    const attempts: Array<[{ secret: string }, Record<string, unknown>]> = [
      [own, { user_id: b.userId }],
      [own, { user_id: null }],
      [own, { team_id: theirTeam }],
      [own, { team_id: otherTeam }],
      [own, { user_id: b.userId, metadata: { v: 2 } }],
      [ownTeamKey, { team_id: null }],
      [ownTeamKey, { team_id: otherTeam }],
      [ownTeamKey, { user_id: b.userId }],
    ];
    for (const [k, change] of attempts) {
      const r = await s.call('POST', '/key/update', { token: a.token, body: { key: k.secret, ...change } });
      expect(expectError(r, 403, 'auth_error').message).toMatch(/another user or team/);
    }
    expect(await keyInfo(own.token)).toEqual(before);
    expect(await keyInfo(ownTeamKey.token)).toEqual(beforeTeamKey);
    // Nothing turned up in b's or the other team's key lists.
    expect(ok(await s.call('GET', `/key/list?user_id=${b.userId}`), 'list').total_count).toBe(1);
    expect(ok(await s.call('GET', `/key/list?team_id=${otherTeam}`), 'list').total_count).toBe(0);
  });

  test('a team admin cannot move a member key out of the team or to another user either', async () => {
    const admin = await s.userWithSession('internal_user');
    const m = await s.userWithSession('internal_user');
    const team = await newTeam();
    await addMember(team, admin.userId, 'admin');
    await addMember(team, m.userId);
    const k = await keyFor(m.userId, team);
    const before = await keyInfo(k.token);
    for (const change of [{ user_id: admin.userId }, { team_id: null }]) {
      expectError(await s.call('POST', '/key/update', { token: admin.token, body: { key: k.secret, ...change } }), 403, 'auth_error');
    }
    expect(await keyInfo(k.token)).toEqual(before);
  });
});

describe('models beyond the team', () => {
  let team: string;
  let member: { userId: string; token: string };
  beforeAll(async () => {
    member = await s.userWithSession('internal_user');
    team = await newTeam({ models: ['gpt-4o-mini'], team_member_permissions: ['/key/generate', '/key/update', '/key/regenerate'] });
    await addMember(team, member.userId);
  });

  test('/key/generate with a model the team lacks → 400, nothing written', async () => {
    const before = await allKeys();
    for (const token of [member.token, undefined]) {
      const r = await s.call('POST', '/key/generate', { token, body: { team_id: team, user_id: member.userId, models: ['gpt-4o-mini', 'gpt-4o'] } });
      const err = expectError(r, 400, 'bad_request_error');
      expect(err.message).toContain('gpt-4o not allowed');
      expect(err.param).toBe('models');
    }
    expect(await allKeys()).toBe(before);
    expect(ok(await s.call('GET', `/key/list?team_id=${team}`), 'list').total_count).toBe(0);
  });

  test('/key/update and /key/regenerate cannot widen a team key beyond the team (400, key unchanged)', async () => {
    const k = await keyFor(member.userId, team, { models: ['gpt-4o-mini'] });
    const before = await keyInfo(k.token);
    expectError(await s.call('POST', '/key/update', { token: member.token, body: { key: k.secret, models: ['o1'] } }), 400, 'bad_request_error');
    expectError(await s.call('POST', '/key/regenerate', { token: member.token, body: { key: k.secret, models: ['o1'] } }), 400, 'bad_request_error');
    expect(await keyInfo(k.token)).toEqual(before);
    // The old secret still works: the failed regenerate did not rotate it.
    expect((await s.call('GET', '/user/info', { token: k.secret })).body.user_id).toBe(member.userId);
  });

  test('a personal key is limited to the user’s own models', async () => {
    const u = await s.userWithSession('internal_user', { models: ['gpt-4o-mini'] });
    const before = await allKeys();
    expectError(await s.call('POST', '/key/generate', { token: u.token, body: { models: ['gpt-4o'] } }), 400, 'bad_request_error');
    expect(await allKeys()).toBe(before);
    expect((await s.call('POST', '/key/generate', { token: u.token, body: { models: ['gpt-4o-mini'] } })).status).toBe(200);
  });
});

describe("members and each other's keys", () => {
  test("a member with every key permission still cannot update/delete/regenerate/block/unblock/read another member's key (403)", async () => {
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    const team = await newTeam({
      team_member_permissions: ['/key/generate', '/key/update', '/key/delete', '/key/regenerate', '/key/block', '/key/unblock', '/key/info', '/key/list'],
    });
    await addMember(team, a.userId);
    await addMember(team, b.userId);
    const bk = await keyFor(b.userId, team, { key_alias: `b-${uid()}` });
    const before = await keyInfo(bk.token);
    const calls: Array<[string, string, unknown]> = [
      ['POST', '/key/update', { key: bk.secret, max_budget: 0 }],
      ['POST', '/key/delete', { keys: [bk.token] }],
      ['POST', '/key/delete', { key_aliases: [before.key_alias] }],
      ['POST', '/key/regenerate', { key: bk.secret }],
      ['POST', `/key/${bk.token}/regenerate`, undefined],
      ['POST', '/key/block', { key: bk.secret }],
      ['POST', '/key/unblock', { key: bk.secret }],
      ['GET', `/key/info?key=${bk.token}`, undefined],
    ];
    for (const [method, path, body] of calls) {
      const r = await s.call(method, path, { token: a.token, body });
      expectError(r, 403, 'auth_error');
    }
    expect(await keyInfo(bk.token)).toEqual(before);
    expect((await s.call('GET', '/user/info', { token: bk.secret })).body.user_id).toBe(b.userId);
    // A /key/list for b is refused too.
    expectError(await s.call('GET', `/key/list?user_id=${b.userId}`, { token: a.token }), 403, 'auth_error');
  });

  test('a delete naming an own key and someone else’s deletes neither', async () => {
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    const mine = await keyFor(a.userId, null);
    const theirs = await keyFor(b.userId, null);
    expectError(await s.call('POST', '/key/delete', { token: a.token, body: { keys: [mine.token, theirs.token] } }), 403, 'auth_error');
    expect((await s.call('GET', `/key/info?key=${mine.token}`)).status).toBe(200);
    expect((await s.call('GET', `/key/info?key=${theirs.token}`)).status).toBe(200);
  });
});

describe('budgets within the member’s and the team’s', () => {
  test('key max_budget above the member’s budget in the team → 400, nothing written', async () => {
    const m = await s.userWithSession('internal_user');
    const team = await newTeam({ max_budget: 100, team_member_budget: 10, team_member_permissions: ['/key/generate', '/key/update'] });
    await addMember(team, m.userId);
    const before = await allKeys();
    const r = await s.call('POST', '/key/generate', { token: m.token, body: { team_id: team, max_budget: 20 } });
    const err = expectError(r, 400, 'bad_request_error');
    expect(err.message).toMatch(/exceeds your budget in team/);
    expect(err.param).toBe('max_budget');
    expect(await allKeys()).toBe(before);
    // Within it is fine; raising it beyond through /key/update is not.
    const k = ok(await s.call('POST', '/key/generate', { token: m.token, body: { team_id: team, max_budget: 10 } }), 'generate');
    expectError(await s.call('POST', '/key/update', { token: m.token, body: { key: k.key, max_budget: 11 } }), 400, 'bad_request_error');
    expect((await keyInfo(k.token)).max_budget).toBe(10);
  });

  test('a member’s own max_budget_in_team overrides the team default, and the team budget caps it too', async () => {
    const m = await s.userWithSession('internal_user');
    const team = await newTeam({ max_budget: 50, team_member_budget: 10, team_member_permissions: ['/key/generate'] });
    await addMember(team, m.userId, 'user', { max_budget_in_team: 30 });
    expect((await s.call('POST', '/key/generate', { token: m.token, body: { team_id: team, max_budget: 25 } })).status).toBe(200);
    expectError(await s.call('POST', '/key/generate', { token: m.token, body: { team_id: team, max_budget: 31 } }), 400, 'bad_request_error');
    // Even the master key cannot create a key above the team's budget.
    expect(expectError(await s.call('POST', '/key/generate', { body: { team_id: team, max_budget: 60 } }), 400).message).toMatch(/team .* budget/);
  });

  test('a team admin cannot set member budgets (403, membership unchanged)', async () => {
    const admin = await s.userWithSession('internal_user');
    const m = await s.userWithSession('internal_user');
    const newcomer = await s.userWithSession('internal_user');
    const team = await newTeam({ team_member_budget: 5 });
    await addMember(team, admin.userId, 'admin');
    await addMember(team, m.userId);
    const before = ok(await s.call('GET', `/team/info?team_id=${team}`), 'info');

    const upd = await s.call('POST', '/team/member_update', { token: admin.token, body: { team_id: team, user_id: m.userId, max_budget_in_team: 1000 } });
    expect(expectError(upd, 403, 'auth_error').message).toMatch(/member budget/);
    const add = await s.call('POST', '/team/member_add', { token: admin.token, body: { team_id: team, member: { user_id: newcomer.userId }, max_budget_in_team: 1000 } });
    expect(expectError(add, 403, 'auth_error').message).toMatch(/member budget/);
    // Nor raise the team's own budgets.
    expectError(await s.call('POST', '/team/update', { token: admin.token, body: { team_id: team, team_member_budget: 1000 } }), 403, 'auth_error');

    expect(ok(await s.call('GET', `/team/info?team_id=${team}`), 'info')).toEqual(before);
    // A role change without a budget is within a team admin's powers.
    expect((await s.call('POST', '/team/member_update', { token: admin.token, body: { team_id: team, user_id: m.userId, role: 'user' } })).status).toBe(200);
  });

  test('users cannot raise their own budget or role', async () => {
    const u = await s.userWithSession('internal_user', { max_budget: 5 });
    expectError(await s.call('POST', '/user/update', { token: u.token, body: { user_id: u.userId, max_budget: 500 } }), 403, 'auth_error');
    expectError(await s.call('POST', '/user/update', { token: u.token, body: { user_id: u.userId, user_role: 'proxy_admin' } }), 403, 'auth_error');
    const info = ok(await s.call('GET', `/user/info?user_id=${u.userId}`), 'info').user_info;
    expect(info).toMatchObject({ max_budget: 5, user_role: 'internal_user' });
  });
});

describe('default-team join errors are reported', () => {
  afterAll(async () => {
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [], models: [] } }), 'reset settings');
  });

  test('deleting a team removes it from the default teams', async () => {
    const a = await newTeam();
    const b = await newTeam();
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [a, b] } }), 'settings');
    ok(await s.call('POST', '/team/delete', { body: { team_ids: [a] } }), 'team/delete');
    const settings = ok(await s.call('GET', '/get/internal_user_settings'), 'settings').values;
    expect(settings.teams.map((t: any) => t.team_id)).toEqual([b]);
    // Saving the deleted team as a default is refused (404), leaving the settings as they were.
    const resave = await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [a, b] } });
    expect(expectError(resave, 404, 'not_found_error').message).toContain(a);
    expect(ok(await s.call('GET', '/get/internal_user_settings'), 'settings').values).toEqual(settings);
  });

  test('a default team that vanished after the settings were saved: /user/new still creates the user and names the team in join_errors', async () => {
    const a = await newTeam();
    const b = await newTeam();
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [a, b] } }), 'settings');
    // A team gone behind the settings' back (a concurrent delete): the join must fail loudly.
    await s.deps.table.delete(keys.team(a));

    const email = `join-${uid()}@example.com`;
    const r = await s.call('POST', '/user/new', { body: { user_email: email } });
    expect(r.status).toBe(200);
    expect(r.body.join_errors).toHaveLength(1);
    expect(r.body.join_errors[0]).toMatchObject({ team_id: a, message: expect.stringContaining(a) });
    expect(r.body.warning).toContain(a);
    // The user exists, in the team that still exists, not in the vanished one.
    const info = ok(await s.call('GET', `/user/info?user_id=${r.body.user_id}`), 'info');
    expect(info.user_info.user_email).toBe(email);
    expect(info.user_info.teams).toEqual([b]);
    expect(info.teams.map((t: any) => t.team_id)).toEqual([b]);
  });

  test('a requested team that does not exist is reported the same way', async () => {
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [] } }), 'settings');
    const r = await s.call('POST', '/user/new', { body: { user_email: `join-${uid()}@example.com`, teams: ['no-such-team'] } });
    expect(r.status).toBe(200);
    expect(r.body.join_errors).toEqual([{ team_id: 'no-such-team', message: expect.stringContaining('no-such-team') }]);
    expect((await s.call('GET', `/user/info?user_id=${r.body.user_id}`)).status).toBe(200);
  });

  test('the default team’s models apply: a no-default-models user gets keys only inside it, within its models', async () => {
    const team = await newTeam({ models: ['claude-3-5-sonnet'], team_member_permissions: ['/key/generate'] });
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [team], models: ['no-default-models'] } }), 'settings');
    const u = await s.userWithSession('internal_user');
    expectError(await s.call('POST', '/key/generate', { token: u.token, body: { team_id: team, models: ['gpt-4o'] } }), 400, 'bad_request_error');
    const k = await s.call('POST', '/key/generate', { token: u.token, body: { team_id: team, models: ['claude-3-5-sonnet'] } });
    expect(k.status).toBe(200);
  });
});

describe('no-default-models', () => {
  test('a key without team_id → 400 telling the user to pass a team, param team_id', async () => {
    const team = await newTeam({ team_member_permissions: ['/key/generate'] });
    const u = await s.userWithSession('internal_user', { models: ['no-default-models'], teams: [team] });
    const before = await allKeys();
    for (const body of [{}, { team_id: null }, { models: ['gpt-4o'] }]) {
      const r = await s.call('POST', '/key/generate', { token: u.token, body });
      const err = expectError(r, 400, 'bad_request_error');
      expect(err.param).toBe('team_id');
      expect(err.message).toMatch(/No team selected/);
      expect(err.message).toMatch(/pass team_id/);
      expect(err.message).toContain(team);
    }
    expect(await allKeys()).toBe(before);
    // The master key creating a personal key for that user is refused the same way.
    expect(expectError(await s.call('POST', '/key/generate', { body: { user_id: u.userId } }), 400).param).toBe('team_id');
    // /user/new did not give them a personal key either.
    expect(ok(await s.call('GET', `/key/list?user_id=${u.userId}`), 'list').total_count).toBe(0);
  });

  test('with no team at all, the message says to ask an admin', async () => {
    const u = await s.userWithSession('internal_user', { models: ['no-default-models'] });
    const err = expectError(await s.call('POST', '/key/generate', { token: u.token, body: {} }), 400);
    expect(err.message).toMatch(/ask an admin to add you to a team/);
  });
});

describe('stored data is data, never query text', () => {
  test('aliases full of quote and operator characters are stored verbatim and match only themselves', async () => {
    const u = await s.userWithSession('internal_user');
    const alias = `x' OR '1'='1 -- ${uid()} #{team}`;
    const k = ok(await s.call('POST', '/key/generate', { token: u.token, body: { key_alias: alias } }), 'generate');
    expect(k.key_alias).toBe(alias);
    const found = ok(await s.call('GET', `/key/list?return_full_object=true&key_alias=${encodeURIComponent(alias)}`), 'list');
    expect(found.keys.map((x: any) => x.token)).toEqual([k.token]);
    const other = ok(await s.call('GET', `/key/list?key_alias=${encodeURIComponent("x' OR '1'='1")}`), 'list');
    expect(other.total_count).toBe(0);
  });
});
