/**
 * GET /openapi.json: an OpenAPI 3.1 document that a validator accepts, that lists
 * exactly the JSON routes the app serves, and whose request schemas say what the
 * routes accept (checked against the validation the routes really do).
 */
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3_1 } from 'openapi-types';
import { USER_ROLES } from '../../shared/auth/roles';
import { API_VERSION } from '../../shared/http/core/app';
import { testStack, type TestStack } from '../support/stack';

type Json = Record<string, any>;

let s: TestStack;
let doc: Json;

beforeAll(async () => {
  s = await testStack();
  const r = await s.call('GET', '/openapi.json', { token: null });
  expect(r.status).toBe(200);
  doc = r.body;
});

/** Every operation as "METHOD /path" in Hono's path syntax. */
function documentedOperations(): string[] {
  return Object.entries<Json>(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replaceAll(/\{([^}]+)\}/g, ':$1')}`),
  );
}

/** The schema itself when `schema` is a `$ref` to a component. */
function resolve(schema: Json): Json {
  if (!schema.$ref) return schema;
  const name = String(schema.$ref).replace('#/components/schemas/', '');
  expect(doc.components.schemas[name]).toBeDefined();
  return doc.components.schemas[name];
}

const operation = (method: string, path: string): Json => doc.paths[path][method];
const jsonBodySchema = (method: string, path: string) => resolve(operation(method, path).requestBody.content['application/json'].schema);
const parameter = (method: string, path: string, name: string) => operation(method, path).parameters.find((p: Json) => p.name === name);

test('is an OpenAPI 3.1 document that a validator accepts, with every $ref resolved', async () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(doc.info).toMatchObject({ title: 'onramp', version: API_VERSION });
  await expect(SwaggerParser.validate(structuredClone(doc) as OpenAPIV3_1.Document)).resolves.toBeDefined();
  const refs = JSON.stringify(doc).match(/"\$ref":"[^"]*"/g) ?? [];
  expect(refs.length).toBeGreaterThan(50);
  for (const ref of refs) expect(ref).toMatch(/^"\$ref":"#\/components\/schemas\/[A-Za-z]+"$/);
  // zod's own JSON Schema wrapping is not carried into the document
  expect(JSON.stringify(doc)).not.toMatch(/"\$(schema|id|defs)"/);
});

test('lists exactly the JSON routes the app serves (the web pages, GET / that sends browsers to them, and the document itself aside)', () => {
  const served = new Set(
    s.app.routes
      .filter((r) => r.method !== 'ALL' && !r.path.startsWith('/ui') && r.path !== '/' && r.path !== '/openapi.json')
      .map((r) => `${r.method} ${r.path}`),
  );
  const documented = documentedOperations();
  expect(new Set(documented).size).toBe(documented.length);
  expect([...documented].sort()).toEqual([...served].sort());
  expect(documented.length).toBeGreaterThanOrEqual(40);
});

test('path parameters are in {key} form, declared and required', () => {
  expect(doc.paths['/key/{key}/regenerate']).toBeDefined();
  expect(doc.paths['/key/:key/regenerate']).toBeUndefined();
  expect(parameter('post', '/key/{key}/regenerate', 'key')).toMatchObject({ in: 'path', required: true, schema: { type: 'string', maxLength: 512 } });
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
    for (const op of Object.values<Json>(ops)) {
      const declared = (op.parameters ?? []).filter((p: Json) => p.in === 'path').map((p: Json) => p.name);
      expect(declared.sort()).toEqual(names.sort());
    }
  }
});

test('query parameters carry their schemas, defaults and whether they are required', () => {
  const page = parameter('get', '/user/list', 'page');
  expect(page).toMatchObject({ in: 'query', required: false, schema: { type: 'integer', minimum: 1, default: 1 } });
  expect(parameter('get', '/user/list', 'page_size').schema).toMatchObject({ maximum: 100, default: 25 });
  expect(parameter('get', '/user/list', 'role').schema.enum).toEqual([...USER_ROLES]);
  expect(parameter('get', '/user/list', 'user_ids')).toMatchObject({ description: 'comma-separated user ids' });
  expect(parameter('get', '/team/info', 'team_id')).toMatchObject({ in: 'query', required: true, schema: { pattern: '^[A-Za-z0-9_.@:-]+$' } });
  expect(parameter('get', '/invitation/info', 'invitation_id')).toMatchObject({ required: true, description: 'the id in the invitation link' });
  expect(parameter('get', '/key/list', 'return_full_object').schema).toMatchObject({ enum: ['true', 'false'], default: 'false' });
});

test('every route that reads a body documents it with a schema', () => {
  const withoutBody: string[] = [];
  for (const [path, ops] of Object.entries<Json>(doc.paths)) {
    for (const [method, op] of Object.entries<Json>(ops)) {
      if (!op.requestBody) {
        if (method !== 'get') withoutBody.push(`${method.toUpperCase()} ${path}`);
        continue;
      }
      const contents = Object.values<Json>(op.requestBody.content);
      expect(contents.length).toBeGreaterThan(0);
      for (const c of contents) expect(resolve(c.schema)).toMatchObject({ type: 'object', properties: expect.any(Object) });
    }
  }
  // Only the routes that read no body at all go without one.
  expect(withoutBody.sort()).toEqual(['POST /budget/reset', 'POST /key/{key}/regenerate', 'POST /logout']);
});

test('request bodies are named components in their input shape, with descriptions and examples', () => {
  expect(operation('post', '/team/new').requestBody).toMatchObject({ required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/NewTeamRequest' } } } });
  const team = jsonBodySchema('post', '/team/new');
  expect(team.properties.max_budget).toEqual({ anyOf: [{ type: 'number', minimum: 0, maximum: 1e12 }, { type: 'null' }] });
  expect(team.properties.team_member_permissions.items.enum).toContain('/key/generate');
  expect(team.required ?? []).toEqual([]);

  // A field with a default is optional in what a client sends.
  const user = jsonBodySchema('post', '/user/new');
  expect(user.properties.auto_create_key).toMatchObject({ type: 'boolean', default: true, description: expect.stringContaining('personal key') });
  expect(user.required ?? []).not.toContain('auto_create_key');

  const key = jsonBodySchema('post', '/key/generate');
  expect(key.properties.duration.description).toBe('lifetime: 30s, 30m, 30h, 30d, 1mo; null never expires');
  expect(JSON.stringify(key.properties.budget_duration)).toContain('"examples":["1mo"]');
  expect(key.properties.key).toMatchObject({ minLength: 20, maxLength: 256, description: 'a custom key (proxy admins)' });

  // An unnamed body is inline; a form body has its own content type.
  expect(jsonBodySchema('post', '/team/delete')).toMatchObject({ type: 'object', required: ['team_ids'], properties: { team_ids: { minItems: 1, maxItems: 100 } } });
  expect(operation('post', '/login').requestBody.content['application/x-www-form-urlencoded'].schema).toMatchObject({ required: ['username', 'password'] });
  expect(Object.keys(operation('post', '/onboarding/claim_token').requestBody.content).sort()).toEqual(['application/json', 'application/x-www-form-urlencoded']);
  expect(operation('post', '/onboarding/claim_token').requestBody.required).toBe(false);
});

test('what the document says a body requires is what the route refuses without it', async () => {
  for (const path of ['/team/delete', '/invitation/new', '/spend/record', '/key/block']) {
    const missing = jsonBodySchema('post', path).required[0];
    const r = await s.call('POST', path, { body: {} });
    expect({ path, status: r.status, param: r.body.error.param }).toEqual({ path, status: 400, param: missing });
  }
});

test('security, tags, summaries and responses', () => {
  expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
  expect(operation('post', '/user/new').security).toEqual([{ bearerAuth: [] }]);
  expect(operation('get', '/onboarding/get_token').security).toBeUndefined();
  expect(operation('post', '/team/new')).toMatchObject({ tags: ['teams'], summary: expect.stringContaining('Create a team') });
  for (const ops of Object.values<Json>(doc.paths)) {
    for (const op of Object.values<Json>(ops)) {
      expect(op.tags).toHaveLength(1);
      expect(typeof op.summary).toBe('string');
      expect(Object.keys(op.responses).length).toBeGreaterThan(0);
    }
  }
  const error = resolve(operation('get', '/user/list').responses['400'].content['application/json'].schema);
  expect(error.properties.error.required).toEqual(['message', 'type', 'param', 'code']);
  expect(operation('get', '/user/list').responses['200'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/UserListResponse' });
  expect(operation('get', '/health/readiness').responses['503']).toEqual({ description: 'the table is not reachable' });
});
