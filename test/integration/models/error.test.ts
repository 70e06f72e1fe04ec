/** The model registry refusing unknown parameters and unpriceable models, with a 400 that changes nothing. */

import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelsFile, seedLocalModels } from '../../../shared/models/config-file';
import { PRICE_DATABASE } from '../../../shared/models/prices';
import { expectError, testStack } from '../../support/stack';

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
