/** The model registry and its page: only proxy admins write; any signed-in user reads the API; others are refused the page. */
import { expectError, testStack, type TestStack } from '../../support/stack';

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

  test('internal users cannot see or change models', async () => {
    const s = await testStack();
    const user = await s.userWithSession('internal_user');
    expect((await page(s, '/ui/models', user.token)).status).toBe(403);
    expect((await page(s, '/ui', user.token)).html).not.toContain('href="/ui/models"');
  });
});
