/**
 * onramp driven the way LiteLLM's management clients drive a LiteLLM proxy (its
 * Python client and CLI, declarative tools, its UI): request bodies with `null`
 * for every unset field, the v2 and list routes they call first, keys named by
 * alias, a repeated member_add treated as done, onboarding with the `key` claim of
 * the get_token JWT, and the session cookie read as a JWT. Written from LiteLLM's
 * documented request and response shapes; every case reads the data back.
 */
import { randomUUID } from 'node:crypto';
import { decodeJwt } from 'jose';
import { expectError, MASTER_KEY, testStack, type Reply, type TestStack } from '../support/stack';

const uid = () => randomUUID().slice(0, 8);
const PASSWORD = 'correct horse battery staple';

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const newTeam = async (body: Record<string, unknown> = {}) =>
  ok(await s.call('POST', '/team/new', { body: { team_alias: `lc-${uid()}`, ...body } }), 'team/new') as Record<string, any>;
const newUser = async (body: Record<string, unknown> = {}) =>
  ok(await s.call('POST', '/user/new', { body: { user_email: `lc-${uid()}@example.com`, user_role: 'internal_user', auto_create_key: false, ...body } }), 'user/new') as Record<string, any>;
const newKey = async (body: Record<string, unknown> = {}) => ok(await s.call('POST', '/key/generate', { body }), 'key/generate') as Record<string, any>;
const keyInfo = (ref: string) => s.call('GET', `/key/info?key=${encodeURIComponent(ref)}`);

