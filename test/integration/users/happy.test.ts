/**
 * The /user/* routes doing what they are for, against a real DynamoDB Local table:
 * LiteLLM's shapes and field names, what an update writes, what a delete takes with
 * it, listing and filtering, and the default user settings on every way in.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../../shared/db/keys';
import { lifecycle } from '../../support/lifecycle';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { uniqueEmail, PASSWORD, allUsers, userInfo, createUser, signIn, expectNoStorageFields, taggedEmail, newTeamId, userInfoOf, userIdOfEmail } from './fixtures';

describe('POST /user/new', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  describe('happy path', () => {
    test('creates a user with LiteLLM field names and defaults', async () => {
      const r = await s.call('POST', '/user/new', { body: { user_email: 'Ada.Lovelace@Example.com' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        user_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
        user_email: 'ada.lovelace@example.com',
        user_role: 'internal_user',
        teams: [],
        max_budget: null,
        spend: 0,
        key: expect.stringMatching(/^sk-/),
        token: expect.stringMatching(/^[0-9a-f]{64}$/),
        expires: null,
        models: [],
        budget_duration: null,
        budget_reset_at: null,
        metadata: {},
      });
      expectNoStorageFields(r.body);

      const info = await userInfo(s, r.body.user_id);
      expect(info.status).toBe(200);
      expect(info.body.user_info.user_email).toBe('ada.lovelace@example.com');
      // the auto-created personal key acts as the user
      const own = await s.call('GET', '/user/info', { token: r.body.key });
      expect(own.status).toBe(200);
      expect(own.body.user_id).toBe(r.body.user_id);
    });

    test('auto_create_key: false creates no key', async () => {
      const r = await s.call('POST', '/user/new', { body: { user_email: uniqueEmail(), auto_create_key: false } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ key: '', expires: null });
      expect((await userInfo(s, r.body.user_id)).body.keys).toEqual([]);
    });

    test('stores every given field', async () => {
      const userId = `custom-${randomUUID().slice(0, 8)}`;
      const r = await s.call('POST', '/user/new', {
        body: {
          user_id: userId,
          user_email: uniqueEmail(),
          user_alias: 'Grace',
          user_role: 'internal_user_viewer',
          max_budget: 12.5,
          models: ['gpt-4o', 'claude-sonnet'],
          tpm_limit: 1000,
          rpm_limit: 10,
          metadata: { department: 'research' },
        },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        user_id: userId,
        user_alias: 'Grace',
        user_role: 'internal_user_viewer',
        max_budget: 12.5,
        models: ['gpt-4o', 'claude-sonnet'],
        tpm_limit: 1000,
        rpm_limit: 10,
        metadata: { department: 'research' },
      });
      const info = await userInfo(s, userId);
      expect(info.body.user_info).toMatchObject({ user_alias: 'Grace', max_budget: 12.5, user_role: 'internal_user_viewer' });
    });

    test('a user without an email can be created', async () => {
      const r = await s.call('POST', '/user/new', { body: {} });
      expect(r.status).toBe(200);
      expect(r.body.user_email).toBeNull();
    });

    test('a password given at creation signs the user in, and is never returned', async () => {
      const email = uniqueEmail();
      const r = await s.call('POST', '/user/new', { body: { user_email: email, password: PASSWORD } });
      expect(r.status).toBe(200);
      expectNoStorageFields(r.body);
      const login = await signIn(s, email, PASSWORD);
      expect(login.status).toBe(200);
      expect(login.body.user_id).toBe(r.body.user_id);
    });
  });

  describe('budget_duration', () => {
    test('sets budget_reset_at by LiteLLM rules (1mo → the 1st of next month, UTC)', async () => {
      const fixed = await testStack({ clock: () => new Date('2027-01-31T12:00:00Z') });
      const r = await fixed.call('POST', '/user/new', { body: { user_email: uniqueEmail(), max_budget: 10, budget_duration: '1mo' } });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z', max_budget: 10 });
      const info = await userInfo(fixed, r.body.user_id);
      expect(info.body.user_info.budget_reset_at).toBe('2027-02-01T00:00:00.000Z');
    });
  });
});

describe('GET /user/info', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('returns {user_id, user_info, keys, teams} with no password hash anywhere', async () => {
    const created = await createUser(s, { password: PASSWORD, user_alias: 'Info' });
    const r = await userInfo(s, created.user_id);
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['keys', 'teams', 'user_id', 'user_info']);
    expect(r.body.user_id).toBe(created.user_id);
    // the personal key created with the user, by its hash only: the secret is shown once, at creation
    expect(r.body.keys).toHaveLength(1);
    expect(r.body.keys[0]).toMatchObject({ token: created.token, user_id: created.user_id });
    expect(JSON.stringify(r.body)).not.toContain(created.key as string);
    expect(r.body.teams).toEqual([]);
    expect(r.body.user_info).toMatchObject({
      user_id: created.user_id,
      user_email: created.user_email,
      user_alias: 'Info',
      user_role: 'internal_user',
      spend: 0,
      max_budget: null,
      teams: [],
    });
    expectNoStorageFields(r.body);
    // the hash is stored, just never shown
    const stored = await s.deps.table.get<{ password_hash?: string }>(keys.user(created.user_id));
    expect(stored?.password_hash).toMatch(/^scrypt\$/);
  });

  test('without user_id a user gets their own record', async () => {
    const me = await s.userWithSession('internal_user');
    const r = await s.call('GET', '/user/info', { token: me.token });
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(me.userId);
    expect(r.body.user_info.user_email).toBe(me.email);
  });
});

describe('POST /user/update', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  describe('happy path', () => {
    test('writes only the fields given and answers {user_id, data}', async () => {
      const u = await createUser(s, { user_alias: 'Before', max_budget: 5, models: ['gpt-4o'] });
      const r = await s.call('POST', '/user/update', { body: { user_id: u.user_id, max_budget: 50 } });
      expect(r.status).toBe(200);
      expect(r.body.user_id).toBe(u.user_id);
      expect(r.body.data).toMatchObject({ user_id: u.user_id, max_budget: 50, user_alias: 'Before', models: ['gpt-4o'], user_email: u.user_email });
      expectNoStorageFields(r.body);
      const info = await userInfo(s, u.user_id);
      expect(info.body.user_info).toMatchObject({ max_budget: 50, user_alias: 'Before', models: ['gpt-4o'], user_role: 'internal_user' });
    });

    test('a user can be named by user_email instead of user_id', async () => {
      const u = await createUser(s);
      const r = await s.call('POST', '/user/update', { body: { user_email: u.user_email.toUpperCase(), user_alias: 'By email' } });
      expect(r.status).toBe(200);
      expect(r.body.user_id).toBe(u.user_id);
      expect((await userInfo(s, u.user_id)).body.user_info.user_alias).toBe('By email');
    });

    test('an admin can change a role', async () => {
      const u = await createUser(s);
      const r = await s.call('POST', '/user/update', { body: { user_id: u.user_id, user_role: 'proxy_admin_viewer' } });
      expect(r.status).toBe(200);
      expect((await userInfo(s, u.user_id)).body.user_info.user_role).toBe('proxy_admin_viewer');
    });

    test('budget_duration recomputes budget_reset_at; null clears it', async () => {
      const fixed = await testStack({ clock: () => new Date('2027-03-10T08:30:00Z') });
      const u = await createUser(fixed);
      const monthly = await fixed.call('POST', '/user/update', { body: { user_id: u.user_id, budget_duration: '30d' } });
      expect(monthly.status).toBe(200);
      expect(monthly.body.data).toMatchObject({ budget_duration: '30d', budget_reset_at: '2027-04-01T00:00:00.000Z' });
      const daily = await fixed.call('POST', '/user/update', { body: { user_id: u.user_id, budget_duration: '1d' } });
      expect(daily.body.data).toMatchObject({ budget_duration: '1d', budget_reset_at: '2027-03-11T00:00:00.000Z' });
      const cleared = await fixed.call('POST', '/user/update', { body: { user_id: u.user_id, budget_duration: null } });
      expect(cleared.status).toBe(200);
      expect(cleared.body.data).toMatchObject({ budget_duration: null, budget_reset_at: null });
      const stored = await fixed.deps.table.get<Record<string, unknown>>(keys.user(u.user_id));
      expect(stored?.GSI4PK).toBeUndefined();
    });

    test('an email change frees the old email and claims the new one', async () => {
      const u = await createUser(s);
      const oldEmail = u.user_email;
      const newEmail = uniqueEmail('moved');
      const r = await s.call('POST', '/user/update', { body: { user_id: u.user_id, user_email: newEmail } });
      expect(r.status).toBe(200);
      expect(r.body.data.user_email).toBe(newEmail);
      // the new email is now taken ...
      expect(expectError(await s.call('POST', '/user/new', { body: { user_email: newEmail } }), 409).message).toContain('already exists');
      // ... and the old one is free
      const reuse = await s.call('POST', '/user/new', { body: { user_email: oldEmail } });
      expect(reuse.status).toBe(200);
      expect(reuse.body.user_id).not.toBe(u.user_id);
    });

    test('a user created without an email can be given one, which is then claimed', async () => {
      const bare = await s.call('POST', '/user/new', { body: {} });
      const email = uniqueEmail('late');
      const r = await s.call('POST', '/user/update', { body: { user_id: bare.body.user_id, user_email: email } });
      expect(r.status).toBe(200);
      expect(r.body.data.user_email).toBe(email);
      expectError(await s.call('POST', '/user/new', { body: { user_email: email } }), 409);
    });

    test('two users racing for one new email: exactly one gets it', async () => {
      const a = await createUser(s);
      const b = await createUser(s);
      const email = uniqueEmail('contested');
      const replies = await Promise.all([a, b].map((u) => s.call('POST', '/user/update', { body: { user_id: u.user_id, user_email: email } })));
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
      expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(1);
    });

    test("changing to another user's email is a 409 and changes nothing", async () => {
      const a = await createUser(s);
      const b = await createUser(s);
      const r = await s.call('POST', '/user/update', { body: { user_id: a.user_id, user_email: b.user_email.toUpperCase(), user_alias: 'x' } });
      expect(expectError(r, 409).message).toContain('already exists');
      expect((await userInfo(s, a.user_id)).body.user_info).toMatchObject({ user_email: a.user_email, user_alias: null });
      // a still owns its email
      expectError(await s.call('POST', '/user/new', { body: { user_email: a.user_email } }), 409);
    });

    test('a password set by update signs the user in (/v2/login); the old one no longer does', async () => {
      const u = await createUser(s, { password: PASSWORD });
      const newPassword = 'a brand new passphrase';
      const r = await s.call('POST', '/user/update', { body: { user_id: u.user_id, password: newPassword } });
      expect(r.status).toBe(200);
      expectNoStorageFields(r.body);
      const ok = await signIn(s, u.user_email, newPassword);
      expect(ok.status).toBe(200);
      expect(ok.body.user_id).toBe(u.user_id);
      expect(expectError(await signIn(s, u.user_email, PASSWORD), 401).message).toBe('Invalid credentials used to access UI.');
    });
  });
});

describe('POST /user/delete', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('removes the user, its keys and its email guard; the email can be used again', async () => {
    const u = await createUser(s);
    expect((await s.call('GET', '/user/info', { token: u.key as string })).status).toBe(200);
    const r = await s.call('POST', '/user/delete', { body: { user_ids: [u.user_id] } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ deleted_users: [u.user_id] });
    expectError(await userInfo(s, u.user_id), 404, 'not_found_error');
    expect(await s.deps.table.get(keys.user(u.user_id))).toBeUndefined();
    expect(await s.deps.table.get(keys.userEmail(u.user_email))).toBeUndefined();
    expect(await s.deps.table.get(keys.key(u.token as string))).toBeUndefined();
    expectError(await s.call('GET', '/user/info', { token: u.key as string }), 401, 'auth_error');
    expect((await allUsers(s)).map((x) => x.user_id)).not.toContain(u.user_id);
    const again = await s.call('POST', '/user/new', { body: { user_email: u.user_email } });
    expect(again.status).toBe(200);
  });

  test('deletes several users at once', async () => {
    const a = await createUser(s);
    const b = await createUser(s);
    const r = await s.call('POST', '/user/delete', { body: { user_ids: [a.user_id, b.user_id] } });
    expect(r.status).toBe(200);
    expect([...r.body.deleted_users].sort()).toEqual([a.user_id, b.user_id].sort());
    expectError(await userInfo(s, a.user_id), 404);
    expectError(await userInfo(s, b.user_id), 404);
  });

  test('after an email change, delete frees the new email', async () => {
    const u = await createUser(s);
    const newEmail = uniqueEmail('renamed');
    expect((await s.call('POST', '/user/update', { body: { user_id: u.user_id, user_email: newEmail } })).status).toBe(200);
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [u.user_id] } })).status).toBe(200);
    expect((await s.call('POST', '/user/new', { body: { user_email: newEmail } })).status).toBe(200);
  });
});

describe('GET /user/list', () => {
  let s: TestStack;
  const made: Array<{ user_id: string; user_email: string; role: string }> = [];
  beforeAll(async () => {
    s = await testStack();
    const roles = ['internal_user', 'internal_user', 'internal_user_viewer', 'proxy_admin_viewer', 'internal_user', 'proxy_admin', 'internal_user'];
    for (const [i, role] of roles.entries()) {
      const email = i === 0 ? 'zeta.findme@example.com' : i === 3 ? 'alpha.FINDME@example.com' : uniqueEmail(`list${i}`);
      const u = await createUser(s, { user_email: email, user_role: role });
      made.push({ user_id: u.user_id, user_email: u.user_email, role });
    }
  });

  test('answers {users, total, page, page_size, total_pages} with defaults page=1, page_size=25', async () => {
    const r = await s.call('GET', '/user/list');
    expect(r.status).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(['page', 'page_size', 'total', 'total_pages', 'users']);
    expect(r.body).toMatchObject({ total: made.length, page: 1, page_size: 25, total_pages: 1 });
    expect(r.body.users.map((u: any) => u.user_id)).toEqual(made.map((u) => u.user_id));
    for (const u of r.body.users) {
      expect(u).toMatchObject({ user_id: expect.any(String), user_role: expect.any(String), spend: 0, teams: [] });
    }
    expectNoStorageFields(r.body);
  });

  test('pages through every user exactly once', async () => {
    const seen: string[] = [];
    for (let page = 1; page <= 3; page++) {
      const r = await s.call('GET', `/user/list?page=${page}&page_size=3`);
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ total: made.length, page, page_size: 3, total_pages: 3 });
      expect(r.body.users.length).toBe(page < 3 ? 3 : made.length - 6);
      seen.push(...r.body.users.map((u: any) => u.user_id));
    }
    expect(seen).toEqual(made.map((u) => u.user_id));
    const beyond = await s.call('GET', '/user/list?page=4&page_size=3');
    expect(beyond.status).toBe(200);
    expect(beyond.body).toMatchObject({ users: [], total: made.length, page: 4 });
  });

  test('sorts on request', async () => {
    const r = await s.call('GET', '/user/list?sort_by=user_email&sort_order=desc');
    const emails = r.body.users.map((u: any) => u.user_email);
    expect(emails).toEqual([...emails].sort().reverse());
  });

  test('filters by role', async () => {
    const r = await s.call('GET', '/user/list?role=internal_user');
    expect(r.status).toBe(200);
    const expected = made.filter((u) => u.role === 'internal_user').map((u) => u.user_id);
    expect(r.body.total).toBe(expected.length);
    expect(r.body.users.map((u: any) => u.user_id)).toEqual(expected);
    expect(r.body.users.every((u: any) => u.user_role === 'internal_user')).toBe(true);
  });

  test('filters by part of an email, whatever its case', async () => {
    const r = await s.call('GET', '/user/list?user_email=FindMe');
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.users.map((u: any) => u.user_email).sort()).toEqual(['alpha.findme@example.com', 'zeta.findme@example.com']);
  });

  test('filters by a comma-separated list of user_ids', async () => {
    const wanted = [made[1]!.user_id, made[4]!.user_id];
    const r = await s.call('GET', `/user/list?user_ids=${wanted.join(',')},unknown-id`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(2);
    expect(r.body.users.map((u: any) => u.user_id).sort()).toEqual([...wanted].sort());
  });

  test('combines filters', async () => {
    const r = await s.call('GET', `/user/list?role=proxy_admin_viewer&user_email=findme`);
    expect(r.body.total).toBe(1);
    expect(r.body.users[0].user_email).toBe('alpha.findme@example.com');
  });
});

describe('team life cycle', () => {
  let now = new Date('2027-01-31T15:00:00Z');
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack({ clock: () => now });
  });

  const { uid, ok, newUser, newTeam, addMember, newKey, keyStatus, teamInfo, memberIds } = lifecycle(() => s);

  describe('/user/delete', () => {
    test("removes the user's keys and memberships; teams no longer list them", async () => {
      const t1 = await newTeam();
      const t2 = await newTeam();
      const gone = await newUser();
      const stay = await newUser();
      await addMember(t1.team_id, gone.user_id, 'admin');
      await addMember(t2.team_id, gone.user_id);
      await addMember(t1.team_id, stay.user_id);
      const k1 = await newKey(gone.user_id, t1.team_id);
      const k2 = await newKey(gone.user_id, t2.team_id, { key_alias: `ud-${uid()}` });
      const kp = await newKey(gone.user_id, null);
      const ks = await newKey(stay.user_id, t1.team_id);

      const r = await s.call('POST', '/user/delete', { body: { user_ids: [gone.user_id] } });
      expect(r.status).toBe(200);

      expectError(await s.call('GET', `/user/info?user_id=${gone.user_id}`), 404, 'not_found_error');
      for (const k of [k1, k2, kp]) {
        expect(await keyStatus(k.token)).toBe(404);
        expectError(await s.call('GET', '/user/info', { token: k.secret }), 401);
      }
      expect(await keyStatus(ks.token)).toBe(200);
      const t1Info = await teamInfo(t1.team_id);
      expect(memberIds(t1Info)).toEqual([stay.user_id]);
      expect(t1Info.team_memberships.map((m: any) => m.user_id)).toEqual([stay.user_id]);
      expect(t1Info.keys.map((k: any) => k.token)).toEqual([ks.token]);
      const t2Info = await teamInfo(t2.team_id);
      expect(memberIds(t2Info)).toEqual([]);
      expect(t2Info.team_memberships).toEqual([]);
      expect(t2Info.keys).toEqual([]);
      expect(ok(await s.call('GET', `/key/list?user_id=${gone.user_id}`), 'list').total_count).toBe(0);
      // The email is free again.
      expect((await s.call('POST', '/user/new', { body: { user_email: gone.user_email, auto_create_key: false } })).status).toBe(200);
    });
  });
});

describe('issue 9', () => {
  const email = taggedEmail;
  const newTeam = newTeamId;
  const userInfo = userInfoOf;
  const userIdByEmail = userIdOfEmail;

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
});
