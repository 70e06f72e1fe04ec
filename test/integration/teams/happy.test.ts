/**
 * Team life cycle, read back through the API: budget reset times from a fixed
 * clock, aliases, members added by email, what removing a member or a team takes
 * with it (and what it leaves alone), and member budget periods following the team's.
 */
import { keys } from '../../../shared/db/keys';
import { lifecycle } from '../../support/lifecycle';
import { expectError, testStack, type TestStack } from '../../support/stack';

let now = new Date('2027-01-31T15:00:00Z');
let s: TestStack;
beforeAll(async () => {
  s = await testStack({ clock: () => now });
});

const { uid, ok, newUser, newTeam, addMember, newKey, keyStatus, userInfo, teamInfo, memberIds } = lifecycle(() => s);

describe('budget_reset_at on /team/new, from a fixed clock (UTC)', () => {
  // prettier-ignore
  const CASES: Array<[clock: string, duration: string, resetAt: string]> = [
    // Sunday 31 January, mid-afternoon: every period ends at midnight.
    ['2027-01-31T15:00:00Z', '1mo', '2027-02-01T00:00:00.000Z'],
    ['2027-01-31T15:00:00Z', '30d', '2027-02-01T00:00:00.000Z'],
    ['2027-01-31T15:00:00Z', '7d',  '2027-02-01T00:00:00.000Z'], // next Monday
    ['2027-01-31T15:00:00Z', '1d',  '2027-02-01T00:00:00.000Z'], // next midnight
    // Wednesday 10 February.
    ['2027-02-10T15:00:00Z', '1mo', '2027-03-01T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '30d', '2027-03-01T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '7d',  '2027-02-15T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '1w',  '2027-02-15T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '1d',  '2027-02-11T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '2d',  '2027-02-12T00:00:00.000Z'],
    ['2027-02-10T15:00:00Z', '12h', '2027-02-11T03:00:00.000Z'],
    // Monday at midnight exactly: the next period, never "now".
    ['2027-02-01T00:00:00Z', '7d',  '2027-02-08T00:00:00.000Z'],
    ['2027-02-01T00:00:00Z', '1d',  '2027-02-02T00:00:00.000Z'],
    ['2027-02-01T00:00:00Z', '1mo', '2027-03-01T00:00:00.000Z'],
    // December rolls into the next year.
    ['2027-12-15T09:30:00Z', '1mo', '2028-01-01T00:00:00.000Z'],
    ['2027-12-31T23:59:59Z', '1d',  '2028-01-01T00:00:00.000Z'],
  ];

  test.each(CASES)('at %s, %s resets at %s', async (clock, duration, resetAt) => {
    now = new Date(clock);
    const team = await newTeam({ max_budget: 10, budget_duration: duration });
    expect(team).toMatchObject({ budget_duration: duration, budget_reset_at: resetAt, spend: 0 });
    expect((await teamInfo(team.team_id)).team_info).toMatchObject({ budget_duration: duration, budget_reset_at: resetAt });
  });

  test('no budget_duration → no reset time', async () => {
    const team = await newTeam({ max_budget: 10 });
    expect(team).toMatchObject({ budget_duration: null, budget_reset_at: null });
  });

  test('/team/update recomputes it from the current clock, and null clears it', async () => {
    now = new Date('2027-01-31T15:00:00Z');
    const team = await newTeam({ budget_duration: '1mo' });
    now = new Date('2027-02-10T15:00:00Z');
    const upd = ok(await s.call('POST', '/team/update', { body: { team_id: team.team_id, budget_duration: '7d' } }), 'update');
    expect(upd.data).toMatchObject({ budget_duration: '7d', budget_reset_at: '2027-02-15T00:00:00.000Z' });
    const cleared = ok(await s.call('POST', '/team/update', { body: { team_id: team.team_id, budget_duration: null } }), 'update');
    expect(cleared.data).toMatchObject({ budget_duration: null, budget_reset_at: null });
  });

  test("a member's budget period follows team_member_budget_duration from when they join", async () => {
    now = new Date('2027-02-10T15:00:00Z');
    const team = await newTeam({ team_member_budget: 5, team_member_budget_duration: '1d' });
    const u = await newUser();
    await addMember(team.team_id, u.user_id);
    const m = (await teamInfo(team.team_id)).team_memberships.find((x: any) => x.user_id === u.user_id);
    expect(m).toMatchObject({ budget_duration: '1d', budget_reset_at: '2027-02-11T00:00:00.000Z', max_budget: 5, spend: 0 });
  });
});

describe('team aliases', () => {
  test('renaming frees the old alias and claims the new one; a case-only rename is saved', async () => {
    const a = `alias-a-${uid()}`;
    const b = `alias-b-${uid()}`;
    const t = await newTeam({ team_alias: a });
    expect(ok(await s.call('POST', '/team/update', { body: { team_id: t.team_id, team_alias: b } }), 'rename').data.team_alias).toBe(b);
    // a is free, b is taken (whatever its case).
    const other = await newTeam({ team_alias: a });
    expectError(await s.call('POST', '/team/new', { body: { team_alias: b.toUpperCase() } }), 409);
    expectError(await s.call('POST', '/team/update', { body: { team_id: other.team_id, team_alias: b } }), 409);
    // Only the case changes: saved, and still unique.
    expect(ok(await s.call('POST', '/team/update', { body: { team_id: t.team_id, team_alias: b.toUpperCase() } }), 'recase').data.team_alias).toBe(b.toUpperCase());
    expect((await teamInfo(t.team_id)).team_info.team_alias).toBe(b.toUpperCase());
    expectError(await s.call('POST', '/team/new', { body: { team_alias: b } }), 409);
    // Cleared: free for anyone.
    expect(ok(await s.call('POST', '/team/update', { body: { team_id: t.team_id, team_alias: null } }), 'clear').data.team_alias).toBeNull();
    expect((await s.call('POST', '/team/new', { body: { team_alias: b } })).status).toBe(200);
  });
});

describe('/team/member_add by email', () => {
  test('an unknown email creates the user, as an internal_user in the team', async () => {
    const team = await newTeam();
    const email = `New.Person-${uid()}@Example.com`;
    const r = await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_email: email, role: 'user' } } });
    expect(r.status).toBe(200);
    const member = r.body.members_with_roles.find((m: any) => m.user_email === email.toLowerCase());
    expect(member).toMatchObject({ role: 'user', user_id: expect.any(String) });
    expect(r.body.updated_team_memberships).toEqual([expect.objectContaining({ user_id: member.user_id, team_id: team.team_id })]);
    const info = await userInfo(member.user_id);
    expect(info.user_info).toMatchObject({ user_email: email.toLowerCase(), user_role: 'internal_user', teams: [team.team_id] });
    expect(info.teams.map((t: any) => t.team_id)).toEqual([team.team_id]);
    // Listed once among all users.
    const list = ok(await s.call('GET', `/user/list?user_email=${encodeURIComponent(email.toLowerCase())}`), 'list');
    expect(list.users.map((u: any) => u.user_id)).toEqual([member.user_id]);
  });

  test('a known email adds that user, without creating another', async () => {
    const team = await newTeam();
    const u = await newUser();
    const before = ok(await s.call('GET', '/user/list?page_size=100'), 'list').total;
    const r = await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: { user_email: u.user_email.toUpperCase(), role: 'admin' } } });
    expect(r.status).toBe(200);
    expect(r.body.members_with_roles).toContainEqual({ user_id: u.user_id, user_email: u.user_email, role: 'admin' });
    expect(ok(await s.call('GET', '/user/list?page_size=100'), 'list').total).toBe(before);
  });

  test('several members at once, by id and by email', async () => {
    const team = await newTeam();
    const a = await newUser();
    const email = `batch-${uid()}@example.com`;
    const r = await s.call('POST', '/team/member_add', { body: { team_id: team.team_id, member: [{ user_id: a.user_id }, { user_email: email, role: 'admin' }] } });
    expect(r.status).toBe(200);
    expect(r.body.updated_team_memberships).toHaveLength(2);
    const roles = Object.fromEntries(r.body.members_with_roles.map((m: any) => [m.user_email, m.role]));
    expect(roles).toEqual({ [a.user_email]: 'user', [email]: 'admin' });
  });
});