describe('null means "not given" on optional fields', () => {
  test('a JSON key named __proto__ is an unknown field like any other: a 4xx, never a 500', async () => {
    // JSON.parse makes `__proto__` an own key, as a client's JSON body does (an object literal would not).
    const body = JSON.parse('{"__proto__": {"is_accepted": null}, "invitation_id": "no-such-invitation", "is_accepted": true}');
    const r = await s.call('POST', '/invitation/update', { body });
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
    expectError(r, r.status);
  });

  test('/key/delete with {"keys": [...], "key_aliases": null} (what LiteLLM\'s client sends) deletes the key', async () => {
    const k = await newKey({ key_alias: `del-${uid()}` });
    const r = await s.call('POST', '/key/delete', { body: { keys: [k.key], key_aliases: null } });
    expect(ok(r, 'key/delete')).toEqual({ deleted_keys: [k.token] });
    expectError(await keyInfo(k.token), 404, 'not_found_error');
  });

  test('/key/delete with {"keys": null, "key_aliases": [...]} deletes by alias', async () => {
    const alias = `del-${uid()}`;
    const k = await newKey({ key_alias: alias });
    expect(ok(await s.call('POST', '/key/delete', { body: { keys: null, key_aliases: [alias] } }), 'key/delete')).toEqual({ deleted_keys: [k.token] });
    expectError(await keyInfo(k.token), 404, 'not_found_error');
  });

  test('/key/delete with both null is still refused, and deletes nothing', async () => {
    const k = await newKey();
    const err = expectError(await s.call('POST', '/key/delete', { body: { keys: null, key_aliases: null } }), 400, 'bad_request_error');
    expect(err.message).toMatch(/give keys or key_aliases/);
    expect((await keyInfo(k.token)).status).toBe(200);
  });

  test('/key/generate with team_id, models, metadata, user_id and key_alias all null makes a plain personal key', async () => {
    const r = await s.call('POST', '/key/generate', {
      body: { team_id: null, user_id: null, models: null, metadata: null, key_alias: null, duration: null, max_budget: null, budget_duration: null, tpm_limit: null, rpm_limit: null, blocked: null, key: null },
    });
    const k = ok(r, 'key/generate');
    expect(k).toMatchObject({ team_id: null, models: [], metadata: {}, key_alias: null, expires: null, max_budget: null, blocked: false });
    expect((await keyInfo(k.token)).body.info).toMatchObject({ models: [], metadata: {} });
  });

  test('/team/new with models, metadata, team_member_permissions, members_with_roles null gets the defaults', async () => {
    const r = await s.call('POST', '/team/new', {
      body: { team_alias: `lc-${uid()}`, team_id: null, models: null, metadata: null, team_member_permissions: null, members_with_roles: null, max_budget: null, blocked: null },
    });
    const team = ok(r, 'team/new');
    expect(team).toMatchObject({ models: [], metadata: {}, team_member_permissions: ['/key/info', '/key/health'], blocked: false, max_budget: null });
    expect(typeof team.team_id).toBe('string');
  });

  test('/team/update with null on fields it does not change leaves them as they were', async () => {
    const team = await newTeam({ models: ['gpt-4o'], metadata: { cost_center: 'r&d' }, team_member_permissions: ['/key/generate'] });
    const r = await s.call('POST', '/team/update', {
      body: { team_id: team.team_id, models: null, metadata: null, team_member_permissions: null, blocked: null, max_budget: 50 },
    });
    expect(ok(r, 'team/update').data).toMatchObject({ team_alias: team.team_alias, models: ['gpt-4o'], metadata: { cost_center: 'r&d' }, team_member_permissions: ['/key/generate'], max_budget: 50 });
  });

  test('/user/new with teams, models, metadata, user_role null (a full LiteLLM NewUserRequest) creates the user with defaults', async () => {
    const email = `lc-${uid()}@example.com`;
    const r = await s.call('POST', '/user/new', {
      body: { user_email: email, user_id: null, user_alias: null, teams: null, models: null, metadata: null, user_role: null, max_budget: null, budget_duration: null, key_alias: null, duration: null, send_invite_email: null, auto_create_key: null, password: null },
    });
    const user = ok(r, 'user/new');
    expect(user).toMatchObject({ user_email: email, user_role: 'internal_user', metadata: {} });
    expect(user.key).toMatch(/^sk-/);
  });

  test('/user/update with user_email, models, user_role, metadata null changes only what is given', async () => {
    const u = await newUser({ models: ['gpt-4o'], metadata: { team: 'a' } });
    const r = await s.call('POST', '/user/update', {
      body: { user_id: u.user_id, user_email: null, user_role: null, models: null, metadata: null, password: null, user_alias: 'Ada' },
    });
    expect(ok(r, 'user/update').data).toMatchObject({ user_email: u.user_email, user_role: 'internal_user', models: ['gpt-4o'], metadata: { team: 'a' }, user_alias: 'Ada' });
  });

  test('/team/member_add with member {user_id, user_email: null, role: null} adds a plain member', async () => {
    const team = await newTeam();
    const u = await newUser();
    const r = await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_id: u.user_id, user_email: null, role: null }, max_budget_in_team: null } });
    ok(r, 'member_add');
    const info = ok(await s.call('GET', `/team/info?team_id=${team.team_id}`), 'team/info');
    expect(info.team_info.members_with_roles).toEqual([expect.objectContaining({ user_id: u.user_id, role: 'user' })]);
  });

  test('PATCH /update/internal_user_settings with teams and models null keeps both', async () => {
    const team = await newTeam();
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [team.team_id], models: ['no-default-models'] } }), 'settings');
    const r = await s.call('PATCH', '/update/internal_user_settings', { body: { teams: null, models: null, user_role: null, max_budget: 7 } });
    expect(ok(r, 'settings').settings).toMatchObject({ models: ['no-default-models'], max_budget: 7, teams: [expect.objectContaining({ team_id: team.team_id })] });
    ok(await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [], models: [], max_budget: null } }), 'settings reset');
  });

  test('null where the field gives null a meaning still means it: max_budget null lifts a key budget', async () => {
    const k = await newKey({ max_budget: 5 });
    ok(await s.call('POST', '/key/update', { body: { key: k.key, max_budget: null } }), 'key/update');
    expect((await keyInfo(k.token)).body.info.max_budget).toBeNull();
  });

  test('null on a required field is still refused, naming it', async () => {
    const err = expectError(await s.call('POST', '/team/update', { body: { team_id: null, max_budget: 1 } }), 400, 'bad_request_error');
    expect(err.param).toBe('team_id');
  });
});

