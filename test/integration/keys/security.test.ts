/**
 * Who may call which key route, and what a virtual key is worth as a credential:
 * one table, every cell visible, built with the shared role matrix
 * (test/support/role-matrix.ts, which describes the roles). Rows name the key acted
 * on: the team key is owned by team_member in the matrix's team, the personal key by
 * internal_user. 'P' is a 401 team_member_permission_error: a plain member lacking
 * the permission on their own key (the team keeps the default permissions
 * ['/key/info', '/key/health']). Every cell builds its own fixture with the master
 * key where the call could change it, and a refused write must leave what it
 * targeted exactly as it was.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../../shared/db/keys';
import { DEFAULT_LEGEND, describeRoleMatrix, readsEverything, roleCallers, type Caller, type RoleCallers, type RouteCase } from '../../support/role-matrix';
import { expectError, testStack, type Reply, type TestStack } from '../../support/stack';

const uid = () => randomUUID().slice(0, 8);

let s: TestStack;
let c: RoleCallers;
let T: string; // the team
const who = {} as Record<'viewer' | 'internal' | 'iviewer' | 'tadmin' | 'member' | 'other', Caller>;
let bystander: { userId: string };

async function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`fixture ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
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
function keyRoutes(kind: 'team key' | 'personal key'): Record<string, RouteCase> {
  const target = () => (kind === 'team key' ? freshKey(who.member.userId, T) : freshKey(who.internal.userId, null));
  const state = (f: { token: string }) => keyState(f.token);
  return {
    [`POST /key/generate (${kind})`]: {
      fixture: async () => ({}),
      call: (_f, token) => s.call('POST', '/key/generate', { token, body: kind === 'team key' ? { team_id: T } : {} }),
      state: async () => ({ count: await keyCount() }),
      onSuccess: async (_f, r, role) => {
        expect(r.body.key).toMatch(/^sk-/);
        expect(r.body.user_id).toBe(c.userIdOf(role));
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
        // (issue 9 item 7, below); this matrix is about the owner's.
        await s.deps.table.update(keys.key(k.token), { expression: 'SET blocked_by_rank = :owner', values: { ':owner': 0 } });
        return k;
      },
      call: (f, token) => s.call('POST', '/key/unblock', { token, body: { key: f.secret } }),
      state,
      onSuccess: async (f) => expect((await keyState(f.token)).body.info.blocked).toBe(false),
    },
  };
}

const ROUTES: Record<string, RouteCase> = {
  ...keyRoutes('team key'),
  'GET /key/list': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', '/key/list?size=100&return_full_object=true', { token }),
    onSuccess: async (_f, r, role) => {
      expect(r.body).toMatchObject({ keys: expect.any(Array), total_count: expect.any(Number), current_page: 1 });
      if (!readsEverything(role)) {
        // Non-admins see only their own keys (each user got a personal key at creation).
        expect(r.body.keys.length).toBeGreaterThan(0);
        for (const k of r.body.keys) expect(k.user_id).toBe(c.userIdOf(role));
      } else {
        expect(new Set(r.body.keys.map((k: any) => k.user_id)).size).toBeGreaterThan(1);
      }
    },
  },
  ...keyRoutes('personal key'),
};

beforeAll(async () => {
  s = await testStack();
  bystander = { userId: await freshUser() };
  c = await roleCallers(s, { members: [{ user_id: bystander.userId, role: 'user' }] });
  who.viewer = c.users.proxy_admin_viewer;
  who.internal = c.users.internal_user;
  who.iviewer = c.users.internal_user_viewer;
  who.tadmin = c.users.team_admin;
  who.member = c.users.team_member;
  who.other = c.users.outsider;
  T = c.teamId;
});

test('the fixture team keeps the default member permissions and the expected roles', async () => {
  const info = await teamState(T);
  expect(info.team_info.team_member_permissions).toEqual(['/key/info', '/key/health']);
  const roles = Object.fromEntries(info.team_info.members_with_roles.map((m: any) => [m.user_id, m.role]));
  expect(roles).toEqual({ [who.tadmin.userId]: 'admin', [who.member.userId]: 'user', [bystander.userId]: 'user' });
});

describeRoleMatrix({
  callers: () => c,
  routes: ROUTES,
  legend: {
    ...DEFAULT_LEGEND,
    P: {
      status: 401,
      type: 'team_member_permission_error',
      check: (err, route) => {
        const path = route.split(' ')[1]!.replace('/{key}', '');
        expect(err.message).toContain(`Team member does not have permission for ${path}`);
        expect(err.message).toContain(T);
        expect(err.message).toContain('/key/info, /key/health');
      },
    },
  },
  // A proxy admin's session makes keys it owns, and a team key's owner must be in the
  // team: so 403 in a team they are not in (the master key's key has no owner).
  // prettier-ignore
  matrix: [
    //                                           master  admin  viewer  internal  iviewer  tadmin  member  outsider  other_key  anon
    ['POST /key/generate (team key)',             '200    403    403     403       403      200     P       403       403        401'],
    ['GET /key/info (team key)',                  '200    200    200     403       403      200     200     403       403        401'],
    ['GET /key/list',                             '200    200    200     200       200      200     200     200       200        401'],
    ['POST /key/update (team key)',               '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/delete (team key)',               '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/regenerate (team key)',           '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/{key}/regenerate (team key)',     '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/block (team key)',                '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/unblock (team key)',              '200    200    403     403       403      200     P       403       403        401'],
    ['POST /key/generate (personal key)',         '200    200    403     200       403      200     200     200       200        401'],
    ['GET /key/info (personal key)',              '200    200    200     200       403      403     403     403       403        401'],
    ['POST /key/update (personal key)',           '200    200    403     200       403      403     403     403       403        401'],
    ['POST /key/delete (personal key)',           '200    200    403     200       403      403     403     403       403        401'],
    ['POST /key/regenerate (personal key)',       '200    200    403     200       403      403     403     403       403        401'],
    ['POST /key/block (personal key)',            '200    200    403     200       403      403     403     403       403        401'],
    ['POST /key/unblock (personal key)',          '200    200    403     200       403      403     403     403       403        401'],
  ],
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

async function newTeam(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: `team-${randomUUID().slice(0, 8)}`, ...body } });
  expect(r.status).toBe(200);
  return r.body.team_id as string;
}

describe("item 7: owners cannot lift an admin's block nor outlive the lifetime an admin set", () => {
  let now = new Date();
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack({ clock: () => now });
  });
  beforeEach(() => {
    now = new Date();
  });

  const keyFor = async (userId: string, body: Record<string, unknown> = {}) => {
    const r = await s.call('POST', '/key/generate', { body: { user_id: userId, ...body } });
    expect(r.status).toBe(200);
    return r.body as { key: string; token: string };
  };
  const stored = async (token: string) => (await s.call('GET', `/key/info?key=${token}`)).body.info;

  test('a key blocked by a proxy admin stays blocked whatever its owner sends', async () => {
    const owner = await s.userWithSession('internal_user');
    const k = await keyFor(owner.userId);
    expect((await s.call('POST', '/key/block', { body: { key: k.token } })).status).toBe(200);

    expectError(await s.call('POST', '/key/unblock', { token: owner.token, body: { key: k.token } }), 403);
    expectError(await s.call('POST', '/key/update', { token: owner.token, body: { key: k.token, blocked: false } }), 403);
    expect((await stored(k.token)).blocked).toBe(true);
    expectError(await s.call('GET', '/key/info', { token: k.key }), 401);

    expect((await s.call('POST', '/key/unblock', { body: { key: k.token } })).status).toBe(200);
    expect((await stored(k.token)).blocked).toBe(false);
  });

  test('a key generated blocked by an admin, or blocked through /key/update, is the same', async () => {
    const owner = await s.userWithSession('internal_user');
    const born = await keyFor(owner.userId, { blocked: true });
    expectError(await s.call('POST', '/key/unblock', { token: owner.token, body: { key: born.token } }), 403);
    const later = await keyFor(owner.userId);
    expect((await s.call('POST', '/key/update', { body: { key: later.token, blocked: true } })).status).toBe(200);
    expectError(await s.call('POST', '/key/update', { token: owner.token, body: { key: later.token, blocked: false } }), 403);
  });

  test("a team admin's block binds the member, not the proxy admin", async () => {
    const admin = await s.userWithSession('internal_user');
    const member = await s.userWithSession('internal_user');
    const team = await newTeam(s, { team_member_permissions: ['/key/generate', '/key/block', '/key/unblock', '/key/info'] });
    await s.call('POST', '/team/member_add', { body: { team_id: team, member: [{ user_id: admin.userId, role: 'admin' }, { user_id: member.userId, role: 'user' }] } });
    const k = await s.call('POST', '/key/generate', { token: member.token, body: { team_id: team } });
    expect(k.status).toBe(200);
    expect((await s.call('POST', '/key/block', { token: admin.token, body: { key: k.body.token } })).status).toBe(200);
    expectError(await s.call('POST', '/key/unblock', { token: member.token, body: { key: k.body.token } }), 403);
    expect((await s.call('POST', '/key/unblock', { token: admin.token, body: { key: k.body.token } })).status).toBe(200);
  });

  test('an owner still blocks and unblocks their own key (control)', async () => {
    const owner = await s.userWithSession('internal_user');
    const k = await keyFor(owner.userId);
    expect((await s.call('POST', '/key/block', { token: owner.token, body: { key: k.token } })).status).toBe(200);
    expect((await s.call('POST', '/key/unblock', { token: owner.token, body: { key: k.token } })).status).toBe(200);
    expect((await stored(k.token)).blocked).toBe(false);
  });

  test('an owner cannot revive an expired key with a new duration, by update or regenerate; a proxy admin can', async () => {
    const owner = await s.userWithSession('internal_user');
    const k = await keyFor(owner.userId, { duration: '1h' });
    now = new Date(Date.now() + 2 * 3600_000);
    expectError(await s.call('GET', '/key/info', { token: k.key }), 401, 'auth_error');

    expectError(await s.call('POST', '/key/update', { token: owner.token, body: { key: k.token, duration: '30d' } }), 403);
    expectError(await s.call('POST', '/key/update', { token: owner.token, body: { key: k.token, duration: null } }), 403);
    expectError(await s.call('POST', '/key/regenerate', { token: owner.token, body: { key: k.token, duration: '30d' } }), 403);
    expect(Date.parse((await stored(k.token)).expires)).toBeLessThan(now.getTime());

    const revived = await s.call('POST', '/key/update', { body: { key: k.token, duration: '30d' } });
    expect(revived.status).toBe(200);
    expect(Date.parse(revived.body.expires)).toBeGreaterThan(now.getTime());
  });

  test('team_member_key_duration limits what members set, not only the default', async () => {
    const member = await s.userWithSession('internal_user');
    const team = await newTeam(s, { team_member_key_duration: '1d', team_member_permissions: ['/key/generate', '/key/update', '/key/regenerate', '/key/info'] });
    await s.call('POST', '/team/member_add', { body: { team_id: team, member: { user_id: member.userId, role: 'user' } } });

    expectError(await s.call('POST', '/key/generate', { token: member.token, body: { team_id: team, duration: '30d' } }), 400);
    const fine = await s.call('POST', '/key/generate', { token: member.token, body: { team_id: team, duration: '12h' } });
    expect(fine.status).toBe(200);
    const byDefault = await s.call('POST', '/key/generate', { token: member.token, body: { team_id: team } });
    expect(Date.parse(byDefault.body.expires) - now.getTime()).toBeLessThanOrEqual(86_400_000);

    for (const duration of ['30d', null]) {
      expectError(await s.call('POST', '/key/update', { token: member.token, body: { key: fine.body.token, duration } }), 400);
      expectError(await s.call('POST', '/key/regenerate', { token: member.token, body: { key: fine.body.token, duration } }), 400);
    }
    expect((await stored(fine.body.token)).expires).toBe(fine.body.expires);
    expect((await s.call('POST', '/key/update', { token: member.token, body: { key: fine.body.token, duration: '2h' } })).status).toBe(200);
    // A proxy admin sets what the policy allows them to.
    expect((await s.call('POST', '/key/update', { body: { key: fine.body.token, duration: '30d' } })).status).toBe(200);
  });
});