describe('/team/member_delete', () => {
  test("removes the member's keys in that team, not their keys in other teams nor personal keys", async () => {
    const t1 = await newTeam();
    const t2 = await newTeam();
    const m = await newUser();
    const stay = await newUser();
    await addMember(t1.team_id, m.user_id);
    await addMember(t2.team_id, m.user_id);
    await addMember(t1.team_id, stay.user_id);
    const inT1 = await newKey(m.user_id, t1.team_id, { key_alias: `t1-${uid()}` });
    const inT1b = await newKey(m.user_id, t1.team_id);
    const inT2 = await newKey(m.user_id, t2.team_id);
    const personal = await newKey(m.user_id, null);
    const othersInT1 = await newKey(stay.user_id, t1.team_id);

    const r = await s.call('POST', '/team/member_delete', { body: { team_id: t1.team_id, user_id: m.user_id } });
    expect(r.status).toBe(200);
    expect(r.body.members_with_roles.map((x: any) => x.user_id)).toEqual([stay.user_id]);

    expect(await keyStatus(inT1.token)).toBe(404);
    expect(await keyStatus(inT1b.token)).toBe(404);
    expect(await keyStatus(inT2.token)).toBe(200);
    expect(await keyStatus(personal.token)).toBe(200);
    expect(await keyStatus(othersInT1.token)).toBe(200);
    expectError(await s.call('GET', '/user/info', { token: inT1.secret }), 401);

    const info = await userInfo(m.user_id);
    expect(info.user_info.teams).toEqual([t2.team_id]);
    expect(info.keys.map((k: any) => k.token).sort()).toEqual([inT2.token, personal.token].sort());
    const t1Info = await teamInfo(t1.team_id);
    expect(t1Info.team_memberships.map((x: any) => x.user_id)).toEqual([stay.user_id]);
    expect(t1Info.keys.map((k: any) => k.token)).toEqual([othersInT1.token]);
    expect(memberIds(await teamInfo(t2.team_id))).toEqual([m.user_id]);
    // The deleted key's alias is free again; the member can be added back.
    await addMember(t1.team_id, m.user_id);
    expect(memberIds(await teamInfo(t1.team_id))).toEqual([m.user_id, stay.user_id].sort());
  });

  test('by email works the same', async () => {
    const t = await newTeam();
    const m = await newUser();
    await addMember(t.team_id, m.user_id);
    const k = await newKey(m.user_id, t.team_id);
    expect((await s.call('POST', '/team/member_delete', { body: { team_id: t.team_id, user_email: m.user_email } })).status).toBe(200);
    expect(memberIds(await teamInfo(t.team_id))).toEqual([]);
    expect(await keyStatus(k.token)).toBe(404);
  });
});

