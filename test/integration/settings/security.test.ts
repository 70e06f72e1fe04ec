/**
 * Who may read and change the default user settings: built with the shared role
 * matrix (test/support/role-matrix.ts, which describes the roles). A refused change
 * must leave the settings exactly as they were.
 */
import { describeRoleMatrix, roleCallers, type RoleCallers, type RouteCase } from '../../support/role-matrix';
import { testStack, type Reply, type TestStack } from '../../support/stack';

let s: TestStack;
let c: RoleCallers;

async function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`fixture ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

const ROUTES: Record<string, RouteCase> = {
  'GET /get/internal_user_settings': {
    fixture: async () => ({}),
    call: (_f, token) => s.call('GET', '/get/internal_user_settings', { token }),
    onSuccess: async (_f, r) => expect(r.body.values).toMatchObject({ user_role: 'internal_user', teams: [] }),
  },
  'PATCH /update/internal_user_settings': {
    fixture: async () => ({}),
    // A change that affects nothing else in this file: new users' budget period.
    call: (_f, token) => s.call('PATCH', '/update/internal_user_settings', { token, body: { budget_duration: '30d' } }),
    state: async () => (await s.call('GET', '/get/internal_user_settings')).body,
    onSuccess: async (_f, r) => {
      expect(r.body).toMatchObject({ status: 'success', settings: { budget_duration: '30d' } });
      await ok(await s.call('PATCH', '/update/internal_user_settings', { body: { budget_duration: null } }), 'settings reset');
    },
  },
};

beforeAll(async () => {
  s = await testStack();
  c = await roleCallers(s);
});

describeRoleMatrix({
  callers: () => c,
  routes: ROUTES,
  // prettier-ignore
  matrix: [
    //                                         master  admin  viewer  internal  iviewer  tadmin  member  outsider  other_key  anon
    ['GET /get/internal_user_settings',         '200    200    200     403       403      403     403     403       403        401'],
    ['PATCH /update/internal_user_settings',    '200    200    403     403       403      403     403     403       403        401'],
  ],
});
