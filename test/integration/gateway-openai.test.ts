/**
 * The model gateway through the official `openai` client: onramp served over real HTTP,
 * in front of a local OpenAI-compatible upstream (real HTTP, SSE, usage chunks).
 * Every call reserves its worst case and settles what the provider reports.
 */
import OpenAI from 'openai';
import { keys } from '../../shared/db/keys';
import type { SpendRecord } from '../../shared/spend/gateway';
import { serveOverHttp, startUpstream, type Upstream } from '../support/upstream';
import { testStack, type TestStack } from '../support/stack';

// $1 and $2 per million prompt / completion tokens.
const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
const MODELS: Array<[string, string, Record<string, unknown>?]> = [
  ['gpt-test', 'mock-chat'],
  ['holder', 'mock-hold'],
  ['drip', 'mock-drip'],
  ['failing', 'mock-fail'],
  ['slowpoke', 'mock-slow', { timeout: 0.5 }],
  ['patient', 'mock-slow', { timeout: 60 }],
  ['embed-test', 'mock-embed'],
  ['not-for-team', 'mock-chat'],
];

let upstream: Upstream;
let s: TestStack;
let server: Awaited<ReturnType<typeof serveOverHttp>>;

beforeAll(async () => {
  upstream = await startUpstream();
  s = await testStack();
  server = await serveOverHttp(s.app);
  for (const [name, upstreamModel, extra] of MODELS) {
    const r = await s.call('POST', '/model/new', {
      body: { model_name: name, litellm_params: { model: `openai/${upstreamModel}`, api_base: `${upstream.url}/v1`, api_key: 'sk-upstream-credential', ...PRICES, ...extra } },
    });
    expect(r.status).toBe(200);
  }
});
afterAll(async () => {
  await server.close();
  await upstream.close();
});

/** A team allowed every model but one, a member in it, and a key with `keyBudget`. */
async function teamKey(keyBudget: number | null = null, keyExtra: Record<string, unknown> = {}) {
  const models = MODELS.map(([n]) => n).filter((n) => n !== 'not-for-team');
  const team = await s.call('POST', '/team/new', { body: { models, max_budget: 100, team_member_permissions: ['/key/generate'] } });
  const user = await s.userWithSession('internal_user');
  await s.call('POST', '/team/member_add', { body: { team_id: team.body.team_id, member: { user_id: user.userId } } });
  const key = await s.call('POST', '/key/generate', { token: user.token, body: { team_id: team.body.team_id, max_budget: keyBudget, ...keyExtra } });
  expect(key.status).toBe(200);
  return { secret: key.body.key as string, token: key.body.token as string, teamId: team.body.team_id as string, userId: user.userId };
}

const client = (secret: string) => new OpenAI({ apiKey: secret, baseURL: `${server.url}/v1`, maxRetries: 0 });

async function recordsOf(token: string) {
  return s.deps.table.queryAll<SpendRecord>({ index: 'GSI3', pk: `SPENDOF#${token}` });
}
async function keyItem(token: string) {
  return (await s.deps.table.get<{ spend: number; reserved_spend: number }>(keys.key(token)))!;
}

