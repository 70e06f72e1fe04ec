/**
 * The usage pages (issue 13, item 6): /ui/usage for a user, /ui/teams/:id/usage for a
 * team, with spend made through the local echo model and the numbers read back from
 * /spend/logs, /user/info and /team/info. Access as /spend/logs and /team/info allow.
 */
import { LOCAL_ECHO, seedLocalModels } from '../../shared/models/config-file';
import { formatDate, formatUsd } from '../../shared/http/pages/format';
import { testStack, type TestStack } from '../support/stack';

const money = (n: number) => `$${n.toFixed(6)}`;

async function member(s: TestStack, teamId: string, role: 'user' | 'admin' = 'user') {
  const user = await s.userWithSession('internal_user', { max_budget: 5, budget_duration: '7d' });
  expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.userId, role } } })).status).toBe(200);
  const key = await s.call('POST', '/key/generate', { body: { team_id: teamId, user_id: user.userId } });
  expect(key.status).toBe(200);
  return { ...user, secret: key.body.key as string };
}

const chat = (s: TestStack, secret: string, content: string) =>
  s.call('POST', '/v1/chat/completions', { token: secret, body: { model: LOCAL_ECHO.model_name, messages: [{ role: 'user', content }] } });

/** The rows of the table under a heading (text of each cell), up to the next heading. */
function section(html: string, heading: string): string {
  const start = html.indexOf(heading);
  expect(start).toBeGreaterThan(-1);
  const next = html.indexOf('<h2', start + heading.length);
  return html.slice(start, next === -1 ? undefined : next);
}

const sum = (rows: Array<{ spend: number }>) => rows.reduce((a, r) => a + r.spend, 0);

let s: TestStack;
let teamId: string;
let ana: Awaited<ReturnType<typeof member>>;
let bob: Awaited<ReturnType<typeof member>>;
let lead: Awaited<ReturnType<typeof member>>;

beforeAll(async () => {
  s = await testStack();
  await seedLocalModels(s.deps.models, []);
  const team = await s.call('POST', '/team/new', {
    body: { team_alias: 'explorers', models: [LOCAL_ECHO.model_name], max_budget: 10, budget_duration: '1mo', team_member_budget: 2 },
  });
  teamId = team.body.team_id;
  ana = await member(s, teamId);
  bob = await member(s, teamId);
  lead = await member(s, teamId, 'admin');
  for (const [who, text] of [[ana, 'one'], [ana, 'two, a little longer'], [bob, 'three']] as const) {
    expect((await chat(s, who.secret, text)).status).toBe(200);
  }
});

