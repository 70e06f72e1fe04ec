/** What the users test files share: fixtures and helpers. */
import { randomUUID } from 'node:crypto';
import { type Reply, type TestStack } from '../../support/stack';

export const uniqueEmail = (tag = 'u') => `${tag}-${randomUUID().slice(0, 8)}@example.com`;
export const PASSWORD = 'correct horse battery staple';

/** Every user in the table, read through the API as the master key. */
export async function allUsers(s: TestStack): Promise<any[]> {
  const r = await s.call('GET', '/user/list?page_size=100');
  expect(r.status).toBe(200);
  return r.body.users;
}

export async function userInfo(s: TestStack, userId: string): Promise<Reply> {
  return s.call('GET', `/user/info?user_id=${encodeURIComponent(userId)}`);
}

export async function createUser(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/user/new', { body: { user_email: uniqueEmail(), ...body } });
  expect(r.status).toBe(200);
  return r.body as { user_id: string; user_email: string; [k: string]: unknown };
}

export async function signIn(s: TestStack, username: string, password: string): Promise<Reply> {
  return s.call('POST', '/v2/login', { token: null, body: { username, password } });
}

/** No storage-only attribute (password hash, table and index keys) anywhere in a response. */
export function expectNoStorageFields(body: unknown) {
  const text = JSON.stringify(body);
  expect(text).not.toMatch(/password/i);
  expect(text).not.toContain('scrypt$');
  expect(text).not.toMatch(/"(PK|SK|GSI\dPK|GSI\dSK|unique_guards|type)":/);
}

// ---- the issue-9 cases' helpers (each takes its own stack)

export const PASSPHRASE = 'a long enough passphrase';
export const taggedEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** A new team's id, as the master key. */
export async function newTeamId(s: TestStack, body: Record<string, unknown> = {}) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: `team-${randomUUID().slice(0, 8)}`, ...body } });
  expect(r.status).toBe(200);
  return r.body.team_id as string;
}

export const userInfoOf = async (s: TestStack, userId: string) => (await s.call('GET', `/user/info?user_id=${userId}`)).body.user_info;
export const userIdOfEmail = async (s: TestStack, address: string) => {
  const r = await s.call('GET', `/user/list?user_email=${encodeURIComponent(address)}`);
  expect(r.body.total).toBe(1);
  return r.body.users[0].user_id as string;
};
