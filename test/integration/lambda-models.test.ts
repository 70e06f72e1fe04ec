/**
 * The model gateway Lambda (functions/models), invoked as a function URL in
 * RESPONSE_STREAM mode invokes it: the runtime's `awslambda.streamifyResponse` and
 * `HttpResponseStream` are provided here as the Lambda Node.js runtime provides them
 * (a writable stream per invocation; metadata first, then the body). Against DynamoDB Local.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { ensureTable, localClient } from '../../local/dynamodb';
import { keys } from '../../shared/db/keys';
import { buildDeps } from '../../shared/composition/services';
import { loadConfig } from '../../shared/config/config';
import { seedLocalModels } from '../../shared/models/config-file';

const MASTER_KEY = 'sk-lambda-models-master-key-0123456789';
type Captured = { metadata?: { statusCode: number; headers: Record<string, string> }; chunks: string[]; ended: boolean };
type StreamHandler = (event: unknown, context: unknown) => Promise<Captured>;

beforeAll(() => {
  (globalThis as any).awslambda = {
    streamifyResponse: (fn: (event: unknown, stream: Writable, context: unknown) => Promise<void>) => async (event: unknown, context: unknown) => {
      const captured: Captured = { chunks: [], ended: false };
      const stream = new Writable({
        write(chunk, _enc, done) {
          captured.chunks.push(Buffer.from(chunk).toString('utf8'));
          done();
        },
      });
      stream.on('finish', () => (captured.ended = true));
      (stream as any).captured = captured;
      await fn(event, stream, context);
      return captured;
    },
    HttpResponseStream: {
      from: (stream: Writable, metadata: Captured['metadata']) => {
        (stream as any).captured.metadata = metadata;
        return stream;
      },
    },
  };
});
afterAll(() => {
  delete (globalThis as any).awslambda;
});

/** A function URL event (payload 2.0). */
function urlEvent(method: string, path: string, token: string, body?: unknown) {
  const json = body === undefined ? undefined : JSON.stringify(body);
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abcdefgh.lambda-url.eu-west-1.on.aws', authorization: `Bearer ${token}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    requestContext: { accountId: 'anonymous', apiId: 'abcdefgh', domainName: 'abcdefgh.lambda-url.eu-west-1.on.aws', http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'test' }, requestId: randomUUID(), routeKey: '$default', stage: '$default', time: new Date().toUTCString(), timeEpoch: Date.now() },
    ...(json ? { body: json } : {}),
    isBase64Encoded: false,
  };
}

test('a streamed chat completion goes out as SSE, and its spend is settled before the stream ends', async () => {
  const endpoint = process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!;
  const tableName = `onramp-lambda-models-${randomUUID().slice(0, 8)}`;
  await ensureTable(localClient(endpoint), tableName);
  const env = { ONRAMP_MASTER_KEY: MASTER_KEY, ONRAMP_TABLE_NAME: tableName, ONRAMP_JWT_SECRET: 'lambda-models-jwt-secret-0123456789abcdef', ONRAMP_SES_SENDER: 'onramp@example.com', ONRAMP_DYNAMODB_ENDPOINT: endpoint };
  const deps = buildDeps(loadConfig(env));
  await seedLocalModels(deps.models, []);
  const saved = { ...process.env };
  Object.assign(process.env, env);
  let handler: StreamHandler | undefined;
  jest.isolateModules(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    handler = require('../../functions/models/index').handler as StreamHandler;
  });
  try {
    const created = await handler!(urlEvent('POST', '/user/new', MASTER_KEY, { user_email: 'lambda-models@example.com' }), {});
    expect(created.metadata?.statusCode).toBe(200);
    const user = JSON.parse(created.chunks.join(''));
    const out = await handler!(urlEvent('POST', '/v1/chat/completions', user.key, { model: 'onramp-local-echo', messages: [{ role: 'user', content: 'hi from lambda' }], stream: true }), {});
    expect(out.metadata?.statusCode).toBe(200);
    expect(out.metadata?.headers['content-type']).toContain('text/event-stream');
    const text = out.chunks.join('');
    expect(text).toContain('"content":"echo: "');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
    expect(out.ended).toBe(true);
    // Settled before the handler returned: Lambda may freeze the environment right after.
    const requestId = out.metadata!.headers['x-litellm-call-id']!;
    const record = await deps.table.get<{ cost: number; details: { estimated: boolean } }>(keys.request(requestId));
    expect(record?.cost).toBeGreaterThan(0);
    expect(record?.details.estimated).toBe(false);
  } finally {
    for (const k of Object.keys(env)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
