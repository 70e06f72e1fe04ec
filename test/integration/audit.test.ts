import { AUDIT_TARGETS, NOT_AUDITED } from '../../shared/audit/targets';
import { sha256Hex } from '../../shared/core/ids';
import { KeyRotation } from '../../shared/keys/rotation';
import { expectError, MASTER_KEY, testStack, type Reply, type TestStack } from '../support/stack';

const PASSWORD = 'correct horse battery staple';
const UPSTREAM_SECRET = 'sk-upstream-credential-never-audited-0123';

/** The text of the newest email sent to `to` (local SES store). */
async function lastMailTo(to: string): Promise<string> {
  for (let i = 0; i < 50; i++) {
    const store = (await (await fetch(`${process.env.ONRAMP_TEST_SES_ENDPOINT}/store`)).json()) as { emails: { destination: { to: string[] }; body: { text?: string; html?: string } }[] };
    const mail = store.emails.filter((m) => m.destination.to.includes(to)).at(-1);
    if (mail) return `${mail.body.text ?? ''}${mail.body.html ?? ''}`;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${to}`);
}

/** Every audit entry in the table, newest first. */
async function entries(s: TestStack) {
  return (await s.deps.audit.list({ page: 1, page_size: 1000, sort_order: 'desc' })).audit_logs;
}

function ok(r: Reply, what: string) {
  if (r.status >= 400) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body)}`);
  return r;
}

