/** /ui/models: proxy admins list, add, edit and delete models; the API key never appears; others are refused. */
import { MASTER_KEY_USER_ID } from '../../shared/auth/roles';
import { testStack, type TestStack } from '../support/stack';

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

test('internal users cannot see or change models', async () => {
  const s = await testStack();
  const user = await s.userWithSession('internal_user');
  expect((await page(s, '/ui/models', user.token)).status).toBe(403);
  expect((await page(s, '/ui', user.token)).html).not.toContain('href="/ui/models"');
});
