import { randomUUID } from 'node:crypto';
import { ensureTable, localClient } from '../../local/dynamodb';
import { loadConfig } from '../../shared/config/config';
import type { Mailer } from '../../shared/email/mailer';
import { createApp } from '../../shared/http/core/app';
import type { CredentialStore } from '../../shared/models/credentials';
import { buildDeps, type Deps } from '../../shared/composition/services';

export const MASTER_KEY = 'sk-test-master-key-0123456789';
export const JWT_SECRET = 'test-jwt-secret-that-is-long-enough-0123456789';

export type Reply<T = any> = { status: number; body: T; headers: Headers };
export type CallOptions = { body?: unknown; form?: Record<string, string>; token?: string | null; headers?: Record<string, string> };

/**
 * A fresh table in the run's DynamoDB Local and the real app on it, called
 * in-process through `app.request` (same code path as the Lambda and the server).
 */
export async function testStack(opts: { env?: Record<string, string>; clock?: () => Date; mailer?: Mailer; credentials?: CredentialStore } = {}) {
  const endpoint = process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT;
  if (!endpoint) throw new Error('ONRAMP_TEST_DYNAMODB_ENDPOINT is not set: run the tests through jest (globalSetup starts DynamoDB Local)');
  const tableName = `onramp-test-${randomUUID().slice(0, 8)}`;
  await ensureTable(localClient(endpoint), tableName);
  const config = loadConfig({
    ONRAMP_MASTER_KEY: MASTER_KEY,
    ONRAMP_TABLE_NAME: tableName,
    ONRAMP_JWT_SECRET: JWT_SECRET,
    ONRAMP_SES_SENDER: 'onramp@example.com',
    ONRAMP_DYNAMODB_ENDPOINT: endpoint,
    ONRAMP_SES_ENDPOINT: process.env.ONRAMP_TEST_SES_ENDPOINT,
    PROXY_BASE_URL: 'http://onramp.test',
    ...opts.env,
  });
  const deps: Deps = buildDeps(config, { clock: opts.clock, mailer: opts.mailer, credentials: opts.credentials });
  const app = createApp(deps);

  async function call<T = any>(method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...o.headers };
    const token = o.token === undefined ? MASTER_KEY : o.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (o.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(o.form).toString();
    } else if (o.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(o.body);
    }
    const res = await app.request(`http://onramp.test${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T, headers: res.headers };
  }

  /**
   * Creates a user (as the master key) and a session token for them. The token is
   * issued directly so that suites with many users don't pay scrypt for each; the
   * sign-in route itself is tested in auth.test.ts.
   */
  async function userWithSession(role: string, extra: Record<string, unknown> = {}) {
    const email = `${role}-${randomUUID().slice(0, 8)}@example.com`;
    const created = await call('POST', '/user/new', { body: { user_email: email, user_role: role, ...extra } });
    if (created.status !== 200) throw new Error(`could not create ${role}: ${JSON.stringify(created.body)}`);
    const { token } = await deps.sessions.issue(created.body.user_id);
    return { userId: created.body.user_id as string, email, token };
  }

  return { app, deps, config, tableName, call, userWithSession };
}

export type TestStack = Awaited<ReturnType<typeof testStack>>;

/** Asserts LiteLLM's error envelope (exactly its four fields) and returns the error. */
export function expectError(reply: Reply, status: number, type?: string) {
  expect({ status: reply.status, body: reply.body }).toEqual({ status, body: { error: expect.any(Object) } });
  const err = reply.body.error;
  expect(Object.keys(err).sort()).toEqual(['code', 'message', 'param', 'type']);
  expect(err.code).toBe(String(status));
  expect(typeof err.message).toBe('string');
  expect(err.message.length).toBeGreaterThan(0);
  if (type) expect(err.type).toBe(type);
  return err as { message: string; type: string; param: string | null; code: string };
}