describe('audit log', () => {
  let s: TestStack;
  beforeAll(async () => {
    s = await testStack();
  });

  test('every mutating route in the OpenAPI document writes an audit entry', async () => {
    const ctx: Record<string, string> = {};
    const newUser = async (tag: string) => ok(await s.call('POST', '/user/new', { body: { user_email: `${tag}-${Date.now()}@example.com`, user_role: 'internal_user' } }), tag).body;
    const invitation = async (userId: string) => ok(await s.call('POST', '/invitation/new', { body: { user_id: userId, send_email: false } }), 'invite').body.id as string;
    const onboarded = async () => {
      const u = await newUser('onboarded');
      const id = await invitation(u.user_id);
      const t = ok(await s.call('GET', `/onboarding/get_token?invite_link=${id}`, { token: null }), 'get_token').body.token;
      return { user: u, id, token: t as string };
    };
    /** Each mutating route with a request that succeeds, in an order that builds what the next one needs. */
    const examples: { route: string; table: string; action?: string; run: () => Promise<Reply> }[] = [
      { route: 'post /user/new', table: 'LiteLLM_UserTable', action: 'created', run: async () => {
        const r = await s.call('POST', '/user/new', { body: { user_email: `audited-${Date.now()}@example.com`, user_role: 'internal_user' } });
        ctx.userId = r.body.user_id;
        return r;
      } },
      { route: 'post /user/update', table: 'LiteLLM_UserTable', action: 'updated', run: () => s.call('POST', '/user/update', { body: { user_id: ctx.userId, max_budget: 10 } }) },
      { route: 'post /team/new', table: 'LiteLLM_TeamTable', action: 'created', run: async () => {
        const r = await s.call('POST', '/team/new', { body: { team_alias: `audited-${Date.now()}`, models: ['gpt-4o'] } });
        ctx.teamId = r.body.team_id;
        return r;
      } },
      { route: 'post /team/update', table: 'LiteLLM_TeamTable', action: 'updated', run: () => s.call('POST', '/team/update', { body: { team_id: ctx.teamId, max_budget: 50 } }) },
      { route: 'post /team/member_add', table: 'LiteLLM_TeamMembership', action: 'created', run: () => s.call('POST', '/team/member_add', { body: { team_id: ctx.teamId, member: { user_id: ctx.userId, role: 'user' } } }) },
      { route: 'post /team/member_update', table: 'LiteLLM_TeamMembership', action: 'updated', run: () => s.call('POST', '/team/member_update', { body: { team_id: ctx.teamId, user_id: ctx.userId, role: 'admin' } }) },
      { route: 'post /team/permissions_update', table: 'LiteLLM_TeamTable', action: 'updated', run: () => s.call('POST', '/team/permissions_update', { body: { team_id: ctx.teamId, team_member_permissions: ['/key/info', '/key/generate'] } }) },
      { route: 'patch /update/internal_user_settings', table: 'LiteLLM_Config', action: 'updated', run: () => s.call('PATCH', '/update/internal_user_settings', { body: { max_budget: 5 } }) },
      { route: 'post /key/generate', table: 'LiteLLM_VerificationToken', action: 'created', run: async () => {
        const r = await s.call('POST', '/key/generate', { body: { key_alias: `audited-${Date.now()}` } });
        ctx.token = r.body.token;
        return r;
      } },
      { route: 'post /key/update', table: 'LiteLLM_VerificationToken', action: 'updated', run: () => s.call('POST', '/key/update', { body: { key: ctx.token, max_budget: 3 } }) },
      { route: 'post /key/block', table: 'LiteLLM_VerificationToken', action: 'blocked', run: () => s.call('POST', '/key/block', { body: { key: ctx.token } }) },
      { route: 'post /key/unblock', table: 'LiteLLM_VerificationToken', action: 'unblocked', run: () => s.call('POST', '/key/unblock', { body: { key: ctx.token } }) },
      { route: 'post /key/regenerate', table: 'LiteLLM_VerificationToken', action: 'rotated', run: async () => {
        const r = await s.call('POST', '/key/regenerate', { body: { key: ctx.token } });
        ctx.token = r.body.token;
        return r;
      } },
      { route: 'post /key/{key}/regenerate', table: 'LiteLLM_VerificationToken', action: 'rotated', run: async () => {
        const r = await s.call('POST', `/key/${ctx.token}/regenerate`, { body: {} });
        ctx.token = r.body.token;
        return r;
      } },
      { route: 'post /key/delete', table: 'LiteLLM_VerificationToken', action: 'deleted', run: () => s.call('POST', '/key/delete', { body: { keys: [ctx.token] } }) },
      { route: 'post /key/rotated_secret', table: 'LiteLLM_VerificationToken', action: 'secret_revealed', run: async () => {
        // A key rotated by the schedule (run here with a clock past its rotation time); a proxy admin reads its new secret.
        const k = ok(await s.call('POST', '/key/generate', { body: { auto_rotate: true, rotation_interval: '1d' } }), 'rotating key').body;
        await new KeyRotation(s.deps.table, () => new Date(Date.now() + 2 * 86_400_000)).run();
        const rotated = ok(await s.call('GET', `/key/list?return_full_object=true&size=100`), 'key list').body.keys.find((x: { regenerated_from?: string[] }) => x.regenerated_from?.includes(k.token));
        const admin = await s.userWithSession('proxy_admin');
        return s.call('POST', '/key/rotated_secret', { token: admin.token, body: { key: rotated.token } });
      } },
      { route: 'post /model/new', table: 'LiteLLM_ProxyModelTable', action: 'created', run: async () => {
        const r = await s.call('POST', '/model/new', {
          body: { model_name: `audited-${Date.now()}`, litellm_params: { model: 'openai/audited', api_base: 'http://127.0.0.1:9/v1', api_key: UPSTREAM_SECRET, input_cost_per_token: 1e-6, output_cost_per_token: 2e-6 } },
        });
        ctx.modelId = r.body.model_id;
        return r;
      } },
      { route: 'post /model/update', table: 'LiteLLM_ProxyModelTable', action: 'updated', run: () => s.call('POST', '/model/update', { body: { model_info: { id: ctx.modelId }, litellm_params: { output_cost_per_token: 3e-6 } } }) },
      { route: 'patch /model/{model_id}/update', table: 'LiteLLM_ProxyModelTable', action: 'updated', run: () => s.call('PATCH', `/model/${ctx.modelId}/update`, { body: { litellm_params: { output_cost_per_token: 4e-6 } } }) },
      { route: 'post /model/delete', table: 'LiteLLM_ProxyModelTable', action: 'deleted', run: () => s.call('POST', '/model/delete', { body: { id: ctx.modelId } }) },
      { route: 'post /invitation/new', table: 'LiteLLM_InvitationLink', action: 'created', run: async () => {
        const r = await s.call('POST', '/invitation/new', { body: { user_id: ctx.userId, send_email: false } });
        ctx.invitationId = r.body.id;
        return r;
      } },
      { route: 'post /invitation/resend', table: 'LiteLLM_InvitationLink', action: 'resent', run: async () => {
        const r = await s.call('POST', '/invitation/resend', { body: { invitation_id: ctx.invitationId } });
        ctx.invitationId = r.body.id;
        return r;
      } },
      { route: 'post /invitation/update', table: 'LiteLLM_InvitationLink', action: 'updated', run: () => s.call('POST', '/invitation/update', { body: { invitation_id: ctx.invitationId, is_accepted: true } }) },
      { route: 'post /invitation/delete', table: 'LiteLLM_InvitationLink', action: 'deleted', run: () => s.call('POST', '/invitation/delete', { body: { invitation_id: ctx.invitationId } }) },
      { route: 'post /onboarding/claim_token', table: 'LiteLLM_UserTable', action: 'onboarded', run: async () => {
        const o = await onboarded();
        ctx.email = o.user.user_email;
        return s.call('POST', '/onboarding/claim_token', { token: null, body: { invitation_link: o.id, user_id: o.user.user_id, password: PASSWORD, token: o.token } });
      } },
      { route: 'post /password/forgot', table: 'LiteLLM_UserTable', action: 'password_reset_requested', run: () => s.call('POST', '/password/forgot', { token: null, body: { user_email: ctx.email } }) },
      { route: 'post /password/reset', table: 'LiteLLM_UserTable', action: 'password_reset', run: async () => {
        const mail = await lastMailTo(ctx.email!);
        ctx.resetId = /reset-password\?id=([A-Za-z0-9_-]+)/.exec(mail)![1]!;
        return s.call('POST', '/password/reset', { token: null, body: { reset_id: ctx.resetId, password: PASSWORD } });
      } },
      { route: 'post /login', table: 'onramp_session', action: 'login', run: () => s.call('POST', '/login', { token: null, form: { username: ctx.email!, password: PASSWORD } }) },
      { route: 'post /v2/login', table: 'onramp_session', action: 'login', run: async () => {
        const r = await s.call('POST', '/v2/login', { token: null, body: { username: ctx.email, password: PASSWORD } });
        ctx.session = r.body.token;
        return r;
      } },
      { route: 'post /logout', table: 'onramp_session', action: 'logout', run: () => s.call('POST', '/logout', { token: ctx.session }) },
      { route: 'post /budget/reset', table: 'onramp_budget_reset', action: 'reset', run: () => s.call('POST', '/budget/reset') },
      { route: 'post /team/member_delete', table: 'LiteLLM_TeamMembership', action: 'deleted', run: () => s.call('POST', '/team/member_delete', { body: { team_id: ctx.teamId, user_id: ctx.userId } }) },
      { route: 'post /team/delete', table: 'LiteLLM_TeamTable', action: 'deleted', run: () => s.call('POST', '/team/delete', { body: { team_ids: [ctx.teamId] } }) },
      { route: 'post /user/delete', table: 'LiteLLM_UserTable', action: 'deleted', run: () => s.call('POST', '/user/delete', { body: { user_ids: [ctx.userId] } }) },
    ];

    // A new mutating route fails here until it has an example above (and so is seen to be audited).
    const document = (await s.call('GET', '/openapi.json')).body;
    const mutating = Object.entries(document.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).filter((m) => m !== 'get').map((m) => `${m} ${path}`))
      .filter((r) => !NOT_AUDITED.test(r.split(' ')[1]!));
    expect(examples.map((e) => e.route).sort()).toEqual(mutating.sort());

    for (const example of examples) {
      const seen = new Set((await entries(s)).map((e) => e.id));
      const reply = ok(await example.run(), example.route);
      const written = (await entries(s)).filter((e) => !seen.has(e.id));
      expect({ route: example.route, written: written.length > 0 }).toEqual({ route: example.route, written: true });
      expect({ route: example.route, tables: written.map((e) => e.table_name) }).toEqual({ route: example.route, tables: expect.arrayContaining([example.table]) });
      if (example.action) expect({ route: example.route, actions: written.map((e) => e.action) }).toEqual({ route: example.route, actions: expect.arrayContaining([example.action]) });
      // No secret the route answered with is in the log.
      const secrets = [reply.body?.key, reply.body?.token && String(reply.body.token).startsWith('ey') ? reply.body.token : undefined, reply.body?.invitation_link, reply.body?.id && example.table === 'LiteLLM_InvitationLink' ? reply.body.id : undefined, PASSWORD, MASTER_KEY, UPSTREAM_SECRET, ctx.resetId].filter(
        (x): x is string => typeof x === 'string' && x.length > 0,
      );
      for (const secret of secrets) expect(JSON.stringify(written)).not.toContain(secret);
    }
  });

  test('an entry says who acted (user and key hash), what, and the object before and after, without secrets', async () => {
    const admin = await s.userWithSession('proxy_admin');
    const own = ok(await s.call('POST', '/key/generate', { token: admin.token, body: { key_alias: `admin-key-${Date.now()}` } }), 'admin key').body;
    const team = ok(await s.call('POST', '/team/new', { body: { team_alias: `before-after-${Date.now()}`, max_budget: 10 } }), 'team').body;

    ok(await s.call('POST', '/team/update', { token: own.key, body: { team_id: team.team_id, max_budget: 25 } }), 'update');
    const [entry] = (await s.deps.audit.list({ page: 1, page_size: 1, object_id: team.team_id, action: 'updated', sort_order: 'desc' })).audit_logs;
    expect(entry).toMatchObject({
      changed_by: admin.userId,
      changed_by_api_key: sha256Hex(own.key),
      action: 'updated',
      table_name: 'LiteLLM_TeamTable',
      object_id: team.team_id,
      before_value: { team_id: team.team_id, max_budget: 10 },
      updated_values: { team_id: team.team_id, max_budget: 25 },
    });
    expect(Date.parse(entry!.updated_at)).toBeGreaterThan(Date.now() - 60_000);

    // A password change: the user's values hold neither the password nor its hash nor the session stamp.
    const user = await s.userWithSession('internal_user');
    ok(await s.call('POST', '/user/update', { body: { user_id: user.userId, password: PASSWORD } }), 'password');
    const [changed] = (await s.deps.audit.list({ page: 1, page_size: 1, object_id: user.userId, action: 'updated', sort_order: 'desc' })).audit_logs;
    expect(changed).toMatchObject({ changed_by: 'default_user_id', changed_by_api_key: '', action: 'updated', table_name: 'LiteLLM_UserTable' });
    const text = JSON.stringify(changed);
    expect(text).not.toMatch(/password|session_stamp|scrypt|PASSWORD/i);
    expect(text).not.toContain(PASSWORD);
  });

  test('a path parameter that is not valid UTF-8 gets the route\'s 4xx, not a 500 from the audit hook', async () => {
    for (const [method, path] of [['PATCH', '/model/a%ED%A0%80b/update'], ['POST', '/key/a%ED%A0%80b/regenerate']] as const) {
      const r = await s.call(method, path, { body: { litellm_params: { output_cost_per_token: 1e-6 } } });
      expect({ path, status: r.status }).toEqual({ path, status: expect.any(Number) });
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expectError(r, r.status);
    }
  });

  test('every route the audit targets describe exists (a misspelt one would be audited without before/after values)', () => {
    const registered = new Set(s.app.routes.map((r) => `${r.method} ${r.path}`));
    expect(Object.keys(AUDIT_TARGETS).filter((route) => !registered.has(route))).toEqual([]);
  });

  test('a change to several objects writes an entry for each: a new user with a key, members added by email', async () => {
    const email = `with-key-${Date.now()}@example.com`;
    const user = ok(await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', auto_create_key: true } }), 'user').body;
    expect(typeof user.token).toBe('string');
    const keyEntry = (await s.deps.audit.list({ page: 1, page_size: 5, object_id: user.token, sort_order: 'desc' })).audit_logs;
    expect(keyEntry).toEqual([expect.objectContaining({ action: 'created', table_name: 'LiteLLM_VerificationToken', updated_values: expect.objectContaining({ user_id: user.user_id }) })]);
    expect(JSON.stringify(keyEntry)).not.toContain(user.key);

    const team = ok(await s.call('POST', '/team/new', { body: { team_alias: `by-email-${Date.now()}` } }), 'team').body;
    const newcomer = `newcomer-${Date.now()}@example.com`;
    ok(await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: [{ user_email: newcomer, role: 'user' }, { user_id: user.user_id, role: 'admin' }] } }), 'add');
    const created = (await s.deps.audit.list({ page: 1, page_size: 100, table_name: 'LiteLLM_UserTable', action: 'created', sort_order: 'desc' })).audit_logs;
    expect(created.some((e) => e.updated_values?.user_email === newcomer)).toBe(true);
    const memberships = (await s.deps.audit.list({ page: 1, page_size: 100, table_name: 'LiteLLM_TeamMembership', sort_order: 'desc' })).audit_logs.filter((e) =>
      e.object_id.startsWith(`${team.team_id}/`),
    );
    expect(memberships.map((e) => e.action)).toEqual(['created', 'created']);
    expect(memberships.map((e) => e.updated_values?.role).sort()).toEqual(['admin', 'user']);
  });

  test('a change made on a web page is audited like one made through the API', async () => {
    const admin = await s.userWithSession('proxy_admin');
    const session = await s.deps.sessions.verify(admin.token);
    const team = ok(await s.call('POST', '/team/new', { body: { team_alias: `page-${Date.now()}` } }), 'team').body;
    const r = await s.app.request(`http://onramp.test/ui/teams/${team.team_id}/permissions`, {
      method: 'POST',
      headers: { cookie: `token=${admin.token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ csrf_token: session!.csrf, team_member_permissions: '/key/generate' }).toString(),
    });
    expect(r.status).toBe(303);
    const [entry] = (await s.deps.audit.list({ page: 1, page_size: 1, object_id: team.team_id, action: 'updated', sort_order: 'desc' })).audit_logs;
    expect(entry).toMatchObject({ changed_by: admin.userId, action: 'updated', table_name: 'LiteLLM_TeamTable' });
    expect(entry!.updated_values?.team_member_permissions).toContain('/key/generate');
    expect(entry!.before_value?.team_member_permissions).not.toContain('/key/generate');
    expect(JSON.stringify(entry)).not.toContain(session!.csrf);
  });

  test('a refused change writes no entry', async () => {
    const viewer = await s.userWithSession('internal_user_viewer');
    const before = (await entries(s)).length;
    expectError(await s.call('POST', '/team/update', { body: { team_id: 'no-such-team', max_budget: 1 } }), 404);
    expectError(await s.call('POST', '/team/new', { body: { team_alias: 'x', max_budget: -1 } }), 400);
    expectError(await s.call('POST', '/team/new', { token: viewer.token, body: { team_alias: 'viewer-team' } }), 403);
    // Signed out: the page sends the browser to sign in, and nothing is recorded.
    const signedOut = await s.app.request('http://onramp.test/ui/keys', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'key_alias=x' });
    expect(signedOut.status).toBe(303);
    expect((await entries(s)).length).toBe(before);
  });

  test("GET /audit answers in LiteLLM's paged shape, filters, and GET /audit/{id} reads one entry; only admins and viewers read it", async () => {
    const team = ok(await s.call('POST', '/team/new', { body: { team_alias: `listed-${Date.now()}` } }), 'team').body;
    // Entries are ordered by their millisecond: keep these apart.
    const tick = () => new Promise((resolve) => setTimeout(resolve, 5));
    for (const budget of [1, 2, 3]) {
      await tick();
      ok(await s.call('POST', '/team/update', { body: { team_id: team.team_id, max_budget: budget } }), 'update');
    }

    const page = await s.call('GET', `/audit?object_id=${team.team_id}&page_size=2`);
    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ total: 4, page: 1, page_size: 2, total_pages: 2 });
    expect(page.body.audit_logs).toHaveLength(2);
    expect(Object.keys(page.body.audit_logs[0]).sort()).toEqual(
      ['action', 'before_value', 'changed_by', 'changed_by_api_key', 'id', 'object_id', 'table_name', 'updated_at', 'updated_values'].sort(),
    );
    expect(page.body.audit_logs[0].updated_values.max_budget).toBe(3);

    const created = await s.call('GET', `/audit?object_id=${team.team_id}&action=created`);
    expect(created.body.total).toBe(1);
    expect(created.body.audit_logs[0].before_value).toBeNull();
    const oldestFirst = await s.call('GET', `/audit?object_id=${team.team_id}&sort_order=asc&page_size=1`);
    expect(oldestFirst.body.audit_logs[0].action).toBe('created');
    const byTable = await s.call('GET', `/audit?table_name=LiteLLM_TeamTable&changed_by=default_user_id&page_size=100`);
    expect(byTable.body.audit_logs.every((e: { table_name: string; changed_by: string }) => e.table_name === 'LiteLLM_TeamTable' && e.changed_by === 'default_user_id')).toBe(true);
    const future = await s.call('GET', `/audit?object_id=${team.team_id}&start_date=2999-01-01`);
    expect(future.body).toMatchObject({ total: 0, audit_logs: [] });

    const one = await s.call('GET', `/audit/${page.body.audit_logs[0].id}`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual(page.body.audit_logs[0]);
    expectError(await s.call('GET', '/audit/no-such-entry'), 404);

    expectError(await s.call('GET', '/audit?page_size=101'), 400);
    expectError(await s.call('GET', '/audit?start_date=yesterday'), 400);
    const user = await s.userWithSession('internal_user');
    expectError(await s.call('GET', '/audit', { token: user.token }), 403);
    expectError(await s.call('GET', `/audit/${one.body.id}`, { token: user.token }), 403);
    const viewer = await s.userWithSession('proxy_admin_viewer');
    expect((await s.call('GET', '/audit', { token: viewer.token })).status).toBe(200);
  });

  test('entries expire by TTL after ONRAMP_AUDIT_RETENTION_DAYS, and count as gone from then on', async () => {
    let now = new Date('2026-03-01T00:00:00Z');
    const t = await testStack({ env: { ONRAMP_AUDIT_RETENTION_DAYS: '7' }, clock: () => now });
    const team = ok(await t.call('POST', '/team/new', { body: { team_alias: 'ttl' } }), 'team').body;
    const [entry] = (await t.call('GET', `/audit?object_id=${team.team_id}`)).body.audit_logs;
    const item = await t.deps.table.get<{ ttl: number }>({ PK: `AUDIT#${entry.id}`, SK: 'AUDIT' });
    expect(item?.ttl).toBe(Date.parse('2026-03-08T00:00:00Z') / 1000);

    now = new Date('2026-03-08T00:00:01Z');
    expect((await t.call('GET', `/audit?object_id=${team.team_id}`)).body.total).toBe(0);
    expectError(await t.call('GET', `/audit/${entry.id}`), 404);
  });
});
