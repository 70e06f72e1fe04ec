/**
 * The API Lambda entry point, invoked the way API Gateway (HTTP API, payload 2.0)
 * invokes it, against DynamoDB Local. The module reads its configuration at load
 * (cold start), so the environment is set before it is required.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { ensureTable, localClient } from '../../local/dynamodb';

const MASTER_KEY = 'sk-lambda-test-master-key-0123456789';
const HOST = 'abc123def4.execute-api.eu-west-1.amazonaws.com';
type Handler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

/** An HTTP API v2 event as API Gateway sends it. */
function apiEvent(
  method: string,
  rawPath: string,
  o: { query?: string; body?: unknown; headers?: Record<string, string>; cookies?: string[]; auth?: string | null; base64?: boolean } = {},
): APIGatewayProxyEventV2 {
  const now = new Date();
  const json = o.body === undefined ? undefined : JSON.stringify(o.body);
  const headers: Record<string, string> = {
    accept: 'application/json',
    host: HOST,
    'user-agent': 'curl/8.5.0',
    'x-amzn-trace-id': `Root=1-${randomUUID().slice(0, 8)}-0123456789abcdef01234567`,
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
    ...(json !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(json)) } : {}),
    ...(o.auth === null ? {} : { authorization: `Bearer ${o.auth ?? MASTER_KEY}` }),
    ...o.headers,
  };
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath,
    rawQueryString: o.query ?? '',
    ...(o.cookies ? { cookies: o.cookies } : {}),
    headers,
    ...(o.query ? { queryStringParameters: Object.fromEntries(new URLSearchParams(o.query)) } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123def4',
      domainName: HOST,
      domainPrefix: 'abc123def4',
      http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: `${randomUUID().slice(0, 8)}=`,
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(json !== undefined ? { body: o.base64 ? Buffer.from(json).toString('base64') : json } : {}),
    isBase64Encoded: Boolean(o.base64),
  };
}

const lambdaContext = {
  callbackWaitsForEmptyEventLoop: true,
  functionName: 'onramp-api',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:onramp-api',
  memoryLimitInMB: '512',
  awsRequestId: randomUUID(),
  logGroupName: '/aws/lambda/onramp-api',
  logStreamName: '2027/01/01/[$LATEST]abcdef',
  getRemainingTimeInMillis: () => 29_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
} as Context;

const SAVED_ENV = { ...process.env };
const ENV_NAMES = ['ONRAMP_MASTER_KEY', 'ONRAMP_TABLE_NAME', 'ONRAMP_JWT_SECRET', 'ONRAMP_SES_SENDER', 'ONRAMP_DYNAMODB_ENDPOINT', 'ONRAMP_SES_ENDPOINT', 'PROXY_BASE_URL', 'PROXY_LOGOUT_URL', 'ONRAMP_MASTER_KEY_SECRET_ARN', 'ONRAMP_JWT_SECRET_ARN'];

/** Sets the function's environment, then loads the module fresh (a cold start). */
function coldStart(env: Record<string, string>): Handler {
  for (const name of ENV_NAMES) delete process.env[name];
  Object.assign(process.env, env);
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../functions/api/index').handler as Handler;
  });
  return handler!;
}

afterAll(() => {
  for (const name of ENV_NAMES) delete process.env[name];
  Object.assign(process.env, SAVED_ENV);
});

const json = (result: APIGatewayProxyStructuredResultV2) => JSON.parse(result.body ?? '');

