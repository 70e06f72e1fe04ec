/**
 * Bedrock's OpenAI-compatible endpoint signed with the function's own AWS credentials
 * (SigV4, service `bedrock`) when the model has no Bedrock API key. The model's api_base
 * points at the tests' local upstream, which records what it received; the signature is
 * recomputed here, independently, from the same credentials.
 */
import { createHash, createHmac } from 'node:crypto';
import OpenAI from 'openai';
import { serveOverHttp, startUpstream, type Upstream } from '../support/upstream';
import { testStack, type TestStack } from '../support/stack';

const AWS = { AWS_ACCESS_KEY_ID: 'AKIDONRAMPTESTKEY01', AWS_SECRET_ACCESS_KEY: 'onramp-test-secret-access-key/0123456789', AWS_SESSION_TOKEN: 'onramp-test-session-token' };
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const saved: Record<string, string | undefined> = {};

let upstream: Upstream;
let s: TestStack;
let server: Awaited<ReturnType<typeof serveOverHttp>>;
let secret: string;

beforeAll(async () => {
  // The default credential chain reads these first, as on Lambda (the role's credentials are in its environment).
  for (const [k, v] of Object.entries(AWS)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  upstream = await startUpstream();
  s = await testStack();
  server = await serveOverHttp(s.app);
  const models: Array<[string, Record<string, unknown>]> = [
    ['gpt-oss', { model: 'bedrock/mock-chat', api_base: `${upstream.url}/openai/v1`, aws_region_name: 'eu-west-1' }],
    ['gpt-oss-with-key', { model: 'bedrock/mock-chat', api_base: `${upstream.url}/openai/v1`, aws_region_name: 'eu-west-1', api_key: 'bedrock-api-key-123' }],
  ];
  for (const [name, params] of models) {
    expect((await s.call('POST', '/model/new', { body: { model_name: name, litellm_params: { ...params, ...PRICES } } })).status).toBe(200);
  }
  const key = await s.call('POST', '/key/generate', { body: { max_budget: 5 } });
  expect(key.status).toBe(200);
  secret = key.body.key;
});
afterAll(async () => {
  await server.close();
  await upstream.close();
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const client = () => new OpenAI({ apiKey: secret, baseURL: `${server.url}/v1`, maxRetries: 0 });
const sha256 = (data: string) => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/** SigV4 as AWS documents it: canonical request → string to sign → HMAC chain of the date, region, service. */
function expectedSignature(received: { method: string; path: string; headers: Record<string, string>; body: string }, signedHeaders: string[], amzDate: string, region: string, service: string) {
  const canonicalHeaders = signedHeaders.map((h) => `${h}:${String(received.headers[h]).trim().replace(/\s+/g, ' ')}\n`).join('');
  const canonicalRequest = [received.method, received.path, '', canonicalHeaders, signedHeaders.join(';'), sha256(received.body)].join('\n');
  const scope = `${amzDate.slice(0, 8)}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${AWS.AWS_SECRET_ACCESS_KEY}`, amzDate.slice(0, 8));
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  return createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
}

/** Checks the last request the upstream received carries a valid SigV4 signature for Bedrock in eu-west-1. */
function expectSignedForBedrock() {
  const headers = upstream.stats.lastHeaders as Record<string, string>;
  const auth = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(headers.authorization ?? '');
  expect(auth).not.toBeNull();
  const [, accessKey, date, region, service, signedList, signature] = auth!;
  expect({ accessKey, region, service }).toEqual({ accessKey: AWS.AWS_ACCESS_KEY_ID, region: 'eu-west-1', service: 'bedrock' });
  const signedHeaders = signedList!.split(';');
  expect(signedHeaders).toEqual(expect.arrayContaining(['content-type', 'host', 'x-amz-date', 'x-amz-security-token']));
  expect(headers['x-amz-security-token']).toBe(AWS.AWS_SESSION_TOKEN);
  const amzDate = headers['x-amz-date']!;
  expect(amzDate.slice(0, 8)).toBe(date);
  expect(Math.abs(Date.parse(amzDate.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')) - Date.now())).toBeLessThan(5 * 60_000);
  expect(upstream.stats.lastUrl).toBe('/openai/v1/chat/completions');
  expect(signature).toBe(expectedSignature({ method: 'POST', path: upstream.stats.lastUrl, headers, body: upstream.stats.lastRawBody }, signedHeaders, amzDate, 'eu-west-1', 'bedrock'));
  // The caller's virtual key never reaches the provider.
  expect(JSON.stringify(headers)).not.toContain(secret);
}

test('a bedrock/ model without api_key: the call is signed with SigV4 (the function role), and settles from usage', async () => {
  const res = await client().chat.completions.create({ model: 'gpt-oss', messages: [{ role: 'user', content: 'hi' }] });
  expect(res.choices[0]!.message.content).toBe('hello from upstream');
  expect(upstream.stats.lastBody.model).toBe('mock-chat');
  expectSignedForBedrock();
  // The tampered body would not verify: the signature covers the exact bytes sent.
  const headers = upstream.stats.lastHeaders as Record<string, string>;
  const signed = /SignedHeaders=([^,]+)/.exec(headers.authorization!)![1]!.split(';');
  expect(expectedSignature({ method: 'POST', path: upstream.stats.lastUrl, headers, body: upstream.stats.lastRawBody.replace('hi', 'ho') }, signed, headers['x-amz-date']!, 'eu-west-1', 'bedrock')).not.toBe(
    /Signature=(\w+)/.exec(headers.authorization!)![1],
  );
  const info = await s.call('GET', `/key/info?key=${secret}`);
  expect(info.body.info.spend).toBeCloseTo(12 * 0.000001 + 5 * 0.000002, 10);
});

test('streamed: the signed request asks for usage, and the stream is relayed', async () => {
  const stream = await client().chat.completions.create({ model: 'gpt-oss', messages: [{ role: 'user', content: 'stream please' }], stream: true });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
  expect(text).toBe('hello from upstream');
  expect(upstream.stats.lastBody).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  expectSignedForBedrock();
});

test('a bedrock/ model with a Bedrock API key sends it as Bearer, unsigned', async () => {
  await client().chat.completions.create({ model: 'gpt-oss-with-key', messages: [{ role: 'user', content: 'hi' }] });
  const headers = upstream.stats.lastHeaders as Record<string, string>;
  expect(headers.authorization).toBe('Bearer bedrock-api-key-123');
  expect(headers['x-amz-date']).toBeUndefined();
  expect(headers['x-amz-security-token']).toBeUndefined();
});
