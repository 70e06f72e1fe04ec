/**
 * Who may call which team route: one table, every cell visible, built with the
 * shared role matrix (test/support/role-matrix.ts, which describes the roles). The
 * team is the matrix's team: team_admin its admin, team_member and a bystander plain
 * members (team_member_permissions left at the default ['/key/info', '/key/health']);
 * outsider is in the other team. Every cell builds its own fixture with the master
 * key where the call could change it, and a refused write must leave what it
 * targeted exactly as it was. Also: what plain members see of the team's keys.
 */
import { randomUUID } from 'node:crypto';
import { describeRoleMatrix, readsEverything, roleCallers, type Caller, type RoleCallers, type RouteCase } from '../../support/role-matrix';
import { expectError, testStack, type Reply, type TestStack } from '../../support/stack';

const uid = () => randomUUID().slice(0, 8);

let s: TestStack;
let c: RoleCallers;
let T: string; // the team
let U: string; // another team
const who = {} as Record<'tadmin' | 'member' | 'other', Caller>;
let bystander: { userId: string };

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

const teamState = async (teamId: string) => (await s.call('GET', `/team/info?team_id=${teamId}`)).body;

const ROUTES: Record<string, RouteCase> = {
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
    onSuccess: async (_f, r, role) => {
      const ids = r.body.map((t: any) => t.team_id);
      if (readsEverything(role)) {
        expect(ids).toEqual(expect.arrayContaining([T, U]));
      } else {
        // Non-admins see only the teams they belong to.
        for (const t of r.body) expect(t.members_with_roles.map((m: any) => m.user_id)).toContain(c.userIdOf(role));
        expect(ids.includes(T)).toBe(role === 'team_admin' || role === 'team_member');
        expect(ids.includes(U)).toBe(role === 'outsider');
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
};

beforeAll(async () => {
  s = await testStack();
  bystander = { userId: await freshUser() };
  c = await roleCallers(s, { members: [{ user_id: bystander.userId, role: 'user' }] });
  who.tadmin = c.users.team_admin;
  who.member = c.users.team_member;
  who.other = c.users.outsider;
  T = c.teamId;
  U = c.otherTeamId;
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
  // prettier-ignore
  matrix: [
    //                                 master  admin  viewer  internal  iviewer  tadmin  member  outsider  other_key  anon
    ['POST /team/new',                  '200    200    403     403       403      403     403     403       403        401'],
    ['GET /team/info',                  '200    200    200     403       403      200     200     403       403        401'],
    ['POST /team/update',               '200    200    403     403       403      403     403     403       403        401'],
    ['POST /team/delete',               '200    200    403     403       403      403     403     403       403        401'],
    ['GET /team/list',                  '200    200    200     200       200      200     200     200       200        401'],
    ['POST /team/member_add',           '200    200    403     403       403      200     403     403       403        401'],
    ['POST /team/member_delete',        '200    200    403     403       403      200     403     403       403        401'],
    ['POST /team/member_update',        '200    200    403     403       403      200     403     403       403        401'],
    ['GET /team/permissions_list',      '200    200    200     403       403      200     200     403       403        401'],
    ['POST /team/permissions_update',   '200    200    403     403       403      200     403     403       403        401'],
  ],
});

async function newTeam(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: `team-${randomUUID().slice(0, 8)}`, ...body } });
  expect(r.status).toBe(200);
  return r.body.team_id as string;
}

describe('item 15: /team/info shows plain members only the keys /key/info would', () => {
  test("a plain member sees their own keys, not other members' nor the team's service keys", async () => {
    const s = await testStack();
    const admin = await s.userWithSession('internal_user');
    const alice = await s.userWithSession('internal_user');
    const bob = await s.userWithSession('internal_user');
    const team = await newTeam(s);
    await s.call('POST', '/team/member_add', {
      body: { team_id: team, member: [{ user_id: admin.userId, role: 'admin' }, { user_id: alice.userId }, { user_id: bob.userId }] },
    });
    const aliceKey = (await s.call('POST', '/key/generate', { body: { team_id: team, user_id: alice.userId } })).body.token;
    const bobKey = (await s.call('POST', '/key/generate', { body: { team_id: team, user_id: bob.userId } })).body.token;
    const serviceKey = (await s.call('POST', '/key/generate', { body: { team_id: team } })).body.token;

    const tokens = async (token: string) => (await s.call('GET', `/team/info?team_id=${team}`, { token })).body.keys.map((k: { token: string }) => k.token).sort();
    expect(await tokens(alice.token)).toEqual([aliceKey]);
    expectError(await s.call('GET', `/key/info?key=${bobKey}`, { token: alice.token }), 403);
    expect(await tokens(admin.token)).toEqual([aliceKey, bobKey, serviceKey].sort());

    // Without /key/info in the team's permissions, a plain member reads no key there.
    await s.call('POST', '/team/permissions_update', { body: { team_id: team, team_member_permissions: ['/key/generate'] } });
    expect(await tokens(alice.token)).toEqual([]);
  });
});
