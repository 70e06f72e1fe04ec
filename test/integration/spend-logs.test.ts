/**
 * GET /spend/logs: LiteLLM's rows (newest first) and per-day summary, from the records
 * the gateway settles; internal users see only their own. Calls go to the local echo model.
 */
import { LOCAL_ECHO } from '../../shared/models/config-file';
import { seedLocalModels } from '../../shared/models/config-file';
import { expectError, testStack, type TestStack } from '../support/stack';

async function member(s: TestStack, teamId: string) {
  const user = await s.userWithSession('internal_user');
  await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.userId } } });
  const key = await s.call('POST', '/key/generate', { body: { team_id: teamId, user_id: user.userId } });
  expect(key.status).toBe(200);
  return { ...user, secret: key.body.key as string, hash: key.body.token as string };
}

const chat = (s: TestStack, secret: string, content: string) =>
  s.call('POST', '/v1/chat/completions', { token: secret, body: { model: LOCAL_ECHO.model_name, messages: [{ role: 'user', content }] } });

test('rows and per-day summaries by key, user, team and date; internal users see only their own', async () => {
  const s = await testStack();
  await seedLocalModels(s.deps.models, []);
  const team = await s.call('POST', '/team/new', { body: { models: [LOCAL_ECHO.model_name] } });
  const teamId = team.body.team_id as string;
  const ana = await member(s, teamId);
  const bob = await member(s, teamId);
  const calls = [await chat(s, ana.secret, 'one'), await chat(s, ana.secret, 'two'), await chat(s, bob.secret, 'three')];
  for (const c of calls) expect(c.status).toBe(200);

  const byKey = await s.call('GET', `/spend/logs?api_key=${ana.secret}`);
  expect(byKey.status).toBe(200);
  expect(byKey.body).toHaveLength(2);
  expect(byKey.body[0]).toMatchObject({
    request_id: calls[1]!.headers.get('x-litellm-call-id'),
    call_type: 'acompletion',
    api_key: ana.hash,
    user: ana.userId,
    team_id: teamId,
    model: 'onramp-local-echo',
    model_group: 'onramp-local-echo',
    custom_llm_provider: 'echo',
    status: 'success',
    metadata: { estimated: false, price_source: 'model', price_database: expect.any(String) },
  });
  expect(byKey.body[0].spend).toBeGreaterThan(0);
  expect(byKey.body[0].total_tokens).toBe(byKey.body[0].prompt_tokens + byKey.body[0].completion_tokens);
  expect(Number(calls[1]!.headers.get('x-litellm-response-cost'))).toBeCloseTo(byKey.body[0].spend, 10);

  expect((await s.call('GET', `/spend/logs?user_id=${bob.userId}`)).body.map((r: any) => r.user)).toEqual([bob.userId]);
  expect((await s.call('GET', `/spend/logs?team_id=${teamId}`)).body).toHaveLength(3);
  const single = await s.call('GET', `/spend/logs?request_id=${calls[2]!.headers.get('x-litellm-call-id')}`);
  expect(single.body).toHaveLength(1);

  const today = new Date().toISOString().slice(0, 10);
  const summary = await s.call('GET', `/spend/logs?start_date=${today}&end_date=${today}`);
  expect(summary.status).toBe(200);
  expect(summary.body).toHaveLength(1);
  const total = [...byKey.body, ...(await s.call('GET', `/spend/logs?user_id=${bob.userId}`)).body].reduce((a: number, r: any) => a + r.spend, 0);
  expect(summary.body[0]).toMatchObject({ startTime: today, users: { [ana.userId]: expect.any(Number), [bob.userId]: expect.any(Number) }, models: { 'onramp-local-echo': expect.any(Number) } });
  expect(summary.body[0].spend).toBeCloseTo(total, 9);
  expect((await s.call('GET', `/spend/logs?start_date=${today}&end_date=${today}&summarize=false`)).body).toHaveLength(3);

  // An internal user asking for someone else's spend gets only their own.
  const asAna = await s.call('GET', `/spend/logs?user_id=${bob.userId}`, { token: ana.token });
  expect(asAna.status).toBe(200);
  expect(asAna.body).toEqual([]);
  const anaOwn = await s.call('GET', '/spend/logs', { token: ana.token });
  expect(anaOwn.body.map((r: any) => r.user)).toEqual([ana.userId, ana.userId]);
  expect((await s.call('GET', `/spend/logs?team_id=${teamId}`, { token: ana.token })).body).toHaveLength(2);

  expectError(await s.call('GET', '/spend/logs?start_date=2026-13-45x'), 400);
  expectError(await s.call('GET', '/spend/logs?start_date=2026-02-01&end_date=2026-01-01'), 400);
  expectError(await s.call('GET', '/spend/logs?start_date=2025-01-01&end_date=2026-01-01'), 400);
  expectError(await s.call('GET', '/spend/logs', { token: null }), 401);
});

test("the user's page shows their recent requests and what they can still spend per team", async () => {
  const s = await testStack();
  await seedLocalModels(s.deps.models, []);
  const team = await s.call('POST', '/team/new', { body: { team_alias: 'explorers', models: [LOCAL_ECHO.model_name], max_budget: 10, team_member_budget: 2 } });
  const ana = await member(s, team.body.team_id);
  expect((await chat(s, ana.secret, 'hello page')).status).toBe(200);
  const page = await s.app.request('http://onramp.test/ui', { headers: { cookie: `token=${ana.token}` } });
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Your recent model requests');
  expect(html).toContain('You can still spend');
  const table = html.slice(html.indexOf('Your recent model requests'));
  expect(table).toContain('onramp-local-echo');
  expect(table).toMatch(/\$0\.0000\d\d/);
  // $2 member budget minus a few millionths of a dollar
  expect(html).toContain('$2.00');
});

test('a date that does not exist is a 400 naming the field, not a 500', async () => {
  const s = await testStack();
  for (const [field, day] of [['start_date', '2026-02-30'], ['end_date', '2026-13-01'], ['start_date', '0000-00-00']] as const) {
    const err = expectError(await s.call('GET', `/spend/logs?${field}=${day}&user_id=someone`), 400);
    expect(err.param).toBe(field);
  }
  expect((await s.call('GET', '/spend/logs?start_date=2026-02-28&end_date=2026-03-01&user_id=someone')).status).toBe(200);
});
