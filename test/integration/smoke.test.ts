import { testStack } from '../support/stack';

test('smoke', async () => {
  const s = await testStack();
  const r = await s.call('GET', '/health/readiness');
  expect(r.status).toBe(200);
  const u = await s.call('POST', '/user/new', { body: { user_email: 'A@x.com' } });
  expect(u.status).toBe(200);
  console.log(u.body);
  const t = Date.now();
  const w = await s.userWithSession('internal_user');
  console.log('user+login ms', Date.now() - t);
  const me = await s.call('GET', '/user/info', { token: w.token });
  console.log(me.status, me.body);
  console.log((await s.call('GET', '/nope')).body);
  console.log((await s.call('POST', '/user/new', { body: { user_role: 'bogus' } })).body);
  console.log(Object.keys(((await s.call('GET', '/openapi.json')).body as any).paths));
});