describe('/team/member_add as clients use it', () => {
  test('the success answer lists the added users (updated_users) with the team among their teams', async () => {
    const team = await newTeam();
    const u = await newUser();
    const email = `lc-new-${uid()}@example.com`;
    const r = ok(await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: [{ user_id: u.user_id, role: 'user' }, { user_email: email, role: 'admin' }] } }), 'member_add');
    expect(r.team_id).toBe(team.team_id);
    expect(r.updated_users.map((x: any) => x.user_email).sort()).toEqual([u.user_email, email].sort());
    for (const x of r.updated_users) {
      expect(x.teams).toContain(team.team_id);
      expect(x).not.toHaveProperty('password_hash');
    }
    expect(r.updated_team_memberships.map((m: any) => m.user_id).sort()).toEqual(r.updated_users.map((x: any) => x.user_id).sort());
  });

  test('adding someone already in the team again → 400 team_member_already_in_team, and the membership is unchanged', async () => {
    const team = await newTeam();
    const u = await newUser();
    ok(await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_id: u.user_id, role: 'admin' } } }), 'first add');
    const again = await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_id: u.user_id, role: 'user' } } });
    const err = expectError(again, 400, 'team_member_already_in_team');
    expect(err.message).toMatch(/already in team/);
    expect(err.message).toContain(u.user_id);
    const info = ok(await s.call('GET', `/team/info?team_id=${team.team_id}`), 'team/info');
    expect(info.team_info.members_with_roles).toEqual([expect.objectContaining({ user_id: u.user_id, role: 'admin' })]);
  });
});

describe('/key/update names the key by key_alias alone', () => {
  test('{"key_alias": ..., fields} updates that key and keeps its alias', async () => {
    const alias = `upd-${uid()}`;
    const k = await newKey({ key_alias: alias, max_budget: 5 });
    const r = ok(await s.call('POST', '/key/update', { body: { key_alias: alias, max_budget: 9, metadata: { owner: 'ops' } } }), 'key/update');
    expect(r).toMatchObject({ token: k.token, key_alias: alias, max_budget: 9, metadata: { owner: 'ops' } });
    expect((await keyInfo(k.token)).body.info).toMatchObject({ key_alias: alias, max_budget: 9 });
  });

  test('with key too, key_alias still renames the key', async () => {
    const k = await newKey({ key_alias: `old-${uid()}` });
    const renamed = `new-${uid()}`;
    ok(await s.call('POST', '/key/update', { body: { key: k.token, key_alias: renamed } }), 'key/update');
    expect((await keyInfo(k.token)).body.info.key_alias).toBe(renamed);
  });

  test('an alias that names no key → 404 naming key_alias; neither key nor key_alias → 400', async () => {
    const err = expectError(await s.call('POST', '/key/update', { body: { key_alias: `ghost-${uid()}`, max_budget: 1 } }), 404, 'not_found_error');
    expect(err.param).toBe('key_alias');
    expect(expectError(await s.call('POST', '/key/update', { body: { key: null, key_alias: null, max_budget: 1 } }), 400, 'bad_request_error').param).toBe('key');
  });

  test("a member naming another member's key by alias is refused like by key", async () => {
    const team = await newTeam({ team_member_permissions: ['/key/generate', '/key/update'] });
    const a = await s.userWithSession('internal_user');
    const b = await s.userWithSession('internal_user');
    for (const u of [a, b]) ok(await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_id: u.userId } } }), 'member_add');
    const alias = `b-${uid()}`;
    const k = ok(await s.call('POST', '/key/generate', { token: b.token, body: { team_id: team.team_id, key_alias: alias } }), 'b key');
    expectError(await s.call('POST', '/key/update', { token: a.token, body: { key_alias: alias, metadata: { taken: true } } }), 403, 'auth_error');
    expect((await keyInfo(k.token)).body.info.metadata).toEqual({});
  });
});

