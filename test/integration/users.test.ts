/**
 * The /user/* routes against a real DynamoDB Local table: LiteLLM's shapes and
 * field names, input validation (a refused request writes nothing), uniqueness
 * of emails, and who may do what.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../shared/db/keys';
import { expectError, testStack, type Reply, type TestStack } from '../support/stack';

const uniqueEmail = (tag = 'u') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;
const PASSWORD = 'correct horse battery staple';

/** Every user in the table, read through the API as the master key. */
async function allUsers(s: TestStack): Promise<any[]> {
  const r = await s.call('GET', '/user/list?page_size=100');
  expect(r.status).toBe(200);
  return r.body.users;
}

async function userInfo(s: TestStack, userId: string): Promise<Reply> {
  return s.call('GET', `/user/info?user_id=${encodeURIComponent(userId)}`);
}

async function createUser(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/user/new', { body: { user_email: uniqueEmail(), ...body } });
  expect(r.status).toBe(200);
  return r.body as { user_id: string; user_email: string; [k: string]: unknown };
}

async function signIn(s: TestStack, username: string, password: string): Promise<Reply> {
  return s.call('POST', '/v2/login', { token: null, body: { username, password } });
}

/** No storage-only attribute (password hash, table and index keys) anywhere in a response. */
function expectNoStorageFields(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/password/i);
  expect(text).not.toContain('scrypt$');
  expect(text).not.toMatch(/"(PK|SK|GSI\dPK|GSI\dSK|unique_guards|type)":/);
}

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

  describe('bad input: 400 in the envelope and nothing written', () => {
    const cases: Array<[string, Record<string, unknown>, string | null]> = [
      ['an unknown role', { user_role: 'super_admin' }, 'user_role'],
      ['a malformed email', { user_email: 'not-an-email' }, 'user_email'],
      ['a negative max_budget', { max_budget: -1 }, 'max_budget'],
      ['a max_budget that is not a number', { max_budget: 'ten' }, 'max_budget'],
      ['a budget_duration in years', { budget_duration: '5y' }, 'budget_duration'],
      ['a budget_duration of zero', { budget_duration: '0d' }, 'budget_duration'],
      ['a budget_duration that is not a duration', { budget_duration: 'monthly' }, 'budget_duration'],
      ['a user_id with spaces', { user_id: 'has spaces' }, 'user_id'],
      ['a negative tpm_limit', { tpm_limit: -5 }, 'tpm_limit'],
      ['models that is not a list', { models: 'gpt-4o' }, 'models'],
      ['a password that is too short', { password: 'short' }, 'password'],
    ];

    test.each(cases)('%s', async (_label, fields, param) => {
      const email = uniqueEmail('bad');
      const before = (await allUsers(s)).length;
      const r = await s.call('POST', '/user/new', { body: { user_email: email, ...fields } });
      const err = expectError(r, 400, 'bad_request_error');
      expect(err.param).toBe(param);
      expect((await allUsers(s)).length).toBe(before);
      expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(0);
      expect(await s.deps.table.get(keys.userEmail(email))).toBeUndefined();
    });

    test('a missing body', async () => {
      const before = (await allUsers(s)).length;
      expectError(await s.call('POST', '/user/new'), 400, 'bad_request_error');
      expect((await allUsers(s)).length).toBe(before);
    });

    test('a body that is not JSON', async () => {
      const before = (await allUsers(s)).length;
      // a JSON content type with no body at all
      expectError(await s.call('POST', '/user/new', { headers: { 'content-type': 'application/json' } }), 400, 'bad_request_error');
      // truncated JSON
      const raw = await s.app.request('http://onramp.test/user/new', {
        method: 'POST',
        headers: { authorization: `Bearer ${s.config.masterKey}`, 'content-type': 'application/json' },
        body: '{"user_email": "x@example.com",',
      });
      expect(raw.status).toBe(400);
      const body = (await raw.json()) as { error: { type: string; code: string } };
      expect(body.error).toMatchObject({ type: 'bad_request_error', code: '400' });
      // JSON sent as text/plain is not read as an empty body
      const plain = await s.app.request('http://onramp.test/user/new', {
        method: 'POST',
        headers: { authorization: `Bearer ${s.config.masterKey}`, 'content-type': 'text/plain' },
        body: JSON.stringify({ user_email: uniqueEmail() }),
      });
      expect(plain.status).toBe(400);
      expect((await allUsers(s)).length).toBe(before);
    });

    test('a JSON array instead of an object', async () => {
      const before = (await allUsers(s)).length;
      expectError(await s.call('POST', '/user/new', { body: [{ user_email: uniqueEmail() }] }), 400, 'bad_request_error');
      expect((await allUsers(s)).length).toBe(before);
    });
  });

  describe('uniqueness', () => {
    test('a duplicate email is a 409 and only one user is stored', async () => {
      const email = uniqueEmail('dup');
      const first = await s.call('POST', '/user/new', { body: { user_email: email } });
      expect(first.status).toBe(200);
      const again = await s.call('POST', '/user/new', { body: { user_email: email } });
      const err = expectError(again, 409);
      expect(err.message).toContain('already exists');
      expect(err.message).toContain(email);
      expect(err.param).toBe('user_email');
      const listed = await s.call('GET', `/user/list?user_email=${email}`);
      expect(listed.body.total).toBe(1);
      expect(listed.body.users[0].user_id).toBe(first.body.user_id);
    });

    test('the same email in another case is the same email', async () => {
      const email = uniqueEmail('case');
      expect((await s.call('POST', '/user/new', { body: { user_email: email } })).status).toBe(200);
      const again = await s.call('POST', '/user/new', { body: { user_email: email.toUpperCase() } });
      expect(expectError(again, 409).message).toContain('already exists');
      expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(1);
    });

    test('concurrent creations with one email: exactly one wins', async () => {
      const email = uniqueEmail('race');
      const replies = await Promise.all(Array.from({ length: 5 }, () => s.call('POST', '/user/new', { body: { user_email: email } })));
      expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
      expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(1);
    });

    test('a duplicate user_id is a 409 and the first user is untouched', async () => {
      const userId = `dup-${randomUUID().slice(0, 8)}`;
      const firstEmail = uniqueEmail();
      expect((await s.call('POST', '/user/new', { body: { user_id: userId, user_email: firstEmail } })).status).toBe(200);
      const secondEmail = uniqueEmail();
      const again = await s.call('POST', '/user/new', { body: { user_id: userId, user_email: secondEmail } });
      expect(expectError(again, 409).message).toContain('already exists');
      expect((await userInfo(s, userId)).body.user_info.user_email).toBe(firstEmail);
      // the failed creation did not claim the second email either
      expect(await s.deps.table.get(keys.userEmail(secondEmail))).toBeUndefined();
      expect((await s.call('POST', '/user/new', { body: { user_email: secondEmail } })).status).toBe(200);
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

  test('an unknown user is a 404 naming it', async () => {
    const err = expectError(await userInfo(s, 'no-such-user'), 404, 'not_found_error');
    expect(err.message).toBe('User no-such-user not found');
  });

  test('a malformed user_id is a 400', async () => {
    expectError(await s.call('GET', '/user/info?user_id=a%20b'), 400, 'bad_request_error');
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

  describe('bad input: 400 in the envelope and nothing written', () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['an unknown role', { user_role: 'root' }],
      ['a malformed email', { user_email: 'nope' }],
      ['a negative max_budget', { max_budget: -0.01 }],
      ['a bad budget_duration', { budget_duration: '3 months' }],
      ['a password that is too short', { password: 'tiny' }],
    ];
    test.each(cases)('%s', async (_label, fields) => {
      const u = await createUser(s, { max_budget: 7 });
      const before = (await userInfo(s, u.user_id)).body.user_info;
      expectError(await s.call('POST', '/user/update', { body: { user_id: u.user_id, ...fields } }), 400, 'bad_request_error');
      expect((await userInfo(s, u.user_id)).body.user_info).toEqual(before);
    });

    test('neither user_id nor user_email', async () => {
      expectError(await s.call('POST', '/user/update', { body: { max_budget: 1 } }), 400, 'bad_request_error');
    });

    test('a missing body', async () => {
      expectError(await s.call('POST', '/user/update'), 400, 'bad_request_error');
    });

    test('a password equal to the email', async () => {
      const u = await createUser(s);
      const r = await s.call('POST', '/user/update', { body: { user_id: u.user_id, password: u.user_email.toUpperCase() } });
      expect(expectError(r, 400, 'bad_request_error').param).toBe('password');
      expect((await s.deps.table.get<{ password_hash?: string }>(keys.user(u.user_id)))?.password_hash).toBeUndefined();
    });
  });

  describe('unknown users', () => {
    test('an unknown user_id is a 404 and creates nothing', async () => {
      const before = (await allUsers(s)).length;
      const err = expectError(await s.call('POST', '/user/update', { body: { user_id: 'ghost', max_budget: 1 } }), 404, 'not_found_error');
      expect(err.message).toContain('ghost');
      expect((await allUsers(s)).length).toBe(before);
      expect(await s.deps.table.get(keys.user('ghost'))).toBeUndefined();
    });

    test('an unknown user_email is a 404', async () => {
      expectError(await s.call('POST', '/user/update', { body: { user_email: 'ghost@example.com', max_budget: 1 } }), 404, 'not_found_error');
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

  test("a deleted user's session stops working at once", async () => {
    const u = await s.userWithSession('internal_user');
    expect((await s.call('GET', '/user/info', { token: u.token })).status).toBe(200);
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [u.userId] } })).status).toBe(200);
    expectError(await s.call('GET', '/user/info', { token: u.token }), 401, 'auth_error');
  });

  describe('bad input and unknown ids', () => {
    test('an unknown id is a 404 and nothing is deleted, not even the known ids beside it', async () => {
      const u = await createUser(s);
      const err = expectError(await s.call('POST', '/user/delete', { body: { user_ids: [u.user_id, 'ghost'] } }), 404, 'not_found_error');
      expect(err.message).toContain('ghost');
      expect((await userInfo(s, u.user_id)).status).toBe(200);
    });

    test('an empty list, a missing list and a missing body are 400s', async () => {
      const before = (await allUsers(s)).length;
      expectError(await s.call('POST', '/user/delete', { body: { user_ids: [] } }), 400, 'bad_request_error');
      expectError(await s.call('POST', '/user/delete', { body: {} }), 400, 'bad_request_error');
      expectError(await s.call('POST', '/user/delete', { body: { user_ids: 'abc' } }), 400, 'bad_request_error');
      expectError(await s.call('POST', '/user/delete'), 400, 'bad_request_error');
      expect((await allUsers(s)).length).toBe(before);
    });
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

  describe('bad input', () => {
    test.each([
      ['page_size=101'],
      ['page_size=0'],
      ['page=0'],
      ['page=abc'],
      ['role=owner'],
      ['sort_by=password_hash'],
      ['sort_order=up'],
    ])('%s is a 400', async (query) => {
      expectError(await s.call('GET', `/user/list?${query}`), 400, 'bad_request_error');
    });

    test('page_size=100 is allowed', async () => {
      const r = await s.call('GET', '/user/list?page_size=100');
      expect(r.status).toBe(200);
      expect(r.body.page_size).toBe(100);
    });
  });
});

describe('authorization', () => {
  type Actor = 'master_key' | 'proxy_admin' | 'proxy_admin_viewer' | 'internal_user' | 'internal_user_viewer' | 'anonymous';
  const ACTORS: Actor[] = ['master_key', 'proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer', 'anonymous'];
  type Session = { userId: string; email: string; token: string };

  let s: TestStack;
  const sessions = {} as Record<Exclude<Actor, 'master_key' | 'anonymous'>, Session>;
  /** The credential `call` should send for an actor. */
  const tokenOf = (actor: Actor): string | null | undefined =>
    actor === 'master_key' ? undefined : actor === 'anonymous' ? null : sessions[actor].token;
  const expectStatus = (r: Reply, status: number) => {
    if (status === 200) expect({ status: r.status, body: r.body }).toEqual({ status: 200, body: expect.anything() });
    else expectError(r, status, 'auth_error');
  };

  beforeAll(async () => {
    s = await testStack();
    for (const role of ['proxy_admin', 'proxy_admin_viewer', 'internal_user', 'internal_user_viewer'] as const) {
      sessions[role] = await s.userWithSession(role);
    }
  });

  describe('who may call each route', () => {
    const table: Array<[string, Record<Actor, number>]> = [
      ['POST /user/new', { master_key: 200, proxy_admin: 200, proxy_admin_viewer: 403, internal_user: 403, internal_user_viewer: 403, anonymous: 401 }],
      ['GET /user/info (another user)', { master_key: 200, proxy_admin: 200, proxy_admin_viewer: 200, internal_user: 403, internal_user_viewer: 403, anonymous: 401 }],
      ['POST /user/update (another user)', { master_key: 200, proxy_admin: 200, proxy_admin_viewer: 403, internal_user: 403, internal_user_viewer: 403, anonymous: 401 }],
      ['POST /user/delete (another user)', { master_key: 200, proxy_admin: 200, proxy_admin_viewer: 403, internal_user: 403, internal_user_viewer: 403, anonymous: 401 }],
      ['GET /user/list', { master_key: 200, proxy_admin: 200, proxy_admin_viewer: 200, internal_user: 403, internal_user_viewer: 403, anonymous: 401 }],
    ];
    const cases = table.flatMap(([route, byActor]) => ACTORS.map((actor) => [route, actor, byActor[actor]] as const));

    test.each(cases)('%s as %s → %i', async (route, actor, status) => {
      const token = tokenOf(actor);
      switch (route) {
        case 'POST /user/new': {
          const email = uniqueEmail('authz');
          expectStatus(await s.call('POST', '/user/new', { token, body: { user_email: email } }), status);
          expect((await s.call('GET', `/user/list?user_email=${email}`)).body.total).toBe(status === 200 ? 1 : 0);
          break;
        }
        case 'GET /user/info (another user)': {
          const other = await createUser(s);
          const r = await s.call('GET', `/user/info?user_id=${other.user_id}`, { token });
          expectStatus(r, status);
          if (status === 200) expect(r.body.user_id).toBe(other.user_id);
          break;
        }
        case 'POST /user/update (another user)': {
          const other = await createUser(s, { max_budget: 1 });
          expectStatus(await s.call('POST', '/user/update', { token, body: { user_id: other.user_id, max_budget: 99 } }), status);
          expect((await userInfo(s, other.user_id)).body.user_info.max_budget).toBe(status === 200 ? 99 : 1);
          break;
        }
        case 'POST /user/delete (another user)': {
          const other = await createUser(s);
          expectStatus(await s.call('POST', '/user/delete', { token, body: { user_ids: [other.user_id] } }), status);
          expect((await userInfo(s, other.user_id)).status).toBe(status === 200 ? 404 : 200);
          break;
        }
        case 'GET /user/list': {
          const r = await s.call('GET', '/user/list', { token });
          expectStatus(r, status);
          if (status === 200) expect(r.body.total).toBeGreaterThanOrEqual(4);
          break;
        }
      }
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
