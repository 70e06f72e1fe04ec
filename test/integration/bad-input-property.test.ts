/**
 * Issue 9, the random-body property test: for every route in the OpenAPI
 * document, random bodies, queries and path parameters (shaped by the route's
 * own schemas, with real ids mixed in, values at and past every edge, and
 * arbitrary JSON) sent by each kind of caller never get a 5xx, and every error
 * is in LiteLLM's envelope.
 */
import fc from 'fast-check';
import { MASTER_KEY, testStack, type TestStack } from '../support/stack';
import { SchemaArbitraries, type Components } from '../support/json-schema-arbitrary';

type Operation = {
  parameters?: Array<{ name: string; in: 'query' | 'path'; required: boolean; schema: Record<string, unknown> }>;
  requestBody?: { required: boolean; content: Record<string, { schema: Record<string, unknown> }> };
};

type Generated = {
  caller: number;
  query: Record<string, unknown>;
  path: Record<string, string>;
  body: unknown;
  /** How the body is sent: as the route declares it, as JSON text that does not parse, or not at all. */
  sendAs: 'declared' | 'broken-json' | 'none';
};

const RUNS_PER_ROUTE = Number(process.env.ONRAMP_PROPERTY_RUNS ?? 30);

let s: TestStack;
let callers: Array<string | null>;
let arbs: SchemaArbitraries;
let routes: Array<{ method: string; path: string; op: Operation }>;

beforeAll(async () => {
  s = await testStack();
  const team = await s.call('POST', '/team/new', { body: { team_alias: 'prop-team', models: ['gpt-4o'], max_budget: 10, team_member_permissions: ['/key/generate', '/key/update', '/key/regenerate'] } });
  const user = await s.userWithSession('internal_user', { max_budget: 5 });
  await s.call('POST', '/team/member_add', { body: { team_id: team.body.team_id, member: { user_id: user.userId, role: 'admin' } } });
  const key = await s.call('POST', '/key/generate', { token: user.token, body: { team_id: team.body.team_id, key_alias: 'prop-key', max_budget: 2 } });
  const invitation = await s.call('POST', '/invitation/new', { body: { user_id: user.userId, send_email: false } });
  const auth = await s.call('POST', '/spend/authorize', { token: key.body.key, body: { model: 'gpt-4o', estimated_cost: 0.1, request_id: 'prop-open' } });
  for (const r of [team, key, invitation, auth]) expect(r.status).toBe(200);

  callers = [MASTER_KEY, user.token, key.body.key, null];
  const pool = [team.body.team_id, user.userId, user.email, key.body.key, key.body.token, 'prop-key', 'prop-team', invitation.body.id, 'prop-open', 'gpt-4o', 'all-proxy-models', 'no-default-models', 'default_user_id', '1mo', '30d'];
  const doc = (await s.call('GET', '/openapi.json')).body as { paths: Record<string, Record<string, Operation>>; components: { schemas: Components } };
  arbs = new SchemaArbitraries(doc.components.schemas, pool);
  routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ method, path, op })));
  expect(routes.length).toBeGreaterThan(30);
}, 60_000);

function requestArbitrary(op: Operation): fc.Arbitrary<Generated> {
  const params = op.parameters ?? [];
  const query = params.filter((p) => p.in === 'query');
  const path = params.filter((p) => p.in === 'path');
  const bodySchema = op.requestBody ? Object.values(op.requestBody.content)[0]!.schema : undefined;
  return fc.record({
    caller: fc.integer({ min: 0, max: callers.length - 1 }),
    query: fc.record(Object.fromEntries(query.map((p) => [p.name, arbs.of(p.schema)])), { requiredKeys: query.filter((p) => p.required).map((p) => p.name) }),
    path: fc.record(Object.fromEntries(path.map((p) => [p.name, arbs.of(p.schema).map(String)]))) as fc.Arbitrary<Record<string, string>>,
    body: bodySchema ? arbs.of(bodySchema) : fc.constant(undefined),
    sendAs: fc.constantFrom<Generated['sendAs']>('declared', 'declared', 'declared', 'declared', 'broken-json', 'none'),
  });
}