describe('routes LiteLLM clients call first', () => {
  test('GET /v2/team/list pages as LiteLLM: {teams, total, page, page_size, total_pages}, following page after page', async () => {
    const tag = `v2-${uid()}`;
    const made: Record<string, any>[] = [];
    for (let i = 0; i < 3; i++) made.push(await newTeam({ team_alias: `${tag}-${i}` }));
    const q = (extra: string) => s.call('GET', `/v2/team/list?team_alias=${tag.toUpperCase()}${extra}`);
    const first = ok(await q('&page_size=2'), 'page 1');
    expect(first).toMatchObject({ total: 3, page: 1, page_size: 2, total_pages: 2 });
    const second = ok(await q('&page_size=2&page=2'), 'page 2');
    expect(second).toMatchObject({ total: 3, page: 2, total_pages: 2 });
    const seen = [...first.teams, ...second.teams].map((t: any) => t.team_id);
    expect(seen.sort()).toEqual(made.map((t) => t.team_id).sort());
    // Newest first by default; sort_by/sort_order as asked.
    expect(first.teams[0].team_id).toBe(made[2]!.team_id);
    const byAlias = ok(await q('&page_size=3&sort_by=team_alias&sort_order=asc'), 'sorted');
    expect(byAlias.teams.map((t: any) => t.team_alias)).toEqual([`${tag}-0`, `${tag}-1`, `${tag}-2`]);
    expect(byAlias.teams[0]).toHaveProperty('members_with_roles');
    expect(ok(await s.call('GET', `/v2/team/list?team_id=${made[1]!.team_id}`), 'by id').teams.map((t: any) => t.team_id)).toEqual([made[1]!.team_id]);
  });

  test('GET /v2/team/list for a member shows only their teams; asking for another user is refused', async () => {
    const mine = await newTeam();
    await newTeam();
    const u = await s.userWithSession('internal_user');
    ok(await s.call('POST', '/team/member_add', { body: { team_id: mine.team_id, member: { user_id: u.userId } } }), 'member_add');
    const r = ok(await s.call('GET', '/v2/team/list', { token: u.token }), 'own teams');
    expect(r).toMatchObject({ total: 1, page: 1, page_size: 10, total_pages: 1 });
    expect(r.teams.map((t: any) => t.team_id)).toEqual([mine.team_id]);
    const other = await s.userWithSession('internal_user');
    expectError(await s.call('GET', `/v2/team/list?user_id=${other.userId}`, { token: u.token }), 403, 'auth_error');
    expectError(await s.call('GET', '/v2/team/list?page_size=101'), 400, 'bad_request_error');
  });

  test('GET /v2/user/info answers the user record alone, teams as ids; yours by default', async () => {
    const team = await newTeam();
    const u = await s.userWithSession('internal_user', { max_budget: 12 });
    ok(await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_id: u.userId } } }), 'member_add');
    const own = ok(await s.call('GET', '/v2/user/info', { token: u.token }), 'own');
    expect(own).toMatchObject({ user_id: u.userId, user_email: u.email, user_role: 'internal_user', max_budget: 12, spend: 0, teams: [team.team_id] });
    expect(own).not.toHaveProperty('keys');
    expect(own).not.toHaveProperty('password_hash');
    expect(ok(await s.call('GET', `/v2/user/info?user_id=${u.userId}`), 'as admin').user_id).toBe(u.userId);
    expect(ok(await s.call('GET', '/v2/user/info'), 'master key')).toMatchObject({ user_id: 'default_user_id', user_role: 'proxy_admin' });
    const other = await s.userWithSession('internal_user');
    expectError(await s.call('GET', `/v2/user/info?user_id=${u.userId}`, { token: other.token }), 403, 'auth_error');
    expectError(await s.call('GET', '/v2/user/info?user_id=nobody-here'), 404, 'not_found_error');
  });

  test('GET /team/available answers a list (empty: onramp has no self-join teams)', async () => {
    const u = await s.userWithSession('internal_user');
    expect(ok(await s.call('GET', '/team/available', { token: u.token }), 'available')).toEqual([]);
    expectError(await s.call('GET', '/team/available', { token: null }), 401, 'auth_error');
  });

  test.each([
    ['/budget/list', []],
    ['/credentials', { credentials: [] }],
    ['/organization/list', []],
    ['/guardrails/list', { guardrails: [] }],
    ['/v2/guardrails/list', { guardrails: [] }],
    ['/policies/list', { policies: [], total_count: 0 }],
  ])('GET %s answers LiteLLM\'s shape, empty, to a signed-in caller', async (path, shape) => {
    const u = await s.userWithSession('internal_user');
    expect(ok(await s.call('GET', path), `${path} as admin`)).toEqual(shape);
    expect(ok(await s.call('GET', path, { token: u.token }), `${path} as user`)).toEqual(shape);
    expectError(await s.call('GET', path, { token: null }), 401, 'auth_error');
  });

  test('GET /health/readiness reports the server version as litellm_version (what `litellm-proxy version` reads)', async () => {
    const { version } = require('../../package.json') as { version: string };
    const r = ok(await s.call('GET', '/health/readiness', { token: null }), 'readiness');
    expect(r).toMatchObject({ status: 'healthy', db: 'connected', litellm_version: version, onramp_version: version });
    const doc = ok(await s.call('GET', '/openapi.json', { token: null }), 'openapi');
    expect(doc.info.version).toBe(version);
  });
});

