/**
 * Who may do what with users: the role matrix of the /user/* routes, LiteLLM's
 * advisories on what non-admins must not do, sessions that die with their user,
 * LiteLLM's default_user_id giving no powers, and virtual keys that cannot change
 * their owner's credentials.
 */
import { keys } from '../../../shared/db/keys';
import { describeRoleMatrix, roleCallers, type RoleCallers } from '../../support/role-matrix';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { uniqueEmail, PASSWORD, userInfo, createUser, signIn, expectNoStorageFields, PASSPHRASE, taggedEmail, userInfoOf } from './fixtures';

describe('POST /user/delete', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test("a deleted user's session stops working at once", async () => {
    const u = await s.userWithSession('internal_user');
    expect((await s.call('GET', '/user/info', { token: u.token })).status).toBe(200);
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [u.userId] } })).status).toBe(200);
    expectError(await s.call('GET', '/user/info', { token: u.token }), 401, 'auth_error');
  });
});

describe('authorization', () => {
  type Actor = 'master_key' | 'proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer' | 'anonymous';
  const ACTORS: Actor[] = ['master_key', 'proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer', 'anonymous'];
  type Session = { userId: string; email: string; token: string };

  let s: TestStack;
  let c: RoleCallers;
  const sessions = {} as Record<Exclude<Actor, 'master_key' | 'anonymous'>, Session>;

  beforeAll(async () => {
    s = await testStack();
    c = await roleCallers(s);
    for (const role of ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const) {
      sessions[role] = c.users[role];
    }
  });

  describe('who may call each route', () => {
    describeRoleMatrix({
      callers: () => c,
      // prettier-ignore
      matrix: [
        //                                   master  admin  viewer  internal  iviewer  tadmin  member  outsider  other_key  anon
        ['POST /user/new',                    '200    200    403     403       403      403     403     403       403        401'],
        ['GET /user/info (another user)',     '200    200    200     403       403      403     403     403       403        401'],
        ['POST /user/update (another user)',  '200    200    403     403       403      403     403     403       403        401'],
        ['POST /user/delete (another user)',  '200    200    403     403       403      403     403     403       403        401'],
        ['GET /user/list',                    '200    200    200     403       403      403     403     403       403        401'],
      ],
      routes: {
        'POST /user/new': {
          fixture: async () => ({ email: uniqueEmail('authz') }),
          call: (f, token) => s.call('POST', '/user/new', { token, body: { user_email: f.email } }),
          after: async (f, _r, _role, status) => expect((await s.call('GET', `/user/list?user_email=${f.email}`)).body.total).toBe(status === 200 ? 1 : 0),
        },
        'GET /user/info (another user)': {
          fixture: () => createUser(s),
          call: (other, token) => s.call('GET', `/user/info?user_id=${other.user_id}`, { token }),
          onSuccess: async (other, r) => expect(r.body.user_id).toBe(other.user_id),
        },
        'POST /user/update (another user)': {
          fixture: () => createUser(s, { max_budget: 1 }),
          call: (other, token) => s.call('POST', '/user/update', { token, body: { user_id: other.user_id, max_budget: 99 } }),
          after: async (other, _r, _role, status) => expect((await userInfo(s, other.user_id)).body.user_info.max_budget).toBe(status === 200 ? 99 : 1),
        },
        'POST /user/delete (another user)': {
          fixture: () => createUser(s),
          call: (other, token) => s.call('POST', '/user/delete', { token, body: { user_ids: [other.user_id] } }),
          after: async (other, _r, _role, status) => expect((await userInfo(s, other.user_id)).status).toBe(status === 200 ? 404 : 200),
        },
        'GET /user/list': {
          call: (_f, token) => s.call('GET', '/user/list', { token }),
          onSuccess: async (_f, r) => expect(r.body.total).toBeGreaterThanOrEqual(4),
        },
      },
    });

    test.each(ACTORS.filter((a) => a !== 'anonymous' && a !== 'master_key'))('GET /user/info about yourself as %s → 200', async (actor) => {
      const me = sessions[actor as keyof typeof sessions];
      const r = await s.call('GET', `/user/info?user_id=${me.userId}`, { token: me.token });
      expect(r.status).toBe(200);
      expect(r.body.user_info.user_role).toBe(actor);
    });
  });

  describe("LiteLLM's advisories: what non-admins must not do", () => {
    test.each(['proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const)('%s cannot change their own role', async (role) => {
      const me = await s.userWithSession(role);
      const r = await s.call('POST', '/user/update', { token: me.token, body: { user_id: me.userId, user_role: 'proxy_admin' } });
      expect(expectError(r, 403, 'auth_error').message).toBe('Only proxy admins can modify user roles.');
      expect((await userInfo(s, me.userId)).body.user_info.user_role).toBe(role);
      // naming themselves by email instead of id changes nothing either
      const byEmail = await s.call('POST', '/user/update', { token: me.token, body: { user_email: me.email, user_role: 'proxy_admin' } });
      expect(expectError(byEmail, 403).message).toBe('Only proxy admins can modify user roles.');
      expect((await userInfo(s, me.userId)).body.user_info.user_role).toBe(role);
    });

    test("a proxy_admin_viewer cannot change another user's password", async () => {
      const viewer = sessions.proxy_admin_viewer;
      const victim = await createUser(s, { password: PASSWORD });
      const hashBefore = (await s.deps.table.get<{ password_hash: string }>(keys.user(victim.user_id)))?.password_hash;
      const r = await s.call('POST', '/user/update', { token: viewer.token, body: { user_id: victim.user_id, password: 'attacker chosen pass' } });
      expectError(r, 403, 'auth_error');
      const byEmail = await s.call('POST', '/user/update', { token: viewer.token, body: { user_email: victim.user_email, password: 'attacker chosen pass' } });
      expectError(byEmail, 403, 'auth_error');
      expect((await s.deps.table.get<{ password_hash: string }>(keys.user(victim.user_id)))?.password_hash).toBe(hashBefore);
    });

    test("an internal_user cannot change another user's email or password", async () => {
      const attacker = sessions.internal_user;
      const victim = await createUser(s);
      expectError(await s.call('POST', '/user/update', { token: attacker.token, body: { user_id: victim.user_id, user_email: uniqueEmail() } }), 403);
      expectError(await s.call('POST', '/user/update', { token: attacker.token, body: { user_id: victim.user_id, password: 'attacker chosen pass' } }), 403);
      expect((await userInfo(s, victim.user_id)).body.user_info.user_email).toBe(victim.user_email);
    });

    test.each(['proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const)('%s cannot create an admin', async (role) => {
      const me = sessions[role];
      for (const newRole of ['proxy_admin', 'proxy_admin_viewer']) {
        const email = uniqueEmail('escalate');
        expectError(await s.call('POST', '/user/new', { token: me.token, body: { user_email: email, user_role: newRole } }), 403, 'auth_error');
        expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(0);
      }
    });

    test.each(['internal_user', 'internal_user_viewer'] as const)("%s cannot read another user's info", async (role) => {
      const other = await createUser(s);
      const r = await s.call('GET', `/user/info?user_id=${other.user_id}`, { token: sessions[role].token });
      expectError(r, 403, 'auth_error');
      expect(JSON.stringify(r.body)).not.toContain(other.user_email);
    });

    test('a user cannot change their own budget, models or limits', async () => {
      const me = await s.userWithSession('internal_user', { max_budget: 10 });
      for (const change of [{ max_budget: 1e6 }, { budget_duration: '1d' }, { models: ['*'] }, { rpm_limit: 1e6 }, { metadata: { vip: true } }]) {
        const r = await s.call('POST', '/user/update', { token: me.token, body: { user_id: me.userId, ...change } });
        expectError(r, 403, 'auth_error');
      }
      expect((await userInfo(s, me.userId)).body.user_info).toMatchObject({ max_budget: 10, models: [], rpm_limit: null, budget_duration: null, metadata: {} });
    });

    test('a user can change their own email and password, and sign in with them', async () => {
      const me = await s.userWithSession('internal_user');
      const newEmail = uniqueEmail('self');
      const newPassword = 'my own new passphrase';
      const r = await s.call('POST', '/user/update', { token: me.token, body: { user_id: me.userId, user_email: newEmail, password: newPassword } });
      expect(r.status).toBe(200);
      expect(r.body.data).toMatchObject({ user_email: newEmail, user_role: 'internal_user' });
      expectNoStorageFields(r.body);
      const login = await signIn(s, newEmail, newPassword);
      expect(login.status).toBe(200);
      expect(login.body.user_id).toBe(me.userId);
    });

    test('a proxy_admin_viewer can change their own password', async () => {
      const me = await s.userWithSession('proxy_admin_viewer');
      const r = await s.call('POST', '/user/update', { token: me.token, body: { user_id: me.userId, password: 'viewer own passphrase' } });
      expect(r.status).toBe(200);
      expect((await signIn(s, me.email, 'viewer own passphrase')).status).toBe(200);
    });

    test('a demoted admin loses admin powers at once (the role is read on every request)', async () => {
      const admin = await s.userWithSession('proxy_admin');
      expect((await s.call('POST', '/user/new', { token: admin.token, body: { user_email: uniqueEmail() } })).status).toBe(200);
      expect((await s.call('POST', '/user/update', { body: { user_id: admin.userId, user_role: 'internal_user' } })).status).toBe(200);
      expectError(await s.call('POST', '/user/new', { token: admin.token, body: { user_email: uniqueEmail() } }), 403, 'auth_error');
      expectError(await s.call('GET', '/user/list', { token: admin.token }), 403, 'auth_error');
    });

    test('an unknown API key is a 401, not anonymous', async () => {
      const r = await s.call('GET', '/user/list', { token: 'sk-not-a-real-key-0000000000' });
      expectError(r, 401, 'auth_error');
    });
  });
});

describe('issue 9', () => {
  const PASSWORD = PASSPHRASE;
  const email = taggedEmail;
  const userInfo = userInfoOf;

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
});