/** A path value as a client would send it; a lone surrogate goes out as the invalid UTF-8 bytes a sloppy client sends. */
function encodePathValue(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return encodeURIComponent(value.replaceAll(/[\ud800-\udfff]/g, '')) + '%ED%A0%80';
  }
}

/** A query value as a client would put it in a URL. */
const scalar = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
const queryValue = (v: unknown): string => (Array.isArray(v) ? v.map(scalar).join(',') : scalar(v));

async function send(method: string, template: string, op: Operation, g: Generated) {
  const path = template.replaceAll(/\{([^}]+)\}/g, (_, name: string) => encodePathValue(g.path[name] ?? ''));
  const qs = new URLSearchParams(Object.entries(g.query).map(([k, v]) => [k, queryValue(v)])).toString();
  const headers: Record<string, string> = {};
  const token = callers[g.caller];
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  const types = Object.keys(op.requestBody?.content ?? {});
  if (!op.requestBody) {
    // No body where the route reads none (a GET cannot carry one).
  } else if (g.sendAs === 'broken-json') {
    headers['content-type'] = 'application/json';
    body = '{"unterminated": ';
  } else if (g.sendAs === 'declared' && g.body !== undefined) {
    if (types[0] === 'application/x-www-form-urlencoded') {
      headers['content-type'] = types[0];
      const fields = typeof g.body === 'object' && g.body !== null && !Array.isArray(g.body) ? g.body : { value: g.body };
      body = new URLSearchParams(Object.entries(fields).map(([k, v]) => [k, queryValue(v)])).toString();
    } else {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(g.body);
    }
  }
  const res = await s.app.request(`http://onramp.test${path}${qs ? `?${qs}` : ''}`, { method: method.toUpperCase(), headers, body });
  const text = await res.text();
  return { status: res.status, text, type: res.headers.get('content-type') ?? '' };
}

describe('random requests to every route in the OpenAPI document', () => {
  test('no 5xx, and every error in the envelope', async () => {
    const failures: string[] = [];
    for (const { method, path, op } of routes) {
      await fc.assert(
        fc.asyncProperty(requestArbitrary(op), async (g) => {
          const res = await send(method, path, op, g);
          const where = `${method.toUpperCase()} ${path}`;
          if (res.status >= 500) throw new Error(`${where} answered ${res.status}: ${res.text.slice(0, 300)}`);
          if (res.status >= 400) {
            if (!res.type.startsWith('application/json')) throw new Error(`${where} answered ${res.status} as ${res.type}`);
            const parsed = JSON.parse(res.text) as { type?: unknown; error?: Record<string, unknown> };
            const err = parsed.error;
            // The Anthropic route answers in Anthropic's envelope, which Claude Code and its SDK read.
            const anthropic = path.startsWith('/v1/messages');
            const ok = anthropic
              ? parsed.type === 'error' && err !== undefined && Object.keys(err).sort().join() === 'message,type' && typeof err.message === 'string' && err.message.length > 0
              :
              err !== undefined &&
              Object.keys(parsed).length === 1 &&
              Object.keys(err).sort().join() === 'code,message,param,type' &&
              err.code === String(res.status) &&
              typeof err.message === 'string' &&
              err.message.length > 0 &&
              typeof err.type === 'string' &&
              (err.param === null || typeof err.param === 'string');
            if (!ok) throw new Error(`${where} answered ${res.status} outside the envelope: ${res.text.slice(0, 300)}`);
          }
        }),
        { numRuns: RUNS_PER_ROUTE, endOnFailure: true },
      ).catch((err: Error) =>
        failures.push(`${method.toUpperCase()} ${path}: ${[String((err.cause as Error | undefined)?.message ?? err.message.split('\n')[0]), ...err.message.split('\n').filter((l) => /Counterexample|seed/.test(l))].join('\n')}`.slice(0, 3000)),
      );
    }
    expect(failures).toEqual([]);
  }, 900_000);
});