describe('LiteLLM fields onramp does not enforce are refused, never stored and ignored', () => {
  const countKeys = async () => ok(await s.call('GET', '/key/list?size=100'), 'key/list').total_count as number;

  test.each([
    ['aliases', { 'gpt-4': 'gpt-4o' }],
    ['config', { temperature: 0 }],
    ['permissions', { get_spend_routes: true }],
    ['max_parallel_requests', 2],
    ['model_max_budget', { 'gpt-4o': { budget_limit: 1 } }],
    ['guardrails', ['pii']],
    ['tags', ['prod']],
    ['spend', 3],
  ])('/key/generate with %s → 400 naming it, and no key is made', async (field, value) => {
    const before = await countKeys();
    const err = expectError(await s.call('POST', '/key/generate', { body: { key_alias: `x-${uid()}`, [field]: value } }), 400, 'bad_request_error');
    expect(err.param).toBe(field);
    expect(err.message).toContain(field);
    expect(await countKeys()).toBe(before);
  });

  test("LiteLLM client defaults ({} / [] / null / 0) ask for nothing and pass, like the Python client's generate()", async () => {
    const k = ok(await s.call('POST', '/key/generate', { body: { api_key: 'ignored', aliases: {}, config: {}, permissions: null, guardrails: [], spend: 0, budget_id: null } }), 'generate');
    expect(k.key).toMatch(/^sk-/);
  });

  test('/key/update, /key/regenerate, /team/new, /team/update, /user/new, /user/update refuse theirs and change nothing', async () => {
    const team = await newTeam({ models: ['gpt-4o'] });
    const k = await newKey({ metadata: { a: 1 } });
    const u = await newUser();
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['/key/update', { key: k.key, metadata: { a: 2 }, aliases: { x: 'y' } }, 'aliases'],
      ['/key/regenerate', { key: k.key, enforced_params: ['user'] }, 'enforced_params'],
      ['/key/regenerate', { key: k.key, metadata: { a: 3 } }, 'metadata'],
      ['/team/new', { team_alias: `lc-${uid()}`, model_aliases: { a: 'b' } }, 'model_aliases'],
      ['/team/update', { team_id: team.team_id, models: ['gpt-4o-mini'], organization_id: 'org-1' }, 'organization_id'],
      ['/user/new', { user_email: `lc-${uid()}@example.com`, config: { a: 1 } }, 'config'],
      ['/user/update', { user_id: u.user_id, user_alias: 'x', model_rpm_limit: { 'gpt-4o': 1 } }, 'model_rpm_limit'],
    ];
    for (const [path, body, field] of cases) {
      const err = expectError(await s.call('POST', path, { body }), 400, 'bad_request_error');
      expect({ path, param: err.param }).toEqual({ path, param: field });
    }
    expect((await keyInfo(k.token)).body.info.metadata).toEqual({ a: 1 });
    expect(ok(await s.call('GET', `/team/info?team_id=${team.team_id}`), 'team').team_info.models).toEqual(['gpt-4o']);
    expect(ok(await s.call('GET', `/user/info?user_id=${u.user_id}`), 'user').user_info.user_alias).toBeNull();
  });
});

