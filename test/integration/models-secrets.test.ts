/**
 * The registry in its AWS mode: credentials in Secrets Manager (an in-memory stand-in
 * behind the SDK client's `send`; there is no local Secrets Manager), rows in the real
 * DynamoDB Local, calls through the routes to the local upstream.
 */
import { keys } from '../../shared/db/keys';
import { SecretsManagerCredentials } from '../../shared/models/credentials';
import { fakeSecretsManager } from '../support/fake-secrets-manager';
import { expectError, testStack } from '../support/stack';
import { startUpstream, type Upstream } from '../support/upstream';

const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
let upstream: Upstream;
beforeAll(async () => (upstream = await startUpstream()));
afterAll(() => upstream.close());

test('new → call → update → call → delete: the row keeps only a reference, calls use the current key, delete schedules the secret for deletion', async () => {
  const sm = fakeSecretsManager();
  const s = await testStack({ credentials: new SecretsManagerCredentials(sm.client, { prefix: 'onramp/models/' }) });
  const params = { model: 'openai/mock-chat', api_base: `${upstream.url}/v1`, ...PRICES };
  const created = await s.call('POST', '/model/new', { body: { model_name: 'gpt-test', litellm_params: { ...params, api_key: 'sk-first-upstream-key' }, model_info: { id: 'm-1' } } });
  expect(created.status).toBe(200);
  expect(JSON.stringify(created.body)).not.toContain('sk-first-upstream-key');

  const row = (await s.deps.models.get('m-1'))!;
  expect(JSON.stringify(row)).not.toContain('sk-first-upstream-key');
  expect(row.credential).toMatch(/^aws-secretsmanager:arn:aws:secretsmanager:[^#]+:secret:onramp\/models\/m-1\/api_key-\w+#[0-9a-f-]{36}$/);
  expect([...sm.secrets.keys()]).toEqual(['onramp/models/m-1/api_key']);

  const key = (await s.call('POST', '/key/generate', { body: { max_budget: 1 } })).body.key as string;
  const chat = () => s.call('POST', '/v1/chat/completions', { token: key, body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] } });
  expect((await chat()).status).toBe(200);
  expect(upstream.stats.lastHeaders.authorization).toBe('Bearer sk-first-upstream-key');

  // A bad update changes nothing, in the table or in Secrets Manager.
  const sentBefore = sm.sent.length;
  expectError(await s.call('POST', '/model/update', { body: { model_info: { id: 'm-1' }, litellm_params: { api_key: 'sk-never', model: 'nope' } } }), 400);
  expect(sm.sent.length).toBe(sentBefore);
  expect((await s.deps.models.get('m-1'))!.credential).toBe(row.credential);

  expect((await s.call('POST', '/model/update', { body: { model_info: { id: 'm-1' }, litellm_params: { api_key: 'sk-second-upstream-key' } } })).status).toBe(200);
  const updated = (await s.deps.models.get('m-1'))!;
  expect(updated.credential).not.toBe(row.credential);
  expect(updated.credential!.split('#')[0]).toBe(row.credential!.split('#')[0]);
  expect((await chat()).status).toBe(200);
  expect(upstream.stats.lastHeaders.authorization).toBe('Bearer sk-second-upstream-key');

  expect((await s.call('POST', '/model/delete', { body: { id: 'm-1' } })).status).toBe(200);
  expect(sm.sent.at(-1)).toMatchObject({ command: 'DeleteSecret', input: { RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: false } });
  expect(sm.secrets.get('onramp/models/m-1/api_key')!.deleted).toBe(true);
});

test('a credential Secrets Manager cannot give is a clear 502, and the reservation is released', async () => {
  const sm = fakeSecretsManager();
  const s = await testStack({ credentials: new SecretsManagerCredentials(sm.client, { prefix: 'onramp/models/' }) });
  const created = await s.call('POST', '/model/new', { body: { model_name: 'gpt-test', litellm_params: { model: 'openai/mock-chat', api_base: `${upstream.url}/v1`, api_key: 'sk-k', ...PRICES } } });
  expect(created.status).toBe(200);
  sm.secrets.get(`onramp/models/${created.body.model_id}/api_key`)!.deleted = true; // e.g. deleted by hand in the console
  const key = await s.call('POST', '/key/generate', { body: { max_budget: 1 } });
  const requests = upstream.stats.requests;
  const err = expectError(await s.call('POST', '/v1/chat/completions', { token: key.body.key, body: { model: 'gpt-test', messages: [{ role: 'user', content: 'hi' }] } }), 502);
  expect(err.message).toContain('credential could not be read from Secrets Manager');
  expect(upstream.stats.requests).toBe(requests);
  expect(await s.deps.table.get(keys.key(key.body.token))).toMatchObject({ spend: 0, reserved_spend: 0 });
});
