/**
 * /v1/messages through the official `@anthropic-ai/sdk` (as Claude Code calls it):
 * onramp over real HTTP in front of a local Anthropic Messages upstream; key in
 * x-api-key or Bearer; errors in Anthropic's envelope; cost from the price database.
 */
import Anthropic from '@anthropic-ai/sdk';
import { calcPrice } from '@pydantic/genai-prices';
import type { SpendRecord } from '../../shared/spend/gateway';
import { keys } from '../../shared/db/keys';
import { serveOverHttp, startUpstream, type Upstream } from '../support/upstream';
import { testStack, type TestStack } from '../support/stack';

let upstream: Upstream;
let s: TestStack;
let server: Awaited<ReturnType<typeof serveOverHttp>>;

beforeAll(async () => {
  upstream = await startUpstream();
  s = await testStack();
  server = await serveOverHttp(s.app);
  // No prices on the model: they come from the price database (claude-sonnet-4-5 is in it).
  const r = await s.call('POST', '/model/new', { body: { model_name: 'claude', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: upstream.url, api_key: 'sk-ant-upstream' } } });
  expect(r.status).toBe(200);
  expect((await s.call('POST', '/model/new', { body: { model_name: 'other', litellm_params: { model: 'anthropic/claude-sonnet-4-5', api_base: upstream.url } } })).status).toBe(200);
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

async function key(maxBudget: number | null = null) {
  const team = await s.call('POST', '/team/new', { body: { models: ['claude'] } });
  const k = await s.call('POST', '/key/generate', { body: { team_id: team.body.team_id, max_budget: maxBudget } });
  return { secret: k.body.key as string, token: k.body.token as string };
}
const records = (token: string) => s.deps.table.queryAll<SpendRecord>({ index: 'GSI3', pk: `SPENDOF#${token}` });
// message_start: 10 input + 6 cache read; message_delta: 4 output (cumulative)
const expected = calcPrice({ input_tokens: 16, cache_read_tokens: 6, cache_write_tokens: 0, output_tokens: 4 }, 'claude-sonnet-4-5', { providerId: 'anthropic' })!.total_price;

test('non-stream, key in x-api-key: the answer, and cost from the price database with cache reads', async () => {
  const k = await key();
  const client = new Anthropic({ apiKey: k.secret, baseURL: server.url, maxRetries: 0 });
  const msg = await client.messages.create({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  expect(msg.content[0]).toMatchObject({ type: 'text', text: 'hello from claude' });
  expect(upstream.stats.lastHeaders['x-api-key']).toBe('sk-ant-upstream');
  expect(upstream.stats.lastHeaders['anthropic-version']).toBeDefined();
  const [record] = await records(k.token);
  expect(record).toMatchObject({ prompt_tokens: 16, completion_tokens: 4 });
  expect(record!.cost).toBeCloseTo(expected, 10);
  expect(record!.details).toMatchObject({ call_type: 'anthropic_messages', cached_tokens: 6, price_source: expect.stringContaining('anthropic/claude-sonnet-4-5'), estimated: false });
});

test("streaming, key as Bearer (Claude Code's ANTHROPIC_AUTH_TOKEN): events relayed, output taken from the last message_delta", async () => {
  const k = await key();
  const client = new Anthropic({ authToken: k.secret, apiKey: null, baseURL: server.url, maxRetries: 0 });
  const stream = client.messages.stream({ model: 'claude', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
  const final = await stream.finalMessage();
  expect(final.content[0]).toMatchObject({ text: 'hello from claude' });
  const [record] = await (async () => {
    for (let i = 0; i < 100; i++) {
      const r = await records(k.token);
      if (r.length) return r;
      await new Promise((res) => setTimeout(res, 20));
    }
    return [];
  })();
  expect(record).toMatchObject({ prompt_tokens: 16, completion_tokens: 4 });
  expect(record!.cost).toBeCloseTo(expected, 10);
  expect((await s.deps.table.get<{ reserved_spend: number }>(keys.key(k.token)))!.reserved_spend).toBe(0);
});

test("refusals in Anthropic's envelope: model not allowed (403 permission_error), budget (429 rate_limit_error), bad key (401)", async () => {
  const k = await key(0.000001);
  const client = new Anthropic({ apiKey: k.secret, baseURL: server.url, maxRetries: 0 });
  const denied = await client.messages.create({ model: 'other', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
  expect(denied).toBeInstanceOf(Anthropic.PermissionDeniedError);
  expect(denied.error).toMatchObject({ type: 'error', error: { type: 'permission_error', message: expect.stringContaining('team not allowed to access model') } });
  const broke = await client.messages.create({ model: 'claude', max_tokens: 1000, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
  expect(broke).toBeInstanceOf(Anthropic.RateLimitError);
  expect(broke.error.error.message).toMatch(/^Budget has been exceeded!/);
  const bad = await new Anthropic({ apiKey: 'sk-unknown-key-0000000000', baseURL: server.url, maxRetries: 0 }).messages.create({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
  expect(bad).toBeInstanceOf(Anthropic.AuthenticationError);
  expect(bad.error.error.type).toBe('authentication_error');
  const invalid = await fetch(`${server.url}/v1/messages`, { method: 'POST', headers: { 'x-api-key': k.secret, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'claude', messages: [] }) });
  expect(invalid.status).toBe(400);
  expect(await invalid.json()).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  expect(await records(k.token)).toEqual([]);
});

test('count_tokens answers an estimate for an active key, and costs nothing', async () => {
  const k = await key();
  const client = new Anthropic({ apiKey: k.secret, baseURL: server.url, maxRetries: 0 });
  const counted = await client.messages.countTokens({ model: 'claude', messages: [{ role: 'user', content: 'a'.repeat(400) }] });
  expect(counted.input_tokens).toBeGreaterThanOrEqual(100);
  expect(await records(k.token)).toEqual([]);
});