describe('/team/delete', () => {
  test("removes the team's keys and memberships and the team from its members' lists, nothing else", async () => {
    const alias = `doomed-${uid()}`;
    const doomed = await newTeam({ team_alias: alias });
    const kept = await newTeam();
    const a = await newUser();
    const b = await newUser();
    await addMember(doomed.team_id, a.user_id, 'admin');
    await addMember(doomed.team_id, b.user_id);
    await addMember(kept.team_id, a.user_id);
    const teamKeyA = await newKey(a.user_id, doomed.team_id, { key_alias: `dk-${uid()}` });
    const teamKeyB = await newKey(b.user_id, doomed.team_id);
    const keptKey = await newKey(a.user_id, kept.team_id);
    const personal = await newKey(b.user_id, null);

    const r = await s.call('POST', '/team/delete', { body: { team_ids: [doomed.team_id] } });
    expect(r.status).toBe(200);
    expect(r.body.deleted_teams).toEqual([doomed.team_id]);

    expectError(await s.call('GET', `/team/info?team_id=${doomed.team_id}`), 404, 'not_found_error');
    expect(ok(await s.call('GET', '/team/list'), 'list').map((t: any) => t.team_id)).not.toContain(doomed.team_id);
    expect(await keyStatus(teamKeyA.token)).toBe(404);
    expect(await keyStatus(teamKeyB.token)).toBe(404);
    expect(await keyStatus(keptKey.token)).toBe(200);
    expect(await keyStatus(personal.token)).toBe(200);
    expect(ok(await s.call('GET', `/key/list?team_id=${doomed.team_id}`), 'list').total_count).toBe(0);

    const ai = await userInfo(a.user_id);
    expect(ai.user_info.teams).toEqual([kept.team_id]);
    expect(ai.teams.map((t: any) => t.team_id)).toEqual([kept.team_id]);
    const bi = await userInfo(b.user_id);
    expect(bi.user_info.teams).toEqual([]);
    expect(bi.teams).toEqual([]);
    expect(bi.keys.map((k: any) => k.token)).toEqual([personal.token]);
    expect(memberIds(await teamInfo(kept.team_id))).toEqual([a.user_id]);
    // As seen by b, through their own session.
    const { token } = await s.deps.sessions.issue(b.user_id);
    expect(ok(await s.call('GET', '/team/list', { token }), 'list')).toEqual([]);

    // The alias is free again.
    expect((await s.call('POST', '/team/new', { body: { team_alias: alias } })).status).toBe(200);
  });

  test('deleting a team twice: the second time is 404', async () => {
    const t = await newTeam();
    expect((await s.call('POST', '/team/delete', { body: { team_ids: [t.team_id] } })).status).toBe(200);
    expectError(await s.call('POST', '/team/delete', { body: { team_ids: [t.team_id] } }), 404, 'not_found_error');
  });
});

