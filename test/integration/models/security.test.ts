/** The model registry: only proxy admins write; any signed-in user reads. */

import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readModelsFile, seedLocalModels } from '../../../shared/models/config-file';
import { PRICE_DATABASE } from '../../../shared/models/prices';
import { expectError, testStack } from '../../support/stack';

const upstream = { model: 'openai/gpt-4o-mini', api_base: 'http://127.0.0.1:9/v1?api-key=supersecretvalue123', api_key: 'sk-upstream-secret-abcdef' };

describe('model registry', () => {
  test('only proxy admins write; any signed-in user reads', async () => {
    const s = await testStack();
    const user = await s.userWithSession('internal_user');
    expectError(await s.call('POST', '/model/new', { token: user.token, body: { model_name: 'x', litellm_params: upstream } }), 403);
    expect((await s.call('POST', '/model/new', { body: { model_name: 'x', litellm_params: upstream, model_info: { id: 'x1' } } })).status).toBe(200);
    expectError(await s.call('POST', '/model/delete', { token: user.token, body: { id: 'x1' } }), 403);
    expect((await s.call('GET', '/model/info', { token: user.token })).body.data).toHaveLength(1);
    expectError(await s.call('GET', '/model/info', { token: null }), 401);
  });
});
