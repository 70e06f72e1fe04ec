/**
 * Issue 10, item 9: a team made on the pages can let its members create keys in one
 * click; the settings page warns about default teams that do not; the key form lists
 * only teams where the key would be allowed; refusals on the pages are in plain words
 * and name teams by alias.
 */
import { randomUUID } from 'node:crypto';
import { testStack, type TestStack } from '../support/stack';

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

const alias = (what: string) => `${what} ${randomUUID().slice(0, 6)}`;

/** Creates a team through the page's form (as the master key) and returns it as stored. */
async function createTeamOnPage(form: Record<string, string>) {
  const r = await s.call('POST', '/ui/teams', { form: { budget_duration: '', ...form } });
  expect(r.status).toBe(303);
  const teamId = decodeURIComponent(r.headers.get('location')!.split('/').pop()!);
  return s.deps.teams.require(teamId);
}

async function apiTeam(permissions: string[]) {
  const r = await s.call('POST', '/team/new', { body: { team_alias: alias('api team'), team_member_permissions: permissions } });
  expect(r.status).toBe(200);
  return r.body as { team_id: string; team_alias: string };
}

async function addMember(teamId: string, userId: string) {
  expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: userId, role: 'user' } } })).status).toBe(200);
}

/** The team options of the key form, as [value, label]. */
function keyFormTeams(html: string): Array<[string, string]> {
  const select = /<select[^>]*name="team_id"[^>]*>([\s\S]*?)<\/select>/.exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="([^"]*)"[^>]*>([^<]*)<\/option>/g)].map((m) => [m[1]!, m[2]!]);
}

describe('create a team on the pages', () => {
  test('the form offers "Members can create their own keys", checked by default', async () => {
    const page = await s.call('GET', '/ui/teams');
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/<input type="checkbox" id="team-members_create_keys" name="members_create_keys" value="on" checked/);
    expect(page.body).toContain('Members can create their own keys');
  });

  test('checked: members may create, list, see and delete their own keys', async () => {
    const team = await createTeamOnPage({ team_alias: alias('self serve'), members_create_keys: 'on' });
    expect([...team.team_member_permissions].sort()).toEqual(['/key/delete', '/key/generate', '/key/health', '/key/info', '/key/list']);
  });

  test("unchecked: LiteLLM's default, and the flash says how to allow it later", async () => {
    const name = alias('closed');
    const r = await s.call('POST', '/ui/teams', { form: { team_alias: name, budget_duration: '' } });
    expect(r.status).toBe(303);
    expect(decodeURIComponent(r.headers.get('set-cookie') ?? '')).toContain('cannot create keys until you allow it under Member permissions');
    const team = await s.deps.teams.require(decodeURIComponent(r.headers.get('location')!.split('/').pop()!));
    expect([...team.team_member_permissions].sort()).toEqual(['/key/health', '/key/info']);
  });

  test('a refused form keeps the choice', async () => {
    const r = await s.call('POST', '/ui/teams', { form: { team_alias: '', budget_duration: '' } });
    expect(r.status).toBe(400);
    expect(r.body).toMatch(/name="members_create_keys" value="on"(?! checked)/);
  });
});

describe('default user settings page', () => {
  afterAll(async () => {
    // default teams would make every later user of this file join them
    expect((await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [], models: [] } })).status).toBe(200);
  });

  test('warns, by name, about a default team whose members cannot create keys; not once it allows it', async () => {
    const closed = await apiTeam(['/key/info']);
    const patched = await s.call('PATCH', '/update/internal_user_settings', { body: { teams: [closed.team_id], models: ['no-default-models'] } });
    expect(patched.status).toBe(200);

    const warned = await s.call('GET', '/ui/settings');
    expect(warned.body).toContain(`Members of the default team <strong>${closed.team_alias}</strong> cannot create keys`);
    expect(warned.body).toContain(`href="/ui/teams/${closed.team_id}"`);

    const allowed = await s.call('POST', '/team/permissions_update', { body: { team_id: closed.team_id, team_member_permissions: ['/key/generate', '/key/info'] } });
    expect(allowed.status).toBe(200);
    expect((await s.call('GET', '/ui/settings')).body).not.toContain('cannot create keys');
  });
});

describe('the key form and its refusals', () => {
  test("lists only teams where the user may create keys, and says which are left out", async () => {
    const open = await apiTeam(['/key/generate', '/key/info']);
    const closed = await apiTeam(['/key/info']);
    const u = await s.userWithSession('internal_user');
    await addMember(open.team_id, u.userId);
    await addMember(closed.team_id, u.userId);

    const home = await s.call('GET', '/ui', { token: u.token });
    expect(home.status).toBe(200);
    const teams = keyFormTeams(home.body);
    expect(teams.map(([id]) => id)).toEqual(['', open.team_id]);
    expect(home.body).toContain(`Not listed, because members may not create keys there: ${closed.team_alias}.`);
  });

  test('a closed team posted anyway: refused in plain words, by alias, nothing created', async () => {
    const closed = await apiTeam(['/key/info']);
    const u = await s.userWithSession('internal_user');
    await addMember(closed.team_id, u.userId);

    const r = await s.call('POST', '/ui/keys', { token: u.token, form: { team_id: closed.team_id, key_alias: '', models: '', max_budget: '', duration: '' } });
    // The status of team_member_permission everywhere (LiteLLM's 401), as on POST /key/generate.
    expect(r.status).toBe(401);
    expect(r.body).toContain(`Members of team &quot;${closed.team_alias}&quot; may not create keys.`);
    expect(r.body).not.toContain(closed.team_id + ')');
    expect(r.body).not.toContain('/team/permissions_update');
    expect((await s.deps.keys.ofUser(u.userId)).filter((k) => k.team_id === closed.team_id)).toEqual([]);
  });

  test('no team chosen by a user who can only have team keys: told to select one, no ids', async () => {
    const open = await apiTeam(['/key/generate']);
    const u = await s.userWithSession('internal_user', { models: ['no-default-models'] });
    await addMember(open.team_id, u.userId);

    const r = await s.call('POST', '/ui/keys', { token: u.token, form: { team_id: '', key_alias: '', models: '', max_budget: '', duration: '' } });
    expect(r.status).toBe(400);
    expect(r.body).toContain('No team selected. Your account can only create keys inside a team: select one of yours.');
    expect(r.body).not.toContain(`one of: ${open.team_id}`);
  });

  test('adding someone already in the team, on the team page: said plainly', async () => {
    const team = await createTeamOnPage({ team_alias: alias('members'), members_create_keys: 'on' });
    const u = await s.userWithSession('internal_user');
    await addMember(team.team_id, u.userId);
    const r = await s.call('POST', `/ui/teams/${team.team_id}/members`, { form: { user_email: u.email, role: 'user' } });
    // The status of team_member_already_in_team everywhere (LiteLLM's 400), as on POST /team/member_add.
    expect(r.status).toBe(400);
    expect(r.body).toContain(`This person is already a member of team &quot;${team.team_alias}&quot;.`);
  });
});
