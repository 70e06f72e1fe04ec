/**
 * The model registry: LiteLLM's /model/* routes, stored in the one table, credentials
 * never returned; the price database; models from a config file; credentials in
 * Secrets Manager in the AWS mode; the /ui/models page.
 */
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MASTER_KEY_USER_ID } from '../../../shared/auth/roles';
import { keys } from '../../../shared/db/keys';
import { readModelsFile, seedLocalModels } from '../../../shared/models/config-file';
import { SecretsManagerCredentials } from '../../../shared/models/credentials';
import { PRICE_DATABASE } from '../../../shared/models/prices';
import { fakeSecretsManager } from '../../support/fake-secrets-manager';
import { expectError, testStack, type TestStack } from '../../support/stack';
import { startUpstream, type Upstream } from '../../support/upstream';

const upstream = { model: 'openai/gpt-4o-mini', api_base: 'http://127.0.0.1:9/v1?api-key=supersecretvalue123', api_key: 'sk-upstream-secret-abcdef' };

describe('model registry', () => {
  test('new → info → update (both forms) → delete; the credential never comes back', async () => {
    const s = await testStack();
    const created = await s.call('POST', '/model/new', { body: { model_name: 'gpt-4o-mini', litellm_params: upstream, model_info: { id: 'm-1' } } });
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ model_id: 'm-1', model_name: 'gpt-4o-mini', model_info: { id: 'm-1' }, created_by: 'default_user_id' });
    expect(JSON.stringify(created.body)).not.toContain('sk-upstream-secret');
    expect(JSON.stringify(created.body)).not.toContain('supersecretvalue123');
    expect(created.body.litellm_params.api_base).toBe('http://127.0.0.1:9/v1?api-key=supe****e123');

    for (const path of ['/model/info', '/v1/model/info']) {
      const info = await s.call('GET', path);
      expect(info.status).toBe(200);
      expect(info.body.data).toHaveLength(1);
      expect(info.body.data[0]).toMatchObject({ model_name: 'gpt-4o-mini', model_info: { id: 'm-1', db_model: true, litellm_provider: 'openai' } });
      // Priced from the price database: gpt-4o-mini is $0.15 / $0.60 per million tokens there.
      expect(info.body.data[0].model_info.input_cost_per_token).toBeCloseTo(0.15e-6, 12);
      expect(info.body.data[0].model_info.output_cost_per_token).toBeCloseTo(0.6e-6, 12);
      expect(JSON.stringify(info.body)).not.toContain('sk-upstream-secret');
    }
    expect((await s.call('GET', '/model/info?litellm_model_id=nope')).body).toEqual({ data: [] });

    const updated = await s.call('POST', '/model/update', { body: { model_info: { id: 'm-1' }, litellm_params: { input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } } });
    expect(updated.status).toBe(200);
    expect(updated.body.litellm_params).toMatchObject({ model: 'openai/gpt-4o-mini', input_cost_per_token: 0.000001 });
    const patched = await s.call('PATCH', '/model/m-1/update', { body: { model_name: 'renamed' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ model_name: 'renamed', litellm_params: { input_cost_per_token: 0.000001 } });
    expect((await s.deps.models.deploymentsOf('renamed')).map((m) => m.model_id)).toEqual(['m-1']);
    expect(await s.deps.models.deploymentsOf('gpt-4o-mini')).toEqual([]);
    // The credential is kept, apart from every view.
    expect((await s.deps.models.get('m-1'))!.credential).toBe('sk-upstream-secret-abcdef');

    expect((await s.call('POST', '/model/delete', { body: { id: 'm-1' } })).body).toEqual({ message: 'Model: m-1 deleted successfully' });
    expectError(await s.call('POST', '/model/delete', { body: { id: 'm-1' } }), 400);
    expect((await s.call('GET', '/model/info')).body).toEqual({ data: [] });
  });

  test('/v2/model/info pages; /model_group/info groups deployments by public name', async () => {
    const s = await testStack();
    for (const id of ['a1', 'a2', 'b1']) {
      const name = id.startsWith('a') ? 'alpha' : 'beta';
      expect((await s.call('POST', '/model/new', { body: { model_name: name, litellm_params: { ...upstream, model: id === 'a2' ? 'azure/gpt-4o-mini' : upstream.model }, model_info: { id } } })).status).toBe(200);
    }
    const page2 = await s.call('GET', '/v2/model/info?page=2&size=2');
    expect(page2.body).toMatchObject({ total_count: 3, current_page: 2, total_pages: 2, size: 2 });
    expect(page2.body.data.map((m: any) => m.model_info.id)).toEqual(['b1']);
    expect(JSON.stringify(page2.body)).not.toContain('sk-upstream-secret');
    const groups = await s.call('GET', '/model_group/info');
    expect(groups.body.data).toEqual([
      expect.objectContaining({ model_group: 'alpha', providers: ['openai', 'azure'], mode: 'chat' }),
      expect.objectContaining({ model_group: 'beta', providers: ['openai'] }),
    ]);
    expectError(await s.call('GET', '/v2/model/info?size=1000'), 400);
  });

  test('the recorded price database version is the installed one', () => {
    const installed = JSON.parse(readFileSync(join(__dirname, '../../../node_modules/@pydantic/genai-prices/package.json'), 'utf8')).version;
    expect(PRICE_DATABASE).toBe(`@pydantic/genai-prices@${installed}`);
  });

  test('npm start: models from a config file (upserted, stable ids), else the local echo model', async () => {
    const s = await testStack();
    const dir = mkdtempSync(join(tmpdir(), 'onramp-models-'));
    const file = join(dir, 'models.json');
    writeFileSync(file, JSON.stringify({ model_list: [{ model_name: 'local-vllm', litellm_params: { model: 'openai/llama', api_base: 'http://127.0.0.1:8001/v1', api_key: 'os.environ/VLLM_KEY', input_cost_per_token: 0, output_cost_per_token: 0.0000001 } }] }));
    const fromFile = readModelsFile(file);
    expect(await seedLocalModels(s.deps.models, fromFile)).toEqual({ seeded: ['local-vllm'], echo: false });
    expect(await seedLocalModels(s.deps.models, fromFile)).toEqual({ seeded: ['local-vllm'], echo: false });
    expect((await s.deps.models.list()).map((m) => m.model_id)).toEqual(['config-local-vllm']);
    // with models registered, no echo model is added
    expect(await seedLocalModels(s.deps.models, [])).toEqual({ seeded: [], echo: false });

    const empty = await testStack();
    expect(await seedLocalModels(empty.deps.models, [])).toEqual({ seeded: ['onramp-local-echo'], echo: true });
    expect((await empty.call('GET', '/model/info')).body.data[0]).toMatchObject({ model_name: 'onramp-local-echo', model_info: { litellm_provider: 'echo' } });

    writeFileSync(file, JSON.stringify({ model_list: [{ model_name: 'x', litellm_params: { model: 'openai/llama', tpm: 5 } }] }));
    expect(() => readModelsFile(file)).toThrow(/tpm/);
  });
});

