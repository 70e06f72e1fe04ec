/**
 * Issue 9, users and keys: every way of creating a user applies the default user
 * settings; LiteLLM's special user id gives no powers; owners cannot lift an admin's
 * block nor outlive the lifetime an admin set; a virtual key cannot change its owner's
 * credentials; team budgets and interrupted user creations are repaired by a retry;
 * /team/info shows plain members only the keys /key/info would.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type TestStack } from '../support/stack';

const PASSWORD = 'a long enough passphrase';
const email = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

async function newTeam(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: `team-${randomUUID().slice(0, 8)}`, ...body } });
  expect(r.status).toBe(200);
  return r.body.team_id as string;
}

const userInfo = async (s: TestStack, userId: string) => (await s.call('GET', `/user/info?user_id=${userId}`)).body.user_info;
const userIdByEmail = async (s: TestStack, address: string) => {
  const r = await s.call('GET', `/user/list?user_email=${encodeURIComponent(address)}`);
  expect(r.body.total).toBe(1);
  return r.body.users[0].user_id as string;
};

describe('item 5: every path that creates a user applies the default user settings', () => {
  test('/user/new, /team/member_add with a new email, the users page and the team page give the same defaults', async () => {
    const s = await testStack();
    const defaultTeam = await newTeam(s, { models: ['gpt-4o'] });
    const target = await newTeam(s);
    const patch = await s.call('PATCH', '/update/internal_user_settings', {
      body: { models: ['no-default-models'], max_budget: 7, budget_duration: '1mo', user_role: 'internal_user_viewer', teams: [defaultTeam] },
    });
    expect(patch.status).toBe(200);

    const viaApi = email('api');
    expect((await s.call('POST', '/user/new', { body: { user_email: viaApi } })).status).toBe(200);
    const viaMemberAdd = email('member-add');
    expect((await s.call('POST', '/team/member_add', { body: { team_id: target, member: { user_email: viaMemberAdd } } })).status).toBe(200);
    const viaUsersPage = email('users-page');
    expect((await s.call('POST', '/ui/users', { form: { user_email: viaUsersPage, user_role: 'internal_user_viewer', send_email: 'off' } })).status).toBe(200);
    const viaTeamPage = email('team-page');
    expect((await s.call('POST', `/ui/teams/${target}/members`, { form: { user_email: viaTeamPage, role: 'user' } })).status).toBe(303);

    for (const address of [viaApi, viaMemberAdd, viaUsersPage, viaTeamPage]) {
      const info = await userInfo(s, await userIdByEmail(s, address));
      expect({ address, ...info }).toMatchObject({
        address,
        models: ['no-default-models'],
        max_budget: 7,
        budget_duration: '1mo',
        user_role: 'internal_user_viewer',
      });
      expect(info.teams).toContain(defaultTeam);
    }
    // The team added to keeps the role asked for; the default team is joined as well.
    const team = (await s.call('GET', `/team/info?team_id=${target}`)).body.team_info.members_with_roles.map((m: { user_email: string }) => m.user_email);
    expect(team).toEqual(expect.arrayContaining([viaMemberAdd, viaTeamPage]));
  });

  test('the users page offers the default role first', async () => {
    const s = await testStack();
    await s.call('PATCH', '/update/internal_user_settings', { body: { user_role: 'internal_user_viewer' } });
    const page = await s.call('GET', '/ui/users');
    expect(page.body).toMatch(/<option value="internal_user_viewer" selected/);
  });
});

describe("item 6: LiteLLM's default_user_id is no user", () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test.each(['default_user_id', 'DEFAULT_USER_ID', 'Default_User_Id'])('/user/new refuses user_id %s', async (id) => {
    const r = await s.call('POST', '/user/new', { body: { user_id: id, user_email: email('special'), user_role: 'internal_user' } });
    expectError(r, 400, 'bad_request_error');
    expect(await s.deps.table.get(keys.user(id))).toBeUndefined();
  });

  test('a stored user with that id (older data) acts with its stored role, never as admin', async () => {
    // Written straight to the table: the API no longer creates such a user.
    const address = email('legacy');
    const created = await s.call('POST', '/user/new', { body: { user_email: address, user_role: 'internal_user', password: PASSWORD, auto_create_key: false } });
    const item = await s.deps.table.get<Record<string, unknown>>(keys.user(created.body.user_id));
    await s.call('POST', '/user/delete', { body: { user_ids: [created.body.user_id] } });
    const legacy = { ...item, ...keys.user('default_user_id'), user_id: 'default_user_id', unique_guards: [keys.userEmail(address)] };
    await s.deps.table.put(legacy);
    await s.deps.table.put({ ...keys.userEmail(address), type: 'user_email', owner_pk: 'USER#default_user_id', owner_sk: 'USER' });

    const key = await s.call('POST', '/key/generate', { body: { user_id: 'default_user_id' } });
    expect(key.status).toBe(200);
    expectError(await s.call('GET', '/user/list', { token: key.body.key }), 403);
    expectError(await s.call('POST', '/user/new', { token: key.body.key, body: { user_email: email('escalated') } }), 403);

    // Neither its password nor an invitation opens the master key's session.
    expectError(await s.call('POST', '/v2/login', { token: null, body: { username: address, password: PASSWORD } }), 401);
    expectError(await s.call('POST', '/invitation/new', { body: { user_id: 'default_user_id' } }), 400);
  });
});

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

describe("item 8: a virtual key cannot change its owner's password or email", () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  async function userWithKey() {
    const address = email('creds');
    const r = await s.call('POST', '/user/new', { body: { user_email: address, password: PASSWORD } });
    expect(r.status).toBe(200);
    return { userId: r.body.user_id as string, email: address, key: r.body.key as string };
  }
  const signIn = (username: string, password: string) => s.call('POST', '/v2/login', { token: null, body: { username, password } });

  test('with the virtual key: refused, nothing changes', async () => {
    const u = await userWithKey();
    const pw = await s.call('POST', '/user/update', { token: u.key, body: { user_id: u.userId, password: 'a brand new passphrase' } });
    expectError(pw, 403);
    const mail = await s.call('POST', '/user/update', { token: u.key, body: { user_id: u.userId, user_email: email('stolen') } });
    expectError(mail, 403);
    expect((await userInfo(s, u.userId)).user_email).toBe(u.email);
    expect((await signIn(u.email, PASSWORD)).status).toBe(200);
  });

  test('with a session: the current password is required and checked', async () => {
    const u = await userWithKey();
    const session = (await signIn(u.email, PASSWORD)).body.token as string;
    expect(expectError(await s.call('POST', '/user/update', { token: session, body: { user_id: u.userId, password: 'a brand new passphrase' } }), 400).param).toBe('current_password');
    const wrong = await s.call('POST', '/user/update', { token: session, body: { user_id: u.userId, password: 'a brand new passphrase', current_password: 'not my passphrase' } });
    expect(expectError(wrong, 403).param).toBe('current_password');
    expect((await signIn(u.email, PASSWORD)).status).toBe(200);

    const right = await s.call('POST', '/user/update', { token: session, body: { user_id: u.userId, password: 'a brand new passphrase', current_password: PASSWORD } });
    expect(right.status).toBe(200);
    expect((await signIn(u.email, 'a brand new passphrase')).status).toBe(200);
  });

  test('a proxy admin resets a password or email without knowing the old one', async () => {
    const u = await userWithKey();
    const newEmail = email('reset');
    const r = await s.call('POST', '/user/update', { body: { user_id: u.userId, password: 'an admin chosen passphrase', user_email: newEmail } });
    expect(r.status).toBe(200);
    expect((await signIn(newEmail, 'an admin chosen passphrase')).status).toBe(200);
  });
});

describe('item 13: a retry repairs what a failure half-way left', () => {
  test('a new team_member_budget reaches every membership, and a retry repairs the ones a failure left stale', async () => {
    const s = await testStack();
    const team = await newTeam(s);
    const members = await Promise.all([0, 1, 2, 3].map(() => s.userWithSession('internal_user')));
    await s.call('POST', '/team/member_add', { body: { team_id: team, member: members.map((m) => ({ user_id: m.userId, role: 'user' })) } });

    const update = s.deps.table.update.bind(s.deps.table);
    let memberWrites = 0;
    const spy = jest.spyOn(s.deps.table, 'update').mockImplementation(async (key, change) => {
      if (key.SK.startsWith('MEMBER#') && ++memberWrites === 2) throw new Error('injected: DynamoDB went away');
      return update(key, change);
    });
    const failed = await s.call('POST', '/team/update', { body: { team_id: team, team_member_budget: 5 } });
    spy.mockRestore();
    expect(failed.status).toBe(500);

    const retried = await s.call('POST', '/team/update', { body: { team_id: team, team_member_budget: 5 } });
    expect(retried.status).toBe(200);
    const memberships = (await s.call('GET', `/team/info?team_id=${team}`)).body.team_memberships;
    expect(memberships).toHaveLength(4);
    for (const m of memberships) expect({ user: m.user_id, remaining: m.remaining_budget }).toEqual({ user: m.user_id, remaining: 5 });
  });

  test('/user/new interrupted half-way through its default teams is completed by a retry, not refused with 409', async () => {
    const s = await testStack();
    const defaults = [await newTeam(s), await newTeam(s), await newTeam(s)];
    await s.call('PATCH', '/update/internal_user_settings', { body: { teams: defaults } });

    const transact = s.deps.table.transact.bind(s.deps.table);
    let joins = 0;
    const spy = jest.spyOn(s.deps.table, 'transact').mockImplementation(async (ops) => {
      const joining = ops.some((op) => 'put' in op && op.put.type === 'member');
      if (joining && ++joins === 2) throw new Error('injected: Lambda timed out');
      return transact(ops);
    });
    const address = email('retry');
    const body = { user_email: address, max_budget: 3 };
    const first = await s.call('POST', '/user/new', { body });
    spy.mockRestore();
    expect(first.status).toBe(500);

    const retry = await s.call('POST', '/user/new', { body });
    expect(retry.status).toBe(200);
    expect(retry.body.user_email).toBe(address);
    expect([...retry.body.teams].sort()).toEqual([...defaults].sort());
    expect(retry.body.key).toMatch(/^sk-/);
    // Once complete, the same email is a duplicate again.
    const again = await s.call('POST', '/user/new', { body });
    expect(expectError(again, 409).message).toMatch(/already exists/);
    expect((await s.call('GET', `/user/list?user_email=${encodeURIComponent(address)}`)).body.total).toBe(1);
  });
});

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