test("a user's page shows their spend by day and by model, and each budget with spend, limit, remaining and next reset", async () => {
  const rows = (await s.call('GET', `/spend/logs?user_id=${ana.userId}`)).body as Array<{ spend: number }>;
  expect(rows).toHaveLength(2);
  const total = sum(rows);
  expect(total).toBeGreaterThan(0);

  const page = await s.call('GET', '/ui/usage', { token: ana.token });
  expect(page.status).toBe(200);
  const html = page.body as string;
  expect(html).toContain('<h1>Your usage</h1>');
  expect(html).toContain(`<strong>${money(total)}</strong> in 2 requests`);

  // The chart: 30 bars, one per day, drawn on the server, with no script and no style attribute.
  const chart = html.slice(html.indexOf('<svg viewBox'), html.indexOf('</svg>') + 6);
  expect(chart.match(/<rect /g)).toHaveLength(30);
  const today = new Date().toISOString().slice(0, 10);
  expect(chart).toContain(`<title>${today}: ${money(total)}</title>`);
  expect(html).not.toMatch(/style="/);
  expect(html).not.toMatch(/<script>/);

  const byModel = section(html, 'Spend by model');
  expect(byModel).toContain(`<td>${LOCAL_ECHO.model_name}</td><td>2</td><td>${money(total)}</td>`);
  expect(byModel).toContain('100%');

  const user = (await s.call('GET', `/user/info?user_id=${ana.userId}`)).body.user_info;
  const info = (await s.call('GET', `/team/info?team_id=${teamId}`)).body;
  const membership = info.team_memberships.find((m: any) => m.user_id === ana.userId);
  const budgets = section(html, '>Budgets<');
  expect(budgets).toContain(
    `<td>Your own budget</td><td>${money(user.spend)}</td><td>${formatUsd(5)}</td><td>${formatUsd(5 - user.spend)}</td><td>${formatDate(user.budget_reset_at)} (Weekly (7d))</td>`,
  );
  expect(user.budget_reset_at).toBeTruthy();
  expect(budgets).toContain(
    `<td>Your budget in team explorers</td><td>${money(membership.spend)}</td><td>${formatUsd(2)}</td><td>${formatUsd(membership.remaining_budget)}</td><td>${formatDate(membership.litellm_budget_table.budget_reset_at)} (Monthly (1mo))</td>`,
  );
  expect(membership.spend).toBeCloseTo(total, 9);
  expect(budgets).toContain(`Team explorers (all members)</a></td><td>${money(info.team_info.spend)}</td><td>${formatUsd(10)}</td><td>${formatUsd(10 - info.team_info.spend)}</td>`);
  expect(info.team_info.budget_reset_at).toBeTruthy();
  expect(budgets).toContain(formatDate(info.team_info.budget_reset_at));
  // The navigation leads here.
  expect(html).toContain('<a href="/ui/usage" aria-current="page">Usage</a>');
});

test("admins see any user's usage with ?user_id= (or an email); internal users only their own", async () => {
  const asAdmin = await s.call('GET', `/ui/usage?user_id=${bob.userId}`);
  expect(asAdmin.status).toBe(200);
  const bobRows = (await s.call('GET', `/spend/logs?user_id=${bob.userId}`)).body as Array<{ spend: number }>;
  expect(asAdmin.body).toContain(`<h1>Usage: ${bob.email}</h1>`);
  expect(asAdmin.body).toContain(`<strong>${money(sum(bobRows))}</strong> in 1 request `);
  expect(asAdmin.body).toContain('Their budget in team explorers');
  const byEmail = await s.call('GET', `/ui/usage?user_id=${encodeURIComponent(bob.email)}`);
  expect(byEmail.status).toBe(200);
  expect(byEmail.body).toContain(`<h1>Usage: ${bob.email}</h1>`);

  const viewer = await s.userWithSession('proxy_admin_viewer');
  expect((await s.call('GET', `/ui/usage?user_id=${bob.userId}`, { token: viewer.token })).status).toBe(200);

  const refused = await s.call('GET', `/ui/usage?user_id=${bob.userId}`, { token: ana.token });
  expect(refused.status).toBe(403);
  expect(refused.body).toContain('You can only view your own usage.');
  expect(refused.body).not.toContain(money(sum(bobRows)));

  expect((await s.call('GET', '/ui/usage?user_id=nobody-at-all')).status).toBe(404);
  // Signed out: to the sign-in page, back here afterwards.
  const signedOut = await s.call('GET', '/ui/usage', { token: null });
  expect(signedOut.status).toBe(303);
  expect(signedOut.headers.get('location')).toBe('/ui/login?next=%2Fui%2Fusage');
});

test("a team's page shows spend by day, model and member, the team budget and each member's, for team admins and proxy admins only", async () => {
  const rows = (await s.call('GET', `/spend/logs?team_id=${teamId}`)).body as Array<{ spend: number; user: string }>;
  expect(rows).toHaveLength(3);
  const anaSpend = sum(rows.filter((r) => r.user === ana.userId));
  const bobSpend = sum(rows.filter((r) => r.user === bob.userId));
  const info = (await s.call('GET', `/team/info?team_id=${teamId}`)).body;

  for (const token of [undefined, lead.token]) {
    const page = await s.call('GET', `/ui/teams/${teamId}/usage`, { token });
    expect(page.status).toBe(200);
    const html = page.body as string;
    expect(html).toContain('<h1>Usage: team explorers</h1>');
    expect(html).toContain(`<strong>${money(sum(rows))}</strong> in 3 requests`);
    const byMember = section(html, 'Spend by member');
    expect(byMember).toContain(`<td>${ana.email}</td><td>2</td><td>${money(anaSpend)}</td>`);
    expect(byMember).toContain(`<td>${bob.email}</td><td>1</td><td>${money(bobSpend)}</td>`);
    expect(html).toContain(`Team explorers (all members)</a></td><td>${money(info.team_info.spend)}</td><td>${formatUsd(10)}</td>`);
    const members = html.slice(html.indexOf('Member budgets'));
    const bobMembership = info.team_memberships.find((m: any) => m.user_id === bob.userId);
    expect(members).toContain(
      `<td>${bob.email}</td><td>user</td><td>${money(bobMembership.spend)}</td><td>${formatUsd(2)}</td><td>${formatUsd(bobMembership.remaining_budget)}</td><td>${formatDate(bobMembership.litellm_budget_table.budget_reset_at)}</td>`,
    );
    expect(members).toContain(`<td>${lead.email}</td><td>admin</td><td>${money(0)}</td>`);
  }

  // The team page links to it for those who may see it, not for plain members.
  expect((await s.call('GET', `/ui/teams/${teamId}`, { token: lead.token })).body).toContain(`href="/ui/teams/${teamId}/usage"`);
  expect((await s.call('GET', `/ui/teams/${teamId}`, { token: ana.token })).body).not.toContain(`href="/ui/teams/${teamId}/usage"`);

  const plainMember = await s.call('GET', `/ui/teams/${teamId}/usage`, { token: ana.token });
  expect(plainMember.status).toBe(403);
  expect(plainMember.body).toContain('can see the whole team&#39;s usage.');
  expect(plainMember.body).not.toContain(money(bobSpend));
  const outsider = await s.userWithSession('internal_user');
  expect((await s.call('GET', `/ui/teams/${teamId}/usage`, { token: outsider.token })).status).toBe(403);
  const viewer = await s.userWithSession('proxy_admin_viewer');
  expect((await s.call('GET', `/ui/teams/${teamId}/usage`, { token: viewer.token })).status).toBe(200);
  expect((await s.call('GET', '/ui/teams/no-such-team/usage')).status).toBe(404);
});