describe('functions/api handler (API Gateway HTTP API, payload 2.0)', () => {
  let handler: Handler;
  const invoke = (event: APIGatewayProxyEventV2) => handler(event, lambdaContext);

  beforeAll(async () => {
    const endpoint = process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT;
    if (!endpoint) throw new Error('ONRAMP_TEST_DYNAMODB_ENDPOINT is not set: run through jest');
    const tableName = `onramp-lambda-${randomUUID().slice(0, 8)}`;
    await ensureTable(localClient(endpoint), tableName);
    handler = coldStart({
      ONRAMP_MASTER_KEY: MASTER_KEY,
      ONRAMP_TABLE_NAME: tableName,
      ONRAMP_JWT_SECRET: 'lambda-test-jwt-secret-long-enough-0123456789',
      ONRAMP_SES_SENDER: 'onramp@example.com',
      ONRAMP_DYNAMODB_ENDPOINT: endpoint,
      ...(process.env.ONRAMP_TEST_SES_ENDPOINT ? { ONRAMP_SES_ENDPOINT: process.env.ONRAMP_TEST_SES_ENDPOINT } : {}),
    });
  });

  test('POST /user/new then GET /user/info', async () => {
    const email = `lambda-${randomUUID().slice(0, 8)}@example.com`;
    const created = await invoke(apiEvent('POST', '/user/new', { body: { user_email: email, max_budget: 25, password: 'lambda passphrase 1' } }));
    expect(created.statusCode).toBe(200);
    expect(created.headers?.['content-type']).toMatch(/^application\/json/);
    expect(created.headers?.['x-request-id']).toEqual(expect.any(String));
    expect(created.isBase64Encoded).toBe(false);
    const user = json(created);
    expect(user).toMatchObject({ user_id: expect.any(String), user_email: email, user_role: 'internal_user', max_budget: 25, key: expect.stringMatching(/^sk-/), teams: [] });
    expect(created.body).not.toMatch(/password|scrypt/i);

    const info = await invoke(apiEvent('GET', '/user/info', { query: `user_id=${user.user_id}` }));
    expect(info.statusCode).toBe(200);
    expect(json(info)).toMatchObject({ user_id: user.user_id, user_info: { user_email: email, max_budget: 25 }, keys: [{ token: user.token }], teams: [] });
    // the key created with the user authenticates the next event
    const own = await invoke(apiEvent('GET', '/user/info', { auth: user.key }));
    expect(own.statusCode).toBe(200);
    expect(json(own).user_id).toBe(user.user_id);
  });

  test('a base64-encoded body is decoded', async () => {
    const email = `b64-${randomUUID().slice(0, 8)}@example.com`;
    const created = await invoke(apiEvent('POST', '/user/new', { body: { user_email: email }, base64: true }));
    expect(created.statusCode).toBe(200);
    expect(json(created).user_email).toBe(email);
  });

  test('/v2/login returns the session cookie in the v2 `cookies` array, and it authenticates later events', async () => {
    const login = await invoke(apiEvent('POST', '/v2/login', { auth: null, body: { username: 'admin', password: MASTER_KEY } }));
    expect(login.statusCode).toBe(200);
    expect(json(login)).toMatchObject({ redirect_url: '/ui', user_id: 'default_user_id', token: expect.any(String) });
    // payload 2.0: cookies travel in `cookies`, not as a Set-Cookie header
    expect(login.cookies).toHaveLength(1);
    const cookie = login.cookies![0]!;
    expect(cookie).toMatch(/^token=[^;]+;/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    expect(cookie).toMatch(/Secure/); // the request came over https
    expect(login.headers?.['set-cookie']).toBeUndefined();

    const token = /^token=([^;]+)/.exec(cookie)![1]!;
    expect(token).toBe(json(login).token);
    const list = await invoke(apiEvent('GET', '/user/list', { auth: null, cookies: [`token=${token}`], query: 'page_size=5' }));
    expect(list.statusCode).toBe(200);
    expect(json(list)).toMatchObject({ page: 1, page_size: 5, total: expect.any(Number) });
  });

  test('errors come back in the envelope with their status', async () => {
    const anonymous = await invoke(apiEvent('GET', '/user/info', { auth: null }));
    expect(anonymous.statusCode).toBe(401);
    expect(json(anonymous).error).toMatchObject({ type: 'auth_error', code: '401' });
    const missing = await invoke(apiEvent('GET', '/user/info', { query: 'user_id=nobody' }));
    expect(missing.statusCode).toBe(404);
    expect(json(missing).error).toMatchObject({ type: 'not_found_error', code: '404', message: 'User nobody not found' });
    const bad = await invoke(apiEvent('POST', '/user/new', { body: { user_role: 'emperor' } }));
    expect(bad.statusCode).toBe(400);
    expect(json(bad).error.param).toBe('user_role');
  });

  test('a redirect keeps its Location', async () => {
    const out = await invoke(apiEvent('GET', '/logout', { auth: null }));
    expect(out.statusCode).toBe(303);
    expect(out.headers?.location).toBe('/ui/login');
  });
});

describe('a cold start with a bad configuration', () => {
  test('fails with a message naming the variable', async () => {
    const handler = coldStart({
      ONRAMP_MASTER_KEY: 'bad',
      ONRAMP_TABLE_NAME: 'onramp-unused',
      ONRAMP_JWT_SECRET: 'lambda-test-jwt-secret-long-enough-0123456789',
      ONRAMP_SES_SENDER: 'onramp@example.com',
    });
    await expect(handler(apiEvent('GET', '/health/liveliness'), lambdaContext)).rejects.toThrow(/ONRAMP_MASTER_KEY/);
  });
});