describe('credentials in Secrets Manager', () => {
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
});

describe('the models page', () => {
  async function page(s: TestStack, path: string, token: string, form?: Record<string, string>, csrf?: string) {
    const headers: Record<string, string> = { cookie: `token=${token}` };
    let body: string | undefined;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams({ ...form, ...(csrf ? { csrf_token: csrf } : {}) }).toString();
    }
    const res = await s.app.request(`http://onramp.test${path}`, { method: form ? 'POST' : 'GET', headers, body, redirect: 'manual' });
    return { status: res.status, html: await res.text(), location: res.headers.get('location') };
  }

  test('an admin adds a model (per-million prices stored per token), edits it, and deletes it', async () => {
    const s = await testStack();
    const { token, session } = await s.deps.sessions.issue(MASTER_KEY_USER_ID);
    expect((await page(s, '/ui/models', token)).html).toContain('No models yet.');

    const bad = await page(s, '/ui/models', token, { model_name: 'llama', model: 'llama3', input_per_million: '-1' }, session.csrf);
    expect(bad.status).toBe(400);
    expect(bad.html).toContain('Enter a number, 0 or more.');
    expect(await s.deps.models.list()).toEqual([]);
    const unknownProvider = await page(s, '/ui/models', token, { model_name: 'llama', model: 'llama3', input_per_million: '0.1', output_per_million: '0.2' }, session.csrf);
    expect(unknownProvider.status).toBe(400);
    expect(unknownProvider.html).toContain('&lt;provider&gt;/&lt;model&gt;');

    const added = await page(s, '/ui/models', token, { model_name: 'llama', model: 'openai/llama3', api_base: 'http://127.0.0.1:11434/v1', api_key: 'sk-very-secret-upstream', input_per_million: '0.1', output_per_million: '0.2' }, session.csrf);
    expect(added.status).toBe(303);
    const [model] = await s.deps.models.list();
    expect(model!.litellm_params).toMatchObject({ model: 'openai/llama3', input_cost_per_token: 0.0000001, output_cost_per_token: 0.0000002 });
    expect(model!.credential).toBe('sk-very-secret-upstream');
    const listed = await page(s, '/ui/models', token);
    expect(listed.html).toContain('openai/llama3');
    expect(listed.html).not.toContain('sk-very-secret-upstream');

    const edit = await page(s, `/ui/models/${model!.model_id}`, token);
    expect(edit.html).not.toContain('sk-very-secret-upstream');
    const saved = await page(s, `/ui/models/${model!.model_id}`, token, { model_name: 'llama', model: 'openai/llama3', api_base: 'http://127.0.0.1:11434/v1', api_key: '', input_per_million: '0.5', output_per_million: '1' }, session.csrf);
    expect(saved.status).toBe(303);
    const after = (await s.deps.models.get(model!.model_id))!;
    expect(after.litellm_params.input_cost_per_token).toBeCloseTo(0.0000005, 12);
    expect(after.credential).toBe('sk-very-secret-upstream'); // an empty key field keeps the stored one

    expect((await page(s, `/ui/models/${model!.model_id}/delete`, token, {}, session.csrf)).status).toBe(303);
    expect(await s.deps.models.list()).toEqual([]);
  });
});