/** Resolves when `check` holds (the record is written as the stream closes, just after the client's last byte). */
async function eventually<T>(check: () => Promise<T | undefined | false>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('chat completions', () => {
  test('non-stream: the answer, LiteLLM headers, and the cost settled from usage', async () => {
    const k = await teamKey();
    const { data, response } = await client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    expect(data.choices[0]!.message.content).toBe('hello from upstream');
    // 12 prompt tokens × $1/M + 5 completion × $2/M
    expect(Number(response.headers.get('x-litellm-response-cost'))).toBeCloseTo(0.000022, 10);
    expect(response.headers.get('x-litellm-model-group')).toBe('gpt-test');
    const [record] = await recordsOf(k.token);
    expect(record).toMatchObject({ request_id: response.headers.get('x-litellm-call-id'), model: 'gpt-test', prompt_tokens: 12, completion_tokens: 5 });
    expect(record!.cost).toBeCloseTo(0.000022, 10);
    expect(record!.details).toMatchObject({ call_type: 'acompletion', status: 'success', estimated: false, cached_tokens: 4, price_source: 'model', price_database: expect.stringMatching(/^@pydantic\/genai-prices@/), upstream_model: 'mock-chat', custom_llm_provider: 'openai' });
    expect(await keyItem(k.token)).toMatchObject({ reserved_spend: 0 });
    expect((await keyItem(k.token)).spend).toBeCloseTo(0.000022, 10);
    // The upstream got the model's own credential and upstream name, never the caller's key.
    expect(upstream.stats.lastHeaders.authorization).toBe('Bearer sk-upstream-credential');
    expect(upstream.stats.lastBody.model).toBe('mock-chat');
  });

  test('/chat/completions without /v1 works too', async () => {
    const k = await teamKey();
    const res = await fetch(`${server.url}/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${k.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).choices[0].message.content).toBe('hello from upstream');
  });

  test('stream without include_usage: onramp asks upstream for usage, strips the usage chunk, settles the reported cost', async () => {
    const k = await teamKey();
    const stream = await client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('hello from upstream');
    expect(chunks.every((c) => c.choices.length === 1 && !('usage' in c))).toBe(true);
    expect(upstream.stats.lastBody.stream_options).toEqual({ include_usage: true });
    const [record] = await eventually(async () => (await recordsOf(k.token)).length === 1 && recordsOf(k.token));
    expect(record!.cost).toBeCloseTo(0.000022, 10);
    expect(record!.details).toMatchObject({ estimated: false, status: 'success' });
  });

  test('stream with include_usage: the last chunk carries usage and its cost', async () => {
    const k = await teamKey();
    const stream = await client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5 });
    expect((last.usage as any).cost).toBeCloseTo(0.000022, 10);
  });
});

describe('embeddings and models', () => {
  test('embeddings are charged for their prompt tokens', async () => {
    const k = await teamKey();
    const out = await client(k.secret).embeddings.create({ model: 'embed-test', input: ['a', 'b'] });
    expect(out.data).toHaveLength(2);
    const [record] = await recordsOf(k.token);
    expect(record).toMatchObject({ prompt_tokens: 8, completion_tokens: 0 });
    expect(record!.cost).toBeCloseTo(0.000008, 10);
    expect(record!.details).toMatchObject({ call_type: 'aembedding' });
  });

  test('/v1/models lists exactly key ∩ team', async () => {
    const k = await teamKey(null, { models: ['gpt-test', 'drip', 'not-for-team'].slice(0, 2) });
    const list = await client(k.secret).models.list();
    expect(list.data.map((m) => m.id).sort()).toEqual(['drip', 'gpt-test']);
    const all = await teamKey();
    const names = (await client(all.secret).models.list()).data.map((m) => m.id);
    expect(names).toContain('gpt-test');
    expect(names).not.toContain('not-for-team');
    const bare = await fetch(`${server.url}/models`, { headers: { authorization: `Bearer ${all.secret}` } });
    expect(((await bare.json()) as any).object).toBe('list');
  });
});

describe('refusals: nothing reserved, nothing called', () => {
  test('a model the team does not allow: 403 team_model_access_denied', async () => {
    const k = await teamKey();
    const before = upstream.stats.requests;
    const err = await client(k.secret).chat.completions.create({ model: 'not-for-team', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.error).toMatchObject({ type: 'team_model_access_denied', param: 'model', code: '403' });
    expect(err.error.message).toContain('not-for-team');
    expect(upstream.stats.requests).toBe(before);
    expect(await recordsOf(k.token)).toEqual([]);
  });

  test('a model the key does not allow: 403 key_model_access_denied', async () => {
    const k = await teamKey(null, { models: ['gpt-test'] });
    const err = await client(k.secret).chat.completions.create({ model: 'drip', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err.status).toBe(403);
    expect(err.error).toMatchObject({ type: 'key_model_access_denied' });
  });

  test('budget exhausted: 429 budget_exceeded naming the key budget, its spend, limit and reset', async () => {
    // worst case: 2 prompt bytes... plus 1000 output tokens × $2/M = $0.002 > $0.001
    const k = await teamKey(0.001);
    const err = await client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.RateLimitError);
    expect(err.error).toMatchObject({ type: 'budget_exceeded', param: 'key_budget', code: '429' });
    expect(err.error.message).toMatch(/spend=0.*max_budget=0\.001.*budget_reset_at=/);
    expect(await keyItem(k.token)).toMatchObject({ spend: 0, reserved_spend: 0 });
  });

  test("a key whose allowed_routes leave out the model routes: 403 on every one, nothing reserved", async () => {
    const k = await teamKey(null, { allowed_routes: ['/key/info'] });
    for (const call of [
      () => client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }),
      () => client(k.secret).embeddings.create({ model: 'embed-test', input: 'hi' }),
      () => client(k.secret).models.list(),
    ]) {
      const err = await call().catch((e) => e);
      expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect(err.error.message).toContain('not allowed to call this route');
    }
    const spend = await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-test', estimated_cost: 0.01 } });
    expect(spend.status).toBe(403);
    expect(await keyItem(k.token)).toMatchObject({ spend: 0, reserved_spend: 0 });
    expect(await recordsOf(k.token)).toEqual([]);
    // The same key allowed '/v1/*' calls models.
    const open = await teamKey(null, { allowed_routes: ['/v1/*'] });
    const ok = await client(open.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(ok.choices[0]!.message.content).toBe('hello from upstream');
  });

  test('a blocked key: 401', async () => {
    const k = await teamKey();
    expect((await s.call('POST', '/key/block', { body: { key: k.secret } })).status).toBe(200);
    const err = await client(k.secret).chat.completions.create({ model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(err.error.message).toContain('blocked');
  });

  test('an unknown key, no key, the master key, a bad body: clear 4xx in the envelope', async () => {
    const unknown = await client('sk-not-a-real-key-000000').models.list().catch((e) => e);
    expect(unknown.status).toBe(401);
    expect(unknown.error.type).toBe('token_not_found_in_db');
    const none = await fetch(`${server.url}/v1/models`);
    expect(none.status).toBe(401);
    const master = await fetch(`${server.url}/v1/models`, { headers: { authorization: 'Bearer sk-test-master-key-0123456789' } });
    expect(master.status).toBe(401);
    const k = await teamKey();
    const bad = await fetch(`${server.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${k.secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'gpt-test', messages: [] }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).error).toMatchObject({ type: 'bad_request_error', param: 'messages', code: '400' });
    const unknownModel = await client(k.secret).chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(unknownModel.status).toBe(400);
    expect(await recordsOf(k.token)).toEqual([]);
  });
});

describe('settlement when things go wrong', () => {
  test('client abort mid-stream: upstream aborted, relayed tokens settled as estimated, not $0', async () => {
    const k = await teamKey();
    const closedBefore = upstream.stats.closedEarly;
    const controller = new AbortController();
    const stream = await client(k.secret).chat.completions.create({ model: 'drip', messages: [{ role: 'user', content: 'hi' }], stream: true }, { signal: controller.signal });
    let seen = 0;
    try {
      for await (const c of stream) {
        if (c.choices[0]?.delta.content) seen++;
        if (seen === 5) controller.abort();
      }
    } catch {
      /* the SDK may end the iteration or throw on abort */
    }
    expect(seen).toBe(5);
    const [record] = await eventually(async () => (await recordsOf(k.token)).length === 1 && recordsOf(k.token));
    expect(record!.details).toMatchObject({ estimated: true, status: 'failure', error: 'client disconnected' });
    expect(record!.completion_tokens).toBeGreaterThanOrEqual(5);
    expect(record!.cost).toBeGreaterThan(0);
    expect(await keyItem(k.token)).toMatchObject({ reserved_spend: 0 });
    await eventually(async () => upstream.stats.closedEarly > closedBefore);
  });

  test('client abort while a non-stream call waits: upstream aborted, the prompt settled as estimated, not $0', async () => {
    const k = await teamKey();
    const controller = new AbortController();
    const pending = client(k.secret).chat.completions.create({ model: 'patient', messages: [{ role: 'user', content: 'a long question' }] }, { signal: controller.signal });
    await eventually(async () => upstream.stats.lastBody?.model === 'mock-slow' && upstream.stats.inFlight > 0);
    controller.abort();
    await expect(pending).rejects.toThrow();
    const [record] = await eventually(async () => (await recordsOf(k.token)).length === 1 && recordsOf(k.token));
    expect(record!.details).toMatchObject({ estimated: true, status: 'failure', error: 'client disconnected' });
    expect(record!.cost).toBeGreaterThan(0);
    expect(await keyItem(k.token)).toMatchObject({ reserved_spend: 0 });
  });

  test('upstream 500: 502 to the client, the reservation released, a $0 failure record', async () => {
    const k = await teamKey();
    const err = await client(k.secret).chat.completions.create({ model: 'failing', messages: [{ role: 'user', content: 'hi' }] }).catch((e) => e);
    expect(err.status).toBe(502);
    expect(err.error.message).toContain('upstream exploded');
    expect(err.error.message).not.toContain('127.0.0.1');
    const [record] = await recordsOf(k.token);
    expect(record).toMatchObject({ cost: 0, charged: 0 });
    expect(record!.details).toMatchObject({ status: 'failure' });
    expect(await keyItem(k.token)).toMatchObject({ spend: 0, reserved_spend: 0 });
  });

  test('upstream timeout: 504, released', async () => {
    const k = await teamKey();
    const err = await client(k.secret).chat.completions.create({ model: 'slowpoke', messages: [{ role: 'user', content: 'hi' }], stream: true }).catch((e) => e);
    expect(err.status).toBe(504);
    expect(err.error.type).toBe('timeout_error');
    expect(await keyItem(k.token)).toMatchObject({ spend: 0, reserved_spend: 0 });
  });
});

describe('budgets that hold under concurrency', () => {
  test('50 concurrent streamed calls on a key with room for 10: at most 10 run; spend ≤ budget and = the sum of records', async () => {
    // Worst case per call: 100 output tokens × $0.001 = $0.10 (prompt free); the key has $1.
    const r = await s.call('POST', '/model/new', { body: { model_name: 'tenth', litellm_params: { model: 'openai/mock-hold', api_base: `${upstream.url}/v1`, input_cost_per_token: 0, output_cost_per_token: 0.001 } } });
    expect(r.status).toBe(200);
    const team = await s.call('POST', '/team/new', { body: { models: ['tenth'], team_member_permissions: ['/key/generate'] } });
    const key = await s.call('POST', '/key/generate', { body: { team_id: team.body.team_id, max_budget: 1 } });
    const secret = key.body.key as string;
    const inFlightBefore = upstream.stats.inFlight;
    upstream.stats.maxInFlight = inFlightBefore;
    const openai = client(secret);
    const started = await Promise.all(
      Array.from({ length: 50 }, () =>
        openai.chat.completions.create({ model: 'tenth', messages: [{ role: 'user', content: 'go' }], stream: true, max_tokens: 100 }).then(
          (stream) => ({ ok: true as const, stream }),
          (err) => ({ ok: false as const, err }),
        ),
      ),
    );
    const running = started.filter((x) => x.ok);
    const refused = started.filter((x) => !x.ok);
    expect(running.length).toBeLessThanOrEqual(10);
    expect(running.length).toBeGreaterThan(0);
    for (const x of refused) expect((x as any).err.error?.type).toBe('budget_exceeded');
    expect(upstream.stats.maxInFlight - inFlightBefore).toBeLessThanOrEqual(10);
    upstream.release();
    for (const x of running) for await (const _ of (x as any).stream) void _;
    const token = key.body.token as string;
    const records = await eventually(async () => {
      const all = await recordsOf(token);
      return all.length === running.length && all;
    });
    const item = await keyItem(token);
    const sum = records.reduce((a, r) => a + r.charged, 0);
    expect(item.spend).toBeLessThanOrEqual(1);
    expect(item.spend).toBeCloseTo(sum, 9);
    expect(item.reserved_spend).toBeCloseTo(0, 9);
    expect(records.every((r) => r.cost > 0)).toBe(true);
  }, 60_000);
});