describe('allowed_routes on a key', () => {
  test('a key limited to routes calls those and is refused (403) everywhere else', async () => {
    const u = await s.userWithSession('internal_user');
    const k = ok(await s.call('POST', '/key/generate', { token: u.token, body: { allowed_routes: ['/key/info', '/user'] } }), 'generate');
    expect(k.allowed_routes).toEqual(['/key/info', '/user']);
    expect((await s.call('GET', '/key/info', { token: k.key })).status).toBe(200);
    expect(ok(await s.call('GET', '/user/info', { token: k.key }), 'below /user').user_id).toBe(u.userId);
    const err = expectError(await s.call('GET', '/key/list', { token: k.key }), 403, 'auth_error');
    expect(err.message).toContain('Tried to call route: /key/list');
    expectError(await s.call('POST', '/key/generate', { token: k.key, body: {} }), 403, 'auth_error');
    expectError(await s.call('GET', '/users/anything', { token: k.key }), 403, 'auth_error');
    // The same user's unrestricted session still works.
    expect((await s.call('GET', '/key/list', { token: u.token })).status).toBe(200);
  });

  test('a trailing * allows every route with that prefix; [] lifts the restriction; it survives regenerate', async () => {
    const k = await newKey({ allowed_routes: ['/key/*'] });
    const u = await s.userWithSession('internal_user');
    const owned = ok(await s.call('POST', '/key/generate', { body: { user_id: u.userId, allowed_routes: ['/key/*'] } }), 'owned');
    expect((await s.call('GET', '/key/list', { token: owned.key })).status).toBe(200);
    expectError(await s.call('GET', '/team/list', { token: owned.key }), 403, 'auth_error');
    const regenerated = ok(await s.call('POST', '/key/regenerate', { body: { key: owned.key } }), 'regenerate');
    expect(regenerated.allowed_routes).toEqual(['/key/*']);
    expectError(await s.call('GET', '/team/list', { token: regenerated.key }), 403, 'auth_error');
    ok(await s.call('POST', '/key/update', { body: { key: regenerated.token, allowed_routes: [] } }), 'lift');
    expect((await s.call('GET', '/team/list', { token: regenerated.key })).status).toBe(200);
    expect((await keyInfo(k.token)).body.info.allowed_routes).toEqual(['/key/*']);
  });

  test('LiteLLM route group names are refused with a 400 naming allowed_routes', async () => {
    const err = expectError(await s.call('POST', '/key/generate', { body: { allowed_routes: ['llm_api_routes'] } }), 400, 'bad_request_error');
    expect(err.param).toBe('allowed_routes.0');
    expect(err.message).toMatch(/route paths/);
  });
});

