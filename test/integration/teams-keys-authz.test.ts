/**
 * Who may call which team, key and default-settings route: one table, every cell
 * visible. Rows are routes, columns are callers, in the order of `CALLERS`:
 *
 *   admin     the master key (proxy_admin)
 *   viewer    a proxy_admin_viewer
 *   internal  an internal_user in no team (owner of the "personal key" rows' key)
 *   iviewer   an internal_user_viewer in no team
 *   tadmin    an internal_user who is an admin of the team
 *   member    an internal_user who is a plain member (team_member_permissions left at
 *             the default ['/key/info', '/key/health']); owner of the team key rows' key
 *   other     a member of another team
 *   anon      no credentials
 *
 * Expected: 200, 401 (anonymous), 403 (forbidden, auth_error) or P (401
 * team_member_permission_error: a plain member lacking the permission on their own key).
 * Every cell builds its own fixture with the master key where the call could change
 * it, and a refused write must leave what it targeted exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type Reply, type TestStack } from '../support/stack';

const CALLERS = ['admin', 'viewer', 'internal', 'iviewer', 'tadmin', 'member', 'other', 'anon'] as const;
type Caller = (typeof CALLERS)[number];
type Expected = 200 | 401 | 403 | 'P';

/** A route under test: what it needs, how to call it, and what must not change when it is refused. */
type RouteSpec<F = any> = {
  fixture: () => Promise<F>;
  call: (f: F, token: string | null | undefined) => Promise<Reply>;
  /** Read back (as the master key) what the call targets; compared before/after a refusal. */
  state?: (f: F) => Promise<unknown>;
  /** Extra checks on a 200 for this caller. */
  onSuccess?: (f: F, reply: Reply, caller: Caller) => Promise<void>;
};

// prettier-ignore
const MATRIX: Array<[string, string]> = [
  //                                            admin viewer internal iviewer tadmin member other anon
  ['POST /team/new',                              '200   403    403      403     403    403    403   401'],
  ['GET /team/info',                              '200   200    403      403     200    200    403   401'],
  ['POST /team/update',                           '200   403    403      403     403    403    403   401'],
  ['POST /team/delete',                           '200   403    403      403     403    403    403   401'],
  ['GET /team/list',                              '200   200    200      200     200    200    200   401'],
  ['POST /team/member_add',                       '200   403    403      403     200    403    403   401'],
  ['POST /team/member_delete',                    '200   403    403      403     200    403    403   401'],
  ['POST /team/member_update',                    '200   403    403      403     200    403    403   401'],
  ['GET /team/permissions_list',                  '200   200    403      403     200    200    403   401'],
  ['POST /team/permissions_update',               '200   403    403      403     200    403    403   401'],
  ['POST /key/generate (team key)',               '200   403    403      403     200    P      403   401'],
  ['GET /key/info (team key)',                    '200   200    403      403     200    200    403   401'],
  ['GET /key/list',                               '200   200    200      200     200    200    200   401'],
  ['POST /key/update (team key)',                 '200   403    403      403     200    P      403   401'],
  ['POST /key/delete (team key)',                 '200   403    403      403     200    P      403   401'],
  ['POST /key/regenerate (team key)',             '200   403    403      403     200    P      403   401'],
  ['POST /key/{key}/regenerate (team key)',       '200   403    403      403     200    P      403   401'],
  ['POST /key/block (team key)',                  '200   403    403      403     200    P      403   401'],
  ['POST /key/unblock (team key)',                '200   403    403      403     200    P      403   401'],
  ['POST /key/generate (personal key)',           '200   403    200      403     200    200    200   401'],
  ['GET /key/info (personal key)',                '200   200    200      403     403    403    403   401'],
  ['POST /key/update (personal key)',             '200   403    200      403     403    403    403   401'],
  ['POST /key/delete (personal key)',             '200   403    200      403     403    403    403   401'],
  ['POST /key/regenerate (personal key)',         '200   403    200      403     403    403    403   401'],
  ['POST /key/block (personal key)',              '200   403    200      403     403    403    403   401'],
  ['POST /key/unblock (personal key)',            '200   403    200      403     403    403    403   401'],
  ['GET /get/internal_user_settings',             '200   200    403      403     403    403    403   401'],
  ['PATCH /update/internal_user_settings',        '200   403    403      403     403    403    403   401'],
];

