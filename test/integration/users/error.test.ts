/**
 * The /user/* routes refusing what they must: bad input is a 400 in LiteLLM's
 * envelope and writes nothing, a second user with one email is a 409, unknown users
 * are 404s, and a failure half-way through a creation is completed by a retry.
 */
import { randomUUID } from 'node:crypto';
import { keys } from '../../../shared/db/keys';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { badInputSuite } from '../bad-input-suite';
import { uniqueEmail, allUsers, userInfo, createUser, taggedEmail, newTeamId } from './fixtures';

describe('POST /user/new', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
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

describe('bad input beside the team and key routes', () => {
  badInputSuite((c) => c.path.startsWith('/user/'));
});

describe('issue 9', () => {
  const email = taggedEmail;
  const newTeam = newTeamId;

  describe('item 13: a retry repairs what a failure half-way left', () => {
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
});
