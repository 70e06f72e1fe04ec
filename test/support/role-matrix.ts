/**
 * One way to say who may call a route: a table of routes × roles, each cell the
 * answer that role must get. `roleCallers` builds one caller per role on a test
 * stack; `describeRoleMatrix` turns a table into one jest test per cell, and
 * `expectRoles` checks one request as several roles inside a single test. A
 * failure always names the role and the route.
 *
 * @example
 * let c: RoleCallers;
 * beforeAll(async () => { s = await testStack(); c = await roleCallers(s); });
 * describeRoleMatrix({
 *   callers: () => c,
 *   matrix: [['GET /team/list', '200 200 200 200 200 200 200 200 200 401']],
 *   routes: { 'GET /team/list': { call: (_f, token) => s.call('GET', '/team/list', { token }) } },
 * });
 */
import { randomUUID } from 'node:crypto';
import { expectError, type Reply, type TestStack } from './stack';

/**
 * The callers, in the column order of every matrix:
 *   master_key            the master key (acts as proxy_admin, user `default_user_id`)
 *   proxy_admin           a user with the proxy_admin role, by session
 *   proxy_admin_viewer    a proxy_admin_viewer, by session
 *   internal_user         an internal_user in no team, by session
 *   internal_user_viewer  an internal_user_viewer in no team, by session
 *   team_admin            an internal_user who is an admin of the team
 *   team_member           an internal_user who is a plain member of the team
 *   outsider              an internal_user in another team, not in the team
 *   other_key             another internal_user in no team, calling with their own virtual key (sk-…)
 *   anonymous             no credentials
 */
export const ROLES = [
  'master_key',
  'proxy_admin',
  'proxy_admin_viewer',
  'internal_user',
  'internal_user_viewer',
  'team_admin',
  'team_member',
  'outsider',
  'other_key',
  'anonymous',
] as const;
export type Role = (typeof ROLES)[number];
export type Caller = { userId: string; email: string; token: string };
type UserRole = Exclude<Role, 'master_key' | 'anonymous'>;

/** The admin roles: they see everything, whoever owns it. */
export const readsEverything = (role: Role) => role === 'master_key' || role === 'proxy_admin' || role === 'proxy_admin_viewer';

export type RoleCallers = {
  users: Record<UserRole, Caller>;
  /** The team: `team_admin` its admin, `team_member` a plain member (default permissions), plus `members`. */
  teamId: string;
  /** Another team, whose only member is `outsider`. */
  otherTeamId: string;
  /** The credential `TestStack.call` sends for a role: undefined = the master key, null = none. */
  tokenOf(role: Role): string | null | undefined;
  /** The user a role acts as; null for the master key and anonymous callers. */
  userIdOf(role: Role): string | null;
};