const CELLS: Array<{ route: string; caller: Caller; expected: Expected }> = MATRIX.flatMap(([route, row]) => {
  const columns = row.trim().split(/\s+/);
  if (columns.length !== CALLERS.length) throw new Error(`row ${route} has ${columns.length} cells`);
  return columns.map((cell, i) => ({ route, caller: CALLERS[i]!, expected: (cell === 'P' ? 'P' : Number(cell)) as Expected }));
});

const uid = () => randomUUID().slice(0, 8);

let s: TestStack;
let T: string; // the team
let U: string; // another team
const who = {} as Record<Exclude<Caller, 'admin' | 'anon'>, { userId: string; email: string; token: string }>;
let bystander: { userId: string };

const tokenOf = (caller: Caller): string | null | undefined => (caller === 'admin' ? undefined : caller === 'anon' ? null : who[caller].token);
const userIdOf = (caller: Caller): string | null => (caller === 'admin' || caller === 'anon' ? null : who[caller].userId);

async function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`fixture ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A team like T: tadmin its admin, member and bystander plain members. */
async function freshTeam(): Promise<string> {
  const body = await ok(
    await s.call('POST', '/team/new', {
      body: {
        team_alias: `authz-${uid()}`,
        members_with_roles: [
          { user_id: who.tadmin.userId, role: 'admin' },
          { user_id: who.member.userId, role: 'user' },
          { user_id: bystander.userId, role: 'user' },
        ],
      },
    }),
    'team/new',
  );
  return body.team_id;
}

async function freshUser(): Promise<string> {
  return (await ok(await s.call('POST', '/user/new', { body: { user_email: `fx-${uid()}@example.com`, auto_create_key: false } }), 'user/new')).user_id;
}

/** A key made by the master key: owned by `userId`, in `teamId` when given. */
async function freshKey(userId: string, teamId: string | null, extra: Record<string, unknown> = {}) {
  const body = await ok(await s.call('POST', '/key/generate', { body: { user_id: userId, ...(teamId ? { team_id: teamId } : {}), ...extra } }), 'key/generate');
  return { secret: body.key as string, token: body.token as string };
}

const teamState = async (teamId: string) => (await s.call('GET', `/team/info?team_id=${teamId}`)).body;
const keyState = async (token: string) => {
  const r = await s.call('GET', `/key/info?key=${token}`);
  return { status: r.status, body: r.body };
};
const keyCount = async (q = '') => (await s.call('GET', `/key/list?size=100${q}`)).body.total_count as number;

/** The key routes, for the team key (owned by member, in T) or the personal key (owned by internal). */
function keyRoutes(kind: 'team key' | 'personal key'): Record<string, RouteSpec> {
  const target = () => (kind === 'team key' ? freshKey(who.member.userId, T) : freshKey(who.internal.userId, null));
  const state = (f: { token: string }) => keyState(f.token);
  return {
    [`POST /key/generate (${kind})`]: {
      fixture: async () => ({}),
      call: (_f, token) => s.call('POST', '/key/generate', { token, body: kind === 'team key' ? { team_id: T } : {} }),
      state: async () => ({ count: await keyCount() }),
      onSuccess: async (_f, r, caller) => {
        expect(r.body.key).toMatch(/^sk-/);
        expect(r.body.user_id).toBe(userIdOf(caller));
        expect(r.body.team_id).toBe(kind === 'team key' ? T : null);
      },
    },
    [`GET /key/info (${kind})`]: {
      fixture: target,
      call: (f, token) => s.call('GET', `/key/info?key=${f.secret}`, { token }),
      onSuccess: async (f, r) => expect(r.body.info.token).toBe(f.token),
    },
    [`POST /key/update (${kind})`]: {
      fixture: target,
      call: (f, token) => s.call('POST', '/key/update', { token, body: { key: f.secret, metadata: { touched: true } } }),
      state,
      onSuccess: async (f) => expect((await keyState(f.token)).body.info.metadata).toEqual({ touched: true }),
    },
    [`POST /key/delete (${kind})`]: {
      fixture: target,
      call: (f, token) => s.call('POST', '/key/delete', { token, body: { keys: [f.secret] } }),
      state,
      onSuccess: async (f, r) => {
        expect(r.body.deleted_keys).toEqual([f.token]);
        expect((await keyState(f.token)).status).toBe(404);
      },
    },
    [`POST /key/regenerate (${kind})`]: {
      fixture: target,
      call: (f, token) => s.call('POST', '/key/regenerate', { token, body: { key: f.secret } }),
      state,
      onSuccess: async (f, r) => {
        expect(r.body.key).not.toBe(f.secret);
        expect((await keyState(f.token)).status).toBe(404);
      },
    },
    ...(kind === 'team key'
      ? {
          [`POST /key/{key}/regenerate (${kind})`]: {
            fixture: target,
            call: (f: { secret: string }, token: string | null | undefined) => s.call('POST', `/key/${f.secret}/regenerate`, { token }),
            state,
            onSuccess: async (f: { token: string }, r: Reply) => {
              expect(r.body.token).not.toBe(f.token);
              expect((await keyState(f.token)).status).toBe(404);
            },
          },
        }
      : {}),
    [`POST /key/block (${kind})`]: {
      fixture: target,
      call: (f, token) => s.call('POST', '/key/block', { token, body: { key: f.secret } }),
      state,
      onSuccess: async (f) => expect((await keyState(f.token)).body.info.blocked).toBe(true),
    },
    [`POST /key/unblock (${kind})`]: {
      fixture: async () => {
        const k = await target();
        await ok(await s.call('POST', '/key/block', { body: { key: k.secret } }), 'key/block');
        // Made a block its owner set: an admin's block binds everyone below a proxy admin
        // (issue 9 item 7, users-keys-hardening.test.ts); this matrix is about the owner's.
        await s.deps.table.update(keys.key(k.token), { expression: 'SET blocked_by_rank = :owner', values: { ':owner': 0 } });
        return k;
      },
      call: (f, token) => s.call('POST', '/key/unblock', { token, body: { key: f.secret } }),
      state,
      onSuccess: async (f) => expect((await keyState(f.token)).body.info.blocked).toBe(false),
    },
  };
}

const ROUTES: Record<string, RouteSpec> = {
  'POST /team/new': {
    fixture: async () => ({ alias: `new-${uid()}` }),
    call: (f, token) => s.call('POST', '/team/new', { token, body: { team_alias: f.alias } }),
    state: async (f) => (await s.call('GET', '/team/list')).body.filter((t: any) => t.team_alias === f.alias),
    onSuccess: async (f, r) => expect(r.body.team_alias).toBe(f.alias),
  },
  'GET /team/info': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', `/team/info?team_id=${T}`, { token }),
    onSuccess: async (_f, r) => expect(r.body.team_id).toBe(T),
  },
  'POST /team/update': {
    fixture: async () => ({ teamId: await freshTeam() }),
    call: (f, token) => s.call('POST', '/team/update', { token, body: { team_id: f.teamId, max_budget: 42 } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f) => expect((await teamState(f.teamId)).team_info.max_budget).toBe(42),
  },
  'POST /team/delete': {
    fixture: async () => ({ teamId: await freshTeam() }),
    call: (f, token) => s.call('POST', '/team/delete', { token, body: { team_ids: [f.teamId] } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f) => expect((await s.call('GET', `/team/info?team_id=${f.teamId}`)).status).toBe(404),
  },
  'GET /team/list': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', '/team/list', { token }),
    onSuccess: async (_f, r, caller) => {
      const ids = r.body.map((t: any) => t.team_id);
      if (caller === 'admin' || caller === 'viewer') {
        expect(ids).toEqual(expect.arrayContaining([T, U]));
      } else {
        // Non-admins see only the teams they belong to.
        for (const t of r.body) expect(t.members_with_roles.map((m: any) => m.user_id)).toContain(userIdOf(caller));
        expect(ids.includes(T)).toBe(caller === 'tadmin' || caller === 'member');
        expect(ids.includes(U)).toBe(caller === 'other');
      }
    },
  },
  'POST /team/member_add': {
    fixture: async () => ({ teamId: await freshTeam(), userId: await freshUser() }),
    call: (f, token) => s.call('POST', '/team/member_add', { token, body: { team_id: f.teamId, member: { user_id: f.userId, role: 'user' } } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f) => expect((await teamState(f.teamId)).team_info.members_with_roles.map((m: any) => m.user_id)).toContain(f.userId),
  },
  'POST /team/member_delete': {
    fixture: async () => {
      const teamId = await freshTeam();
      const userId = await freshUser();
      await ok(await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: userId } } }), 'member_add');
      return { teamId, userId };
    },
    call: (f, token) => s.call('POST', '/team/member_delete', { token, body: { team_id: f.teamId, user_id: f.userId } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f) => expect((await teamState(f.teamId)).team_info.members_with_roles.map((m: any) => m.user_id)).not.toContain(f.userId),
  },
  'POST /team/member_update': {
    fixture: async () => ({ teamId: await freshTeam() }),
    call: (f, token) => s.call('POST', '/team/member_update', { token, body: { team_id: f.teamId, user_id: bystander.userId, role: 'admin' } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f, r) => {
      expect(r.body).toMatchObject({ team_id: f.teamId, user_id: bystander.userId, role: 'admin' });
      expect((await teamState(f.teamId)).team_info.members_with_roles).toContainEqual(expect.objectContaining({ user_id: bystander.userId, role: 'admin' }));
    },
  },
  'GET /team/permissions_list': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', `/team/permissions_list?team_id=${T}`, { token }),
    onSuccess: async (_f, r) => expect(r.body.team_member_permissions).toEqual(['/key/info', '/key/health']),
  },
  'POST /team/permissions_update': {
    fixture: async () => ({ teamId: await freshTeam() }),
    call: (f, token) => s.call('POST', '/team/permissions_update', { token, body: { team_id: f.teamId, team_member_permissions: ['/key/generate'] } }),
    state: (f) => teamState(f.teamId),
    onSuccess: async (f) => expect((await teamState(f.teamId)).team_info.team_member_permissions).toEqual(['/key/generate']),
  },
  ...keyRoutes('team key'),
  'GET /key/list': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', '/key/list?size=100&return_full_object=true', { token }),
    onSuccess: async (_f, r, caller) => {
      expect(r.body).toMatchObject({ keys: expect.any(Array), total_count: expect.any(Number), current_page: 1 });
      if (caller !== 'admin' && caller !== 'viewer') {
        // Non-admins see only their own keys (each user got a personal key at creation).
        expect(r.body.keys.length).toBeGreaterThan(0);
        for (const k of r.body.keys) expect(k.user_id).toBe(userIdOf(caller));
      } else {
        expect(new Set(r.body.keys.map((k: any) => k.user_id)).size).toBeGreaterThan(1);
      }
    },
  },
  ...keyRoutes('personal key'),
  'GET /get/internal_user_settings': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', '/get/internal_user_settings', { token }),
    onSuccess: async (_f, r) => expect(r.body.values).toMatchObject({ user_role: 'internal_user', teams: [] }),
  },
  'PATCH /update/internal_user_settings': {
    fixture: async () => ({}),
    // A change that affects nothing else in this file: new users' budget period.
    call: (_f, token) => s.call('PATCH', '/update/internal_user_settings', { token, body: { budget_duration: '30d' } }),
    state: async () => (await s.call('GET', '/get/internal_user_settings')).body,
    onSuccess: async (_f, r) => {
      expect(r.body).toMatchObject({ status: 'success', settings: { budget_duration: '30d' } });
      await ok(await s.call('PATCH', '/update/internal_user_settings', { body: { budget_duration: null } }), 'settings reset');
    },
  },
};

beforeAll(async () => {
  s = await testStack();
  who.viewer = await s.userWithSession('proxy_admin_viewer');
  who.internal = await s.userWithSession('internal_user');
  who.iviewer = await s.userWithSession('internal_user_viewer');
  who.tadmin = await s.userWithSession('internal_user');
  who.member = await s.userWithSession('internal_user');
  who.other = await s.userWithSession('internal_user');
  bystander = { userId: await freshUser() };
  T = await freshTeam();
  U = (await ok(await s.call('POST', '/team/new', { body: { team_alias: `other-${uid()}`, members_with_roles: [{ user_id: who.other.userId, role: 'user' }] } }), 'team U')).team_id;
});

test('the matrix covers every route and every caller', () => {
  expect(Object.keys(ROUTES).sort()).toEqual(MATRIX.map(([r]) => r).sort());
  expect(CELLS).toHaveLength(MATRIX.length * CALLERS.length);
});

test('the fixture team keeps the default member permissions and the expected roles', async () => {
  const info = await teamState(T);
  expect(info.team_info.team_member_permissions).toEqual(['/key/info', '/key/health']);
  const roles = Object.fromEntries(info.team_info.members_with_roles.map((m: any) => [m.user_id, m.role]));
  expect(roles).toEqual({ [who.tadmin.userId]: 'admin', [who.member.userId]: 'user', [bystander.userId]: 'user' });
});

test.each(CELLS)('$route as $caller → $expected', async ({ route, caller, expected }) => {
  const spec = ROUTES[route]!;
  const f = await spec.fixture();
  const before = spec.state ? await spec.state(f) : undefined;
  const reply = await spec.call(f, tokenOf(caller));
  if (expected === 200) {
    expect({ status: reply.status, error: reply.body?.error }).toEqual({ status: 200, error: undefined });
    await spec.onSuccess?.(f, reply, caller);
    return;
  }
  if (expected === 'P') {
    const err = expectError(reply, 401, 'team_member_permission_error');
    const path = route.split(' ')[1]!.replace('/{key}', '');
    expect(err.message).toContain(`Team member does not have permission for ${path}`);
    expect(err.message).toContain(T);
    expect(err.message).toContain('/key/info, /key/health');
  } else {
    expectError(reply, expected, 'auth_error');
  }
  // A refused call changes nothing.
  if (spec.state) expect(await spec.state(f)).toEqual(before);
});

describe('team members and their permissions', () => {
  let team: string;
  let m1: { userId: string; token: string };
  let m2: { userId: string; token: string };
  beforeAll(async () => {
    m1 = await s.userWithSession('internal_user');
    m2 = await s.userWithSession('internal_user');
    team = (
      await ok(
        await s.call('POST', '/team/new', {
          body: {
            team_alias: `perm-${uid()}`,
            models: ['gpt-4o'],
            team_member_permissions: ['/key/generate', '/key/update', '/key/delete', '/key/regenerate', '/key/block', '/key/unblock', '/key/info'],
            members_with_roles: [
              { user_id: m1.userId, role: 'user' },
              { user_id: m2.userId, role: 'user' },
              { user_id: who.tadmin.userId, role: 'admin' },
            ],
          },
        }),
        'team',
      )
    ).team_id;
  });

  test("a member with '/key/generate' creates a key in the team, owned by themselves", async () => {
    const r = await s.call('POST', '/key/generate', { token: m1.token, body: { team_id: team, models: ['gpt-4o'] } });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ team_id: team, user_id: m1.userId, models: ['gpt-4o'] });
    // And manages it within the permissions.
    const upd = await s.call('POST', '/key/update', { token: m1.token, body: { key: r.body.key, metadata: { mine: true } } });
    expect(upd.status).toBe(200);
    expect(upd.body.metadata).toEqual({ mine: true });
  });

  test("a member cannot act on another member's key, whatever the team's permissions (403)", async () => {
    const theirs = await freshKey(m2.userId, team, { metadata: { owner: 'm2' } });
    const before = await keyState(theirs.token);
    for (const [path, body] of [
      ['/key/update', { key: theirs.secret, metadata: { hijacked: true } }],
      ['/key/delete', { keys: [theirs.secret] }],
      ['/key/regenerate', { key: theirs.secret }],
      ['/key/block', { key: theirs.secret }],
    ] as const) {
      const r = await s.call('POST', path, { token: m1.token, body });
      expect(expectError(r, 403, 'auth_error').message).toMatch(/own keys/);
    }
    expect(await keyState(theirs.token)).toEqual(before);
    // Reading it is refused as well.
    expectError(await s.call('GET', `/key/info?key=${theirs.token}`, { token: m1.token }), 403, 'auth_error');
  });

  test("a team admin deletes a member's key", async () => {
    const theirs = await freshKey(m2.userId, team);
    const r = await s.call('POST', '/key/delete', { token: who.tadmin.token, body: { keys: [theirs.secret] } });
    expect(r.status).toBe(200);
    expect(r.body.deleted_keys).toEqual([theirs.token]);
    expect((await keyState(theirs.token)).status).toBe(404);
  });

  test("a team admin lists the team's keys; a plain member listing the team sees only their own", async () => {
    const k1 = await freshKey(m1.userId, team);
    const k2 = await freshKey(m2.userId, team);
    const asAdmin = await s.call('GET', `/key/list?team_id=${team}&size=100`, { token: who.tadmin.token });
    expect(asAdmin.status).toBe(200);
    expect(asAdmin.body.keys).toEqual(expect.arrayContaining([k1.token, k2.token]));
    const asMember = await s.call('GET', `/key/list?team_id=${team}&size=100&return_full_object=true`, { token: m1.token });
    expect(asMember.status).toBe(200);
    expect(asMember.body.keys.map((k: any) => k.token)).toContain(k1.token);
    expect(asMember.body.keys.map((k: any) => k.token)).not.toContain(k2.token);
    for (const k of asMember.body.keys) expect(k.user_id).toBe(m1.userId);
  });
});

describe('virtual keys as credentials', () => {
  test('a virtual key (Bearer sk-…) authenticates as its user, with their role', async () => {
    const k = await freshKey(who.internal.userId, null);
    const me = await s.call('GET', '/user/info', { token: k.secret });
    expect(me.status).toBe(200);
    expect(me.body.user_id).toBe(who.internal.userId);
    // /key/info without ?key= describes the key used to call.
    const self = await s.call('GET', '/key/info', { token: k.secret });
    expect(self.status).toBe(200);
    expect(self.body.info).toMatchObject({ token: k.token, user_id: who.internal.userId });
    // It carries the user's powers, not more.
    expectError(await s.call('POST', '/team/new', { token: k.secret, body: { team_alias: `vk-${uid()}` } }), 403, 'auth_error');
    expectError(await s.call('GET', '/user/list', { token: k.secret }), 403, 'auth_error');
  });

  test('a key that belongs to no user reads itself (spend, budget) with GET /key/info, and nothing else', async () => {
    const gen = await ok(await s.call('POST', '/key/generate', { body: { team_id: T, max_budget: 5, budget_duration: '1d' } }), 'team key without a user');
    expect(gen.user_id).toBeNull();
    for (const q of ['', `?key=${gen.key}`, `?key=${gen.token}`]) {
      const self = await s.call('GET', `/key/info${q}`, { token: gen.key });
      expect(self.status).toBe(200);
      expect(self.body.info).toMatchObject({ token: gen.token, team_id: T, user_id: null, spend: 0, max_budget: 5, budget_duration: '1d' });
      expect(self.body.info.budget_reset_at).toEqual(expect.any(String));
      expect(self.body.info).not.toHaveProperty('key');
    }
    const other = await freshKey(who.member.userId, T);
    for (const [method, path] of [['GET', `/key/info?key=${other.token}`], ['GET', '/key/list'], ['GET', '/user/info']] as const) {
      const r = await s.call(method, path, { token: gen.key });
      expect(expectError(r, 401, 'auth_error').message).toMatch(/belongs to no user, so it can only read itself/);
    }
  });

  test('a team member without /key/info in the team permissions still reads the key they call with', async () => {
    const k = await freshKey(who.member.userId, T);
    expect((await teamState(T)).team_info.team_member_permissions).toEqual(['/key/info', '/key/health']);
    await ok(await s.call('POST', '/team/permissions_update', { body: { team_id: T, team_member_permissions: ['/key/health'] } }), 'drop /key/info');
    try {
      const self = await s.call('GET', '/key/info', { token: k.secret });
      expect(self.status).toBe(200);
      expect(self.body.info).toMatchObject({ token: k.token, user_id: who.member.userId });
      // By session, or naming the key, the team's permissions apply.
      expectError(await s.call('GET', `/key/info?key=${k.token}`, { token: who.member.token }), 401, 'team_member_permission_error');
    } finally {
      await ok(await s.call('POST', '/team/permissions_update', { body: { team_id: T, team_member_permissions: ['/key/info', '/key/health'] } }), 'restore');
    }
  });

  test('a blocked key is refused with 401 "Key is blocked", and works again once unblocked', async () => {
    const k = await freshKey(who.internal.userId, null);
    expect((await s.call('POST', '/key/block', { body: { key: k.secret } })).status).toBe(200);
    const r = await s.call('GET', '/user/info', { token: k.secret });
    expect(expectError(r, 401, 'auth_error').message).toMatch(/^Key is blocked/);
    expect((await s.call('POST', '/key/unblock', { body: { key: k.secret } })).status).toBe(200);
    expect((await s.call('GET', '/user/info', { token: k.secret })).status).toBe(200);
  });

  test("a regenerated key's old secret is 401 and the new one works", async () => {
    const k = await freshKey(who.internal.userId, null);
    const regen = await s.call('POST', '/key/regenerate', { token: k.secret, body: { key: k.secret } });
    expect(regen.status).toBe(200);
    expect(regen.body.key).toMatch(/^sk-/);
    expect(regen.body.key).not.toBe(k.secret);
    expectError(await s.call('GET', '/user/info', { token: k.secret }), 401, 'auth_error');
    const now = await s.call('GET', '/user/info', { token: regen.body.key });
    expect(now.status).toBe(200);
    expect(now.body.user_id).toBe(who.internal.userId);
  });

  test('a deleted key is refused at once', async () => {
    const k = await freshKey(who.internal.userId, null);
    expect((await s.call('GET', '/user/info', { token: k.secret })).status).toBe(200);
    expect((await s.call('POST', '/key/delete', { body: { keys: [k.token] } })).status).toBe(200);
    expectError(await s.call('GET', '/user/info', { token: k.secret }), 401, 'auth_error');
  });

  test('a key whose user was demoted to viewer can no longer write', async () => {
    const u = await s.userWithSession('internal_user');
    const k = await freshKey(u.userId, null);
    expect((await s.call('POST', '/key/generate', { token: k.secret, body: {} })).status).toBe(200);
    expect((await s.call('POST', '/user/update', { body: { user_id: u.userId, user_role: 'internal_user_viewer' } })).status).toBe(200);
    expectError(await s.call('POST', '/key/generate', { token: k.secret, body: {} }), 403, 'auth_error');
  });
});

describe('key expiry', () => {
  test("a key with duration '1s' works until it expires, then is 401", async () => {
    let now = new Date('2027-03-01T12:00:00Z');
    const st = await testStack({ clock: () => now });
    const u = await st.call('POST', '/user/new', { body: { user_email: `exp-${uid()}@example.com`, auto_create_key: false } });
    expect(u.status).toBe(200);
    const k = await st.call('POST', '/key/generate', { body: { user_id: u.body.user_id, duration: '1s' } });
    expect(k.status).toBe(200);
    expect(k.body.expires).toBe('2027-03-01T12:00:01.000Z');
    expect((await st.call('GET', '/user/info', { token: k.body.key })).status).toBe(200);
    now = new Date('2027-03-01T12:00:01.000Z');
    const expired = await st.call('GET', '/user/info', { token: k.body.key });
    expect(expectError(expired, 401, 'auth_error').message).toMatch(/expired/i);
    now = new Date('2027-03-01T12:00:05Z');
    expectError(await st.call('GET', '/user/info', { token: k.body.key }), 401, 'auth_error');
    // The master key still reads it, and it is still recorded as expired.
    const info = await st.call('GET', `/key/info?key=${k.body.token}`);
    expect(info.body.info.expires).toBe('2027-03-01T12:00:01.000Z');
  });
});
