/**
 * The model registry refusing unknown parameters and unpriceable models, with a 400
 * that changes nothing; a credential Secrets Manager cannot give is a clear 502.
 */
import { keys } from '../../../shared/db/keys';
import { SecretsManagerCredentials } from '../../../shared/models/credentials';
import { fakeSecretsManager } from '../../support/fake-secrets-manager';
import { expectError, testStack } from '../../support/stack';
import { startUpstream, type Upstream } from '../../support/upstream';

const upstream = { model: 'openai/gpt-4o-mini', api_base: 'http://127.0.0.1:9/v1?api-key=supersecretvalue123', api_key: 'sk-upstream-secret-abcdef' };

describe('model registry', () => {
  test('bad input is refused with a 400 naming the field, and changes nothing', async () => {
    const s = await testStack();
    const rpm = expectError(await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: { ...upstream, rpm: 10 } } }), 400);
    expect(rpm.message).toContain('rpm');
    const provider = expectError(await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: { model: 'gpt-4o' } } }), 400);
    expect(provider.param).toBe('litellm_params.model');
    const unpriced = expectError(await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: { model: 'openai/my-own-finetune', api_base: 'http://127.0.0.1:9/v1' } } }), 400);
    expect(unpriced.message).toContain('No price known');
    expect((await s.call('GET', '/model/info')).body).toEqual({ data: [] });
    expect((await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: upstream, model_info: { id: 'dup' } } })).status).toBe(200);
    expectError(await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: upstream, model_info: { id: 'dup' } } }), 409);
    expectError(await s.call('PATCH', '/model/nope/update', { body: { model_name: 'y' } }), 400);
  });
});

describe('credentials in Secrets Manager', () => {
  const PRICES = { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 };
  let upstream: Upstream;
  beforeAll(async () => (upstream = await startUpstream()));
  afterAll(() => upstream.close());

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
});