describe("onboarding and sessions in LiteLLM's shape", () => {
  async function invited() {
    const u = await newUser();
    const inv = ok(await s.call('POST', '/invitation/new', { body: { user_id: u.user_id, send_email: false } }), 'invitation/new');
    return { user: u, link: inv.id as string };
  }
  const getToken = (link: string) => s.call('GET', `/onboarding/get_token?invite_link=${encodeURIComponent(link)}`, { token: null });
  /** What LiteLLM's UI does: decode get_token's JWT, send its `key` as Bearer with {invitation_link, user_id, password}. */
  const claimWithKey = (key: string, link: string, userId: string, password = PASSWORD) =>
    s.call('POST', '/onboarding/claim_token', { token: key, body: { invitation_link: link, user_id: userId, password } });
  const cookieOf = (r: Reply) => /(?:^|,\s*)token=([^;]+)/.exec(r.headers.get('set-cookie') ?? '')?.[1];

  test('the get_token JWT carries user_id, user_email, user_role and a key; claim_token accepts the key as Bearer', async () => {
    const { user, link } = await invited();
    const t = ok(await getToken(link), 'get_token');
    const claims = decodeJwt(t.token);
    expect(claims).toMatchObject({ user_id: user.user_id, user_email: user.user_email, user_role: 'internal_user' });
    expect(typeof claims.key).toBe('string');
    const r = await claimWithKey(claims.key as string, link, user.user_id);
    expect(ok(r, 'claim_token')).toMatchObject({ user_id: user.user_id, user_email: user.user_email });
    expect(ok(await s.call('GET', `/invitation/info?invitation_id=${link}`), 'invitation').is_accepted).toBe(true);
    // The password now signs in.
    const login = await s.call('POST', '/v2/login', { token: null, body: { username: user.user_email, password: PASSWORD } });
    expect(login.status).toBe(200);
  });

  test('the body token still works, and a used link is refused whichever way the token comes', async () => {
    const { user, link } = await invited();
    const t = ok(await getToken(link), 'get_token');
    ok(await s.call('POST', '/onboarding/claim_token', { token: null, body: { invitation_link: link, user_id: user.user_id, password: PASSWORD, token: t.token } }), 'claim with body token');
    const again = await claimWithKey(decodeJwt(t.token).key as string, link, user.user_id, 'another password 123');
    expectError(again, 401, 'auth_error');
    expectError(await getToken(link), 401, 'auth_error');
  });

  test("a key from another invitation, a tampered key or a session as Bearer is refused; the invitation stays open", async () => {
    const a = await invited();
    const b = await invited();
    const keyB = decodeJwt(ok(await getToken(b.link), 'get_token b').token).key as string;
    expectError(await claimWithKey(keyB, a.link, a.user.user_id), 401, 'auth_error');
    const keyA = decodeJwt(ok(await getToken(a.link), 'get_token a').token).key as string;
    expectError(await claimWithKey(`${keyA}x`, a.link, a.user.user_id), 401, 'auth_error');
    const { token: session } = await s.deps.sessions.issue(a.user.user_id);
    expectError(await claimWithKey(session, a.link, a.user.user_id), 401, 'auth_error');
    expectError(await claimWithKey('sk-not-an-onboarding-key-0000000000', a.link, a.user.user_id), 401, 'auth_error');
    expectError(await claimWithKey(MASTER_KEY, a.link, a.user.user_id), 401, 'auth_error');
    expect(ok(await s.call('GET', `/invitation/info?invitation_id=${a.link}`), 'invitation').is_accepted).toBe(false);
    // The onboarding key is no session either.
    expectError(await s.call('GET', '/user/info', { token: keyA }), 401, 'auth_error');
  });

  test('the session cookie is a JWT with user_id, user_email, user_role and a key that works as Bearer', async () => {
    const { user, link } = await invited();
    const t = ok(await getToken(link), 'get_token');
    const claimed = await claimWithKey(decodeJwt(t.token).key as string, link, user.user_id);
    const fromClaim = cookieOf(claimed);
    expect(fromClaim).toBeDefined();
    const login = await s.call('POST', '/login', { token: null, form: { username: user.user_email, password: PASSWORD } });
    expect(login.status).toBe(303);
    for (const cookie of [fromClaim!, cookieOf(login)!]) {
      const claims = decodeJwt(cookie);
      expect(claims).toMatchObject({ user_id: user.user_id, user_email: user.user_email, user_role: 'internal_user', sub: user.user_id });
      const me = ok(await s.call('GET', '/user/info', { token: claims.key as string }), 'key as Bearer');
      expect(me.user_id).toBe(user.user_id);
      const k = ok(await s.call('POST', '/key/generate', { token: claims.key as string, body: {} }), 'write with key as Bearer');
      expect(k.user_id).toBe(user.user_id);
    }
  });

  test("the master key's session says proxy_admin", async () => {
    const r = await s.call('POST', '/v2/login', { token: null, body: { username: 'admin', password: MASTER_KEY } });
    const claims = decodeJwt(ok(r, 'admin login').token);
    expect(claims).toMatchObject({ user_id: 'default_user_id', user_role: 'proxy_admin', user_email: null });
    expect(ok(await s.call('GET', '/user/list', { token: claims.key as string }), 'admin key as Bearer').users).toBeInstanceOf(Array);
  });
});
