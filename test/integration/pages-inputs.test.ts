/**
 * The pages validate their posts with the schemas the JSON routes use
 * (shared/<domain>/inputs.ts): what the API refuses, a page refuses too, next to
 * the field, in plain words, and nothing is written.
 */
import { MASTER_KEY_USER_ID, type Principal } from '../../shared/auth/roles';
import { testStack, type TestStack } from '../support/stack';

const ADMIN: Principal = { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'master_key' };
let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

async function post(path: string, token: string, csrf: string, form: Record<string, string>) {
  const res = await s.app.request(`http://onramp.test${path}`, {
    method: 'POST',
    headers: { cookie: `token=${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ ...form, csrf_token: csrf }).toString(),
    redirect: 'manual',
  });
  return { status: res.status, html: await res.text() };
}

const fieldError = (html: string, id: string) => new RegExp(`id="${id}-error"[^>]*>([^<]*)<`).exec(html)?.[1];

test('a key name longer than /key/generate allows is refused on the page too, next to its field, and no key is made', async () => {
  const user = await s.userWithSession('internal_user', { auto_create_key: false });
  const alias = 'k'.repeat(257);
  const api = await s.call('POST', '/key/generate', { body: { user_id: user.userId, key_alias: alias } });
  expect(api.status).toBe(400);
  expect(api.body.error.param).toBe('key_alias');

  const issued = await s.deps.sessions.issue(user.userId);
  const page = await post('/ui/keys', issued.token, issued.session.csrf, { key_alias: alias, team_id: '', models: '', max_budget: '', duration: '' });
  expect(page.status).toBe(400);
  expect(fieldError(page.html, 'key-key_alias')).toMatch(/256/);
  expect(await s.deps.keys.ofUser(user.userId)).toEqual([]);
});

test('a team with more models than /team/new allows is refused on the page, next to the models, and no team is made', async () => {
  const { token, session } = await s.deps.sessions.issue(MASTER_KEY_USER_ID);
  const alias = `too many models ${Date.now()}`;
  const models = Array.from({ length: 501 }, (_, i) => `model-${i}`).join(', ');
  const page = await post('/ui/teams', token, session.csrf, { team_alias: alias, models, max_budget: '', budget_duration: '', team_member_budget: '' });
  expect(page.status).toBe(400);
  expect(fieldError(page.html, 'team-models')).toBe('List at most 500 models, each at most 256 characters.');
  expect((await s.deps.teams.list(ADMIN)).some((t) => t.team_alias === alias)).toBe(false);
});

test("every problem of a post is shown at once, each in the page's words, and a good post is parsed as the API would", async () => {
  const { token, session } = await s.deps.sessions.issue(MASTER_KEY_USER_ID);
  const bad = await post('/ui/teams', token, session.csrf, { team_alias: ' ', models: '', max_budget: 'ten', budget_duration: 'forever', team_member_budget: '-1' });
  expect(bad.status).toBe(400);
  expect(fieldError(bad.html, 'team-team_alias')).toBe('Give the team a name.');
  expect(fieldError(bad.html, 'team-max_budget')).toContain('Enter an amount in USD');
  expect(fieldError(bad.html, 'team-budget_duration')).toBe('Choose one of the reset periods.');
  expect(fieldError(bad.html, 'team-team_member_budget')).toContain('Enter an amount in USD');

  const alias = `parsed ${Date.now()}`;
  const good = await post('/ui/teams', token, session.csrf, { team_alias: ` ${alias} `, models: 'gpt-4o,\nclaude, gpt-4o', max_budget: '12.50', budget_duration: '', team_member_budget: '' });
  expect(good.status).toBe(303);
  const team = (await s.deps.teams.list(ADMIN)).find((t) => t.team_alias === alias);
  expect(team).toMatchObject({ team_alias: alias, models: ['gpt-4o', 'claude'], max_budget: 12.5, budget_duration: null, team_member_budget: null });
});
