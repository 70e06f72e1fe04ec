/**
 * Personal keys on the model routes (in-process, local echo model): key ∩ user models,
 * `no-default-models` keeps personal keys from every model, and an expired key says so.
 */
import { LOCAL_ECHO, seedLocalModels } from '../../shared/models/config-file';
import { expectError, testStack } from '../support/stack';

const chat = { model: LOCAL_ECHO.model_name, messages: [{ role: 'user', content: 'hi' }] };

test('a personal key calls what its user may; no-default-models allows nothing; the refusal says which level', async () => {
  const s = await testStack();
  await seedLocalModels(s.deps.models, []);
  expect((await s.call('POST', '/model/new', { body: { model_name: 'other', litellm_params: { model: 'echo/other', input_cost_per_token: 0, output_cost_per_token: 0.000001 } } })).status).toBe(200);

  const limited = await s.call('POST', '/user/new', { body: { user_email: 'limited@example.com', models: [LOCAL_ECHO.model_name] } });
  expect(limited.status).toBe(200);
  const key = limited.body.key as string;
  expect((await s.call('GET', '/v1/models', { token: key })).body.data.map((m: any) => m.id)).toEqual([LOCAL_ECHO.model_name]);
  expect((await s.call('POST', '/v1/chat/completions', { token: key, body: chat })).status).toBe(200);
  const other = expectError(await s.call('POST', '/v1/chat/completions', { token: key, body: { ...chat, model: 'other' } }), 403, 'user_model_access_denied');
  expect(other.param).toBe('model');

  const teamOnly = await s.call('POST', '/user/new', { body: { user_email: 'team-only@example.com' } });
  const teamOnlyKey = await s.call('POST', '/key/generate', { body: { user_id: teamOnly.body.user_id } });
  expect(teamOnlyKey.status).toBe(200);
  await s.call('POST', '/user/update', { body: { user_id: teamOnly.body.user_id, models: ['no-default-models'] } });
  expect((await s.call('GET', '/v1/models', { token: teamOnlyKey.body.key })).body).toMatchObject({ object: 'list', data: [] });
  const refused = expectError(await s.call('POST', '/v1/chat/completions', { token: teamOnlyKey.body.key, body: chat }), 403, 'user_model_access_denied');
  expect(refused.message).toContain('no-default-models');
});

test('an expired key: 401 expired_key, nothing reserved', async () => {
  let now = new Date('2026-06-01T00:00:00Z');
  const s = await testStack({ clock: () => now });
  await seedLocalModels(s.deps.models, []);
  const user = await s.call('POST', '/user/new', { body: { user_email: 'short@example.com', auto_create_key: false } });
  const key = await s.call('POST', '/key/generate', { body: { user_id: user.body.user_id, duration: '1h' } });
  now = new Date('2026-06-01T02:00:00Z');
  const err = expectError(await s.call('POST', '/v1/chat/completions', { token: key.body.key, body: chat }), 401, 'expired_key');
  expect(err.message).toContain('expired');
});