describe('member budget period', () => {
  type Member = { budget_duration: string | null; budget_reset_at: string | null; spend: number; GSI4PK?: string };

  test('a member budget follows the team period, and period changes reach existing members', async () => {
    let now = new Date('2027-01-20T12:00:00Z');
    const s = await testStack({ clock: () => now });
    const team = await s.call('POST', '/team/new', { body: { models: ['gpt-4o'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10 } });
    const teamId: string = team.body.team_id;
    const user = await s.userWithSession('internal_user');
    expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.userId } } })).status).toBe(200);

    const member = () => s.deps.table.get<Member>(keys.member(teamId, user.userId));
    expect(await member()).toMatchObject({ budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z', GSI4PK: 'BUDGET_RESET' });

    // A member period of its own wins over the team's, from the time of the change.
    now = new Date('2027-01-21T08:00:00Z');
    expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget_duration: '1d' } })).status).toBe(200);
    expect(await member()).toMatchObject({ budget_duration: '1d', budget_reset_at: '2027-01-22T00:00:00.000Z' });

    // Back to following the team; then the team stops resetting, and so do members.
    expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget_duration: null } })).status).toBe(200);
    expect(await member()).toMatchObject({ budget_duration: '1mo', budget_reset_at: '2027-02-01T00:00:00.000Z' });
    expect((await s.call('POST', '/team/update', { body: { team_id: teamId, budget_duration: null } })).status).toBe(200);
    const after = await member();
    expect(after).toMatchObject({ budget_duration: null, budget_reset_at: null });
    expect(after!.GSI4PK).toBeUndefined();

    // A new per-member budget reaches the member: they can now reserve up to it.
    expect((await s.call('POST', '/team/update', { body: { team_id: teamId, team_member_budget: 2 } })).status).toBe(200);
    const key = await s.call('POST', '/key/generate', { body: { team_id: teamId, user_id: user.userId } });
    const spend = (cost: number) => s.call('POST', '/spend/authorize', { token: key.body.key, body: { model: 'gpt-4o', estimated_cost: cost } });
    expect((await spend(2.5)).status).toBe(400);
    expect((await spend(1.5)).status).toBe(200);
  });
});