async function ok(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`role fixture ${what} failed: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Creates one caller per role on `s` (as the master key), the team and the other team. */
export async function roleCallers(s: TestStack, opts: { members?: Array<{ user_id: string; role: 'admin' | 'user' }> } = {}): Promise<RoleCallers> {
  const users = {} as Record<UserRole, Caller>;
  users.proxy_admin = await s.userWithSession('proxy_admin');
  users.proxy_admin_viewer = await s.userWithSession('proxy_admin_viewer');
  users.internal_user = await s.userWithSession('internal_user');
  users.internal_user_viewer = await s.userWithSession('internal_user_viewer');
  users.team_admin = await s.userWithSession('internal_user');
  users.team_member = await s.userWithSession('internal_user');
  users.outsider = await s.userWithSession('internal_user');
  const email = `other-key-${randomUUID().slice(0, 8)}@example.com`;
  const withKey = await ok(await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user' } }), 'other_key user');
  users.other_key = { userId: withKey.user_id, email, token: withKey.key };
  const suffix = randomUUID().slice(0, 8);
  const team = await ok(
    await s.call('POST', '/team/new', {
      body: {
        team_alias: `roles-${suffix}`,
        members_with_roles: [{ user_id: users.team_admin.userId, role: 'admin' }, { user_id: users.team_member.userId, role: 'user' }, ...(opts.members ?? [])],
      },
    }),
    'team',
  );
  const other = await ok(await s.call('POST', '/team/new', { body: { team_alias: `roles-other-${suffix}`, members_with_roles: [{ user_id: users.outsider.userId, role: 'user' }] } }), 'other team');
  return {
    users,
    teamId: team.team_id,
    otherTeamId: other.team_id,
    tokenOf: (role) => (role === 'master_key' ? undefined : role === 'anonymous' ? null : users[role].token),
    userIdOf: (role) => (role === 'master_key' || role === 'anonymous' ? null : users[role].userId),
  };
}

/** What a cell expects: a status, and for a refusal the error type and any further check. */
export type Expectation = { status: number; type?: string; check?: (err: { message: string; param: string | null }, route: string) => void };

/** Cells are written as statuses; 401 and 403 are refusals of type `auth_error`. Add your own letters. */
export const DEFAULT_LEGEND: Record<string, Expectation> = {
  '200': { status: 200 },
  '401': { status: 401, type: 'auth_error' },
  '403': { status: 403, type: 'auth_error' },
};

/** A route under test: what it needs, how to call it, and what must not change when it is refused. */
export type RouteCase<F = any> = {
  fixture?: () => Promise<F>;
  call: (f: F, token: string | null | undefined, role: Role) => Promise<Reply>;
  /** Read back (as the master key) what the call targets; compared before/after a refusal. */
  state?: (f: F) => Promise<unknown>;
  /** Extra checks on a 200. */
  onSuccess?: (f: F, reply: Reply, role: Role) => Promise<void>;
  /** Extra checks after any answer, given the status the role expected. */
  after?: (f: F, reply: Reply, role: Role, status: number) => Promise<void>;
};

export type Cell = { route: string; role: Role; expected: string };

/** The cells of a table whose rows are `[route, 'one cell per role, separated by spaces']`. */
export function matrixCells(matrix: ReadonlyArray<readonly [string, string]>, roles: readonly Role[] = ROLES, legend = DEFAULT_LEGEND): Cell[] {
  return matrix.flatMap(([route, row]) => {
    const cells = row.trim().split(/\s+/);
    if (cells.length !== roles.length) throw new Error(`role matrix row ${route} has ${cells.length} cells for ${roles.length} roles`);
    for (const c of cells) if (!legend[c]) throw new Error(`role matrix row ${route}: unknown cell '${c}'`);
    return cells.map((expected, i) => ({ route, role: roles[i]!, expected }));
  });
}

/** Runs `body`, prefixing any failure with the role and route it was about. */
async function asRole(role: Role, route: string, expected: string, body: () => Promise<void>) {
  try {
    await body();
  } catch (err) {
    if (err instanceof Error) err.message = `[${route} as ${role}, expected ${expected}] ${err.message}`;
    throw err;
  }
}

/** Checks one answer against its expectation; a refusal must be LiteLLM's envelope with the right type. */
function expectAnswer(reply: Reply, exp: Expectation, route: string) {
  if (reply.status !== exp.status) throw new Error(`answered ${reply.status}, expected ${exp.status}: ${JSON.stringify(reply.body)}`);
  if (exp.status === 200) {
    expect({ status: reply.status, error: reply.body?.error }).toEqual({ status: 200, error: undefined });
    expect(reply.body).toEqual(expect.anything());
    return;
  }
  const err = expectError(reply, exp.status, exp.type);
  exp.check?.(err, route);
}

/** One test that every route of `matrix` has a case and a row, then one test per cell. */
export function describeRoleMatrix(opts: {
  callers: () => RoleCallers;
  matrix: ReadonlyArray<readonly [string, string]>;
  routes: Record<string, RouteCase>;
  roles?: readonly Role[];
  legend?: Record<string, Expectation>;
}) {
  const roles = opts.roles ?? ROLES;
  const legend = opts.legend ?? DEFAULT_LEGEND;
  const cells = matrixCells(opts.matrix, roles, legend);

  test('the matrix covers every route and every role', () => {
    expect(Object.keys(opts.routes).sort()).toEqual(opts.matrix.map(([r]) => r).sort());
    expect(cells).toHaveLength(opts.matrix.length * roles.length);
  });

  test.each(cells)('$route as $role → $expected', async ({ route, role, expected }) => {
    await asRole(role, route, expected, async () => {
      const spec = opts.routes[route]!;
      const exp = legend[expected]!;
      const f = spec.fixture ? await spec.fixture() : undefined;
      const before = spec.state ? await spec.state(f) : undefined;
      const reply = await spec.call(f, opts.callers().tokenOf(role), role);
      expectAnswer(reply, exp, route);
      if (exp.status === 200) await spec.onSuccess?.(f, reply, role);
      // A refused call changes nothing.
      else if (spec.state) expect(await spec.state(f)).toEqual(before);
      await spec.after?.(f, reply, role, exp.status);
    });
  });
}

/**
 * Sends `request` as each role named in `expected` (in that order) and checks each
 * answer; every mismatch is reported at once, by role.
 * @example await expectRoles(c, (token) => s.call('GET', '/user/list', { token }), { internal_user: 403, anonymous: 401 });
 */
export async function expectRoles(
  callers: RoleCallers,
  request: (token: string | null | undefined, role: Role) => Promise<Reply>,
  expected: Partial<Record<Role, number | string>>,
  legend = DEFAULT_LEGEND,
) {
  const failures: string[] = [];
  for (const [role, cell] of Object.entries(expected) as Array<[Role, number | string]>) {
    const exp = legend[String(cell)];
    if (!exp) throw new Error(`expectRoles: unknown expectation '${cell}' for ${role}`);
    const reply = await request(callers.tokenOf(role), role);
    try {
      expectAnswer(reply, exp, 'request');
    } catch (err) {
      failures.push(`${role}: ${err instanceof Error ? err.message.split('\n')[0] : err}`);
    }
  }
  if (failures.length) throw new Error(`wrong answer for ${failures.length} role(s):\n  ${failures.join('\n  ')}`);
}
