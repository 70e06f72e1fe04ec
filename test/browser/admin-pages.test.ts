/**
 * The admin controls of the web pages (issue 13, item 6), clicked through in
 * headless Chromium against the real app on loopback, DynamoDB Local and the
 * local SES endpoint:
 *   - teams: edit (name, models, budgets, member budget and period, permissions), delete;
 *   - members: change role and budget (proxy admins), role only (team admins);
 *   - users: edit role and budget, delete, invitation status and resend;
 *   - viewers get no controls; refusals show the domain's message by the form;
 *   - every page at phone width (375 px) without horizontal overflow.
 * Screenshots go to test-artifacts/screenshots/admin-*.png.
 */
import { launchChromium, SCREENSHOTS, servedApp } from '../support/browser';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { readMailbox } from '../../local/ses';
import { MASTER_KEY_USER_ID, type Principal } from '../../shared/auth/roles';
import { LINK_REPLACED } from '../../shared/invitations/service';
import type { TeamItem } from '../../shared/teams/model';
import type { UserItem } from '../../shared/users/model';
import { MASTER_KEY, type TestStack } from '../support/stack';

jest.setTimeout(180_000);

const ADMIN: Principal = { userId: MASTER_KEY_USER_ID, role: 'proxy_admin', via: 'master_key' };
const PASSWORD = 'admin pages password 0123';
const tag = randomUUID().slice(0, 6);
const email = (name: string) => `${name}-${tag}@example.com`;

let s: TestStack;
let base: string;
let browser: Browser;
let close: () => Promise<void>;
const consoleErrors: string[] = [];

/** What the flows share, created through the services beforehand. */
const w = {} as {
  team: TeamItem;
  other: TeamItem;
  doomed: TeamItem;
  alice: UserItem; // member of `team`, invitation accepted
  bob: UserItem; // invited, link pending
  carol: UserItem; // never invited
  dave: UserItem; // to be deleted, has a key
  lead: UserItem; // internal_user, admin of `team`
  viewer: UserItem; // proxy_admin_viewer
  bobFirstLink: string;
};

beforeAll(async () => {
  ({ s, base, close } = await servedApp());
  browser = await launchChromium();

  const d = s.deps;
  w.team = await d.teams.create(ADMIN, { team_alias: `research ${tag}`, models: ['gpt-4o'], max_budget: 100, budget_duration: '1mo', team_member_budget: 10 });
  w.other = await d.teams.create(ADMIN, { team_alias: `taken ${tag}` });
  w.doomed = await d.teams.create(ADMIN, { team_alias: `doomed ${tag}`, models: ['gpt-4o'] });
  w.alice = await d.users.createRecord('test', { user_email: email('alice'), user_role: 'internal_user' });
  w.bob = await d.users.createRecord('test', { user_email: email('bob'), user_role: 'internal_user' });
  w.carol = await d.users.createRecord('test', { user_email: email('carol'), user_role: 'internal_user' });
  w.dave = await d.users.createRecord('test', { user_email: email('dave'), user_role: 'internal_user' });
  w.lead = await d.users.createRecord('test', { user_email: email('lead'), user_role: 'internal_user', password: PASSWORD });
  w.viewer = await d.users.createRecord('test', { user_email: email('viewer'), user_role: 'proxy_admin_viewer', password: PASSWORD });
  await d.provisioning.addMembers(ADMIN, w.team.team_id, [{ user_id: w.alice.user_id, role: 'user' }, { user_id: w.lead.user_id, role: 'admin' }, { user_id: w.dave.user_id, role: 'user' }], null);
  await d.provisioning.addMembers(ADMIN, w.doomed.team_id, [{ user_id: w.alice.user_id, role: 'user' }], null);
  await d.keys.generate(ADMIN, { user_id: w.dave.user_id, team_id: w.team.team_id, key_alias: `dave-key-${tag}` });
  await d.keys.generate(ADMIN, { user_id: w.alice.user_id, team_id: w.doomed.team_id, key_alias: `doomed-key-${tag}` });
  await d.settings.update(ADMIN, { teams: [w.team.team_id, w.doomed.team_id] });
  const accepted = await d.invitations.create(ADMIN, { user_id: w.alice.user_id, send_email: false }, base);
  await d.invitations.update(ADMIN, accepted.invitation.id, true);
  const pending = await d.invitations.create(ADMIN, { user_id: w.bob.user_id, send_email: false }, base);
  w.bobFirstLink = pending.invitation.id;
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

async function newPage(viewport = { width: 1280, height: 900 }): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  return page;
}

async function signIn(page: Page, username: string, password: string) {
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui`);
}

/** Screenshot, every control labelled, and no horizontal overflow at the page's width. */
async function checkPage(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `admin-${name}.png`), fullPage: true });
  const report = await page.evaluate(() => {
    const controls = Array.from(document.querySelectorAll('input, select, textarea')) as Array<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>;
    const unlabelled = controls
      .filter((el) => !(el instanceof HTMLInputElement && ['hidden', 'submit', 'button'].includes(el.type)))
      .filter((el) => !(el.labels && el.labels.length > 0) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.name || el.id);
    return { unlabelled, h1: document.querySelectorAll('h1').length, overflow: document.documentElement.scrollWidth - window.innerWidth };
  });
  expect({ page: name, ...report }).toEqual({ page: name, unlabelled: [], h1: 1, overflow: 0 });
}

const flash = (page: Page) => page.locator('.flash[role=status]').textContent();
const writeForms = (page: Page) => page.locator('form:not(.logout)').count();
const teamUrl = (id: string) => `${base}/ui/teams/${encodeURIComponent(id)}`;

test('a proxy admin edits a team: bad input and a taken name are refused by the form, a good edit is saved', async () => {
  const page = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  await page.goto(teamUrl(w.team.team_id));
  await page.getByRole('link', { name: 'Edit team' }).click();
  await page.waitForURL(`${teamUrl(w.team.team_id)}/edit`);
  // The form starts with what is stored.
  expect(await page.locator('#edit-team_alias').inputValue()).toBe(`research ${tag}`);
  expect(await page.locator('#edit-max_budget').inputValue()).toBe('100');
  expect(await page.locator('#edit-budget_duration').inputValue()).toBe('1mo');
  expect(await page.getByLabel('/key/info', { exact: true }).isChecked()).toBe(true);
  await checkPage(page, 'team-edit');
  const before = await s.deps.teams.require(w.team.team_id);

  // Bad input: each message next to its field, nothing written.
  await page.locator('#edit-team_alias').fill('');
  await page.locator('#edit-max_budget').fill('-5');
  await page.getByRole('button', { name: 'Save team' }).click();
  expect(await page.locator('#edit-team_alias-error').textContent()).toBe('Give the team a name.');
  expect(await page.locator('#edit-max_budget-error').textContent()).toContain('Enter an amount in USD');
  expect(await page.locator('#edit-max_budget').getAttribute('aria-invalid')).toBe('true');
  await checkPage(page, 'team-edit-error');
  expect(await s.deps.teams.require(w.team.team_id)).toEqual(before);

  // A name another team has: the service's refusal, next to the name.
  await page.locator('#edit-team_alias').fill(`Taken ${tag}`);
  await page.locator('#edit-max_budget').fill('100');
  const refused = page.waitForResponse((r) => r.url().endsWith('/edit') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Save team' }).click();
  expect((await refused).status()).toBe(409);
  expect(await page.locator('#edit-team_alias-error').textContent()).toBe(`Team with alias "Taken ${tag}" already exists. Team aliases are unique.`);
  expect(await s.deps.teams.require(w.team.team_id)).toEqual(before);

  // A tampered period the form does not offer.
  await page.locator('#edit-team_alias').fill(`research ${tag}`);
  await page.locator('#edit-budget_duration').evaluate((el) => {
    const select = el as HTMLSelectElement;
    select.add(new Option('forever', 'forever'));
    select.value = 'forever';
  });
  await page.getByRole('button', { name: 'Save team' }).click();
  expect(await page.locator('#edit-budget_duration-error').textContent()).toBe('Choose one of the reset periods.');
  expect(await s.deps.teams.require(w.team.team_id)).toEqual(before);

  // A good edit: every field the issue names.
  await page.locator('#edit-team_alias').fill(`research lab ${tag}`);
  await page.locator('#edit-models').fill('gpt-4o, claude-3-5-sonnet');
  await page.locator('#edit-max_budget').fill('250');
  await page.locator('#edit-budget_duration').selectOption('7d');
  await page.locator('#edit-team_member_budget').fill('20');
  await page.locator('#edit-team_member_budget_duration').selectOption('1d');
  await page.getByLabel('/key/generate', { exact: true }).check();
  await page.getByLabel('/key/info', { exact: true }).uncheck();
  await page.getByRole('button', { name: 'Save team' }).click();
  await page.waitForURL(teamUrl(w.team.team_id));
  expect(await flash(page)).toBe(`Team research lab ${tag} saved.`);
  const after = await s.deps.teams.require(w.team.team_id);
  expect(after).toMatchObject({
    team_alias: `research lab ${tag}`,
    models: ['gpt-4o', 'claude-3-5-sonnet'],
    max_budget: 250,
    budget_duration: '7d',
    team_member_budget: 20,
    team_member_budget_duration: '1d',
  });
  expect([...after.team_member_permissions].sort()).toEqual(['/key/generate', '/key/health']);
  // The new member budget reached the members without one of their own (the service's rule).
  expect((await s.deps.teams.membership(w.team.team_id, w.alice.user_id))!.budget_duration).toBe('1d');
  expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(`Team: research lab ${tag}`);
  await checkPage(page, 'team-edited');
  await page.context().close();
});

test("a proxy admin changes a member's role and budget; a bad budget changes nothing", async () => {
  const page = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  await page.goto(teamUrl(w.team.team_id));
  await page.getByRole('link', { name: `Change ${w.alice.user_email} in the team` }).click();
  expect(await page.locator('#member-role').inputValue()).toBe('user');
  await checkPage(page, 'member-edit');

  await page.locator('#member-max_budget_in_team').fill('-3');
  await page.getByRole('button', { name: 'Save member' }).click();
  expect(await page.locator('#member-max_budget_in_team-error').textContent()).toContain('Enter an amount in USD');
  expect(await s.deps.teams.membership(w.team.team_id, w.alice.user_id)).toMatchObject({ role: 'user', max_budget_in_team: null });

  await page.locator('#member-role').selectOption('admin');
  await page.locator('#member-max_budget_in_team').fill('25');
  await page.getByRole('button', { name: 'Save member' }).click();
  await page.waitForURL(teamUrl(w.team.team_id));
  expect(await flash(page)).toBe(`${w.alice.user_email} is now admin, with a budget of $25.00 in the team.`);
  expect(await s.deps.teams.membership(w.team.team_id, w.alice.user_id)).toMatchObject({ role: 'admin', max_budget_in_team: 25 });
  const row = await page.getByRole('row').filter({ hasText: w.alice.user_email! }).textContent();
  expect(row).toContain('admin');
  expect(row).toContain('$25.00');

  // Empty budget: back to the team's member budget.
  await page.getByRole('link', { name: `Change ${w.alice.user_email} in the team` }).click();
  await page.locator('#member-max_budget_in_team').fill('');
  await page.locator('#member-role').selectOption('user');
  await page.getByRole('button', { name: 'Save member' }).click();
  await page.waitForURL(teamUrl(w.team.team_id));
  const teamMemberBudget = (await s.deps.teams.require(w.team.team_id)).team_member_budget!;
  expect(await flash(page)).toBe(`${w.alice.user_email} is now user, with a budget of $${teamMemberBudget.toFixed(2)} in the team.`);
  expect(await s.deps.teams.membership(w.team.team_id, w.alice.user_id)).toMatchObject({ role: 'user', max_budget_in_team: null });
  await page.context().close();
});

test("a team admin changes a member's role, not their budget: the service's refusal is shown by the form", async () => {
  const page = await newPage();
  await signIn(page, w.lead.user_email!, PASSWORD);
  await page.goto(teamUrl(w.team.team_id));
  // Team admins manage members but do not edit or delete the team.
  expect(await page.getByRole('link', { name: 'Edit team' }).count()).toBe(0);
  expect((await page.goto(`${teamUrl(w.team.team_id)}/edit`))!.status()).toBe(403);
  expect(await page.getByRole('alert').textContent()).toBe('Only proxy admins can update teams.');
  await page.goto(teamUrl(w.team.team_id));
  await page.getByRole('link', { name: `Change ${w.dave.user_email} in the team` }).click();
  expect(await page.locator('#member-max_budget_in_team').count()).toBe(0);
  await checkPage(page, 'member-edit-team-admin');

  // A hand-made budget field: the service refuses, the page says why, nothing changes.
  await page.locator('form[aria-label^="Change"]').evaluate((form) => {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = 'max_budget_in_team';
    input.value = '1000';
    form.appendChild(input);
  });
  const refused = page.waitForResponse((r) => r.url().endsWith('/edit') && r.request().method() === 'POST');
  await page.getByRole('button', { name: 'Save member' }).click();
  expect((await refused).status()).toBe(403);
  expect(await page.getByRole('alert').textContent()).toBe('Only proxy admins can set a member budget.');
  expect(await s.deps.teams.membership(w.team.team_id, w.dave.user_id)).toMatchObject({ role: 'user', max_budget_in_team: null });

  await page.locator('#member-role').selectOption('admin');
  await page.getByRole('button', { name: 'Save member' }).click();
  await page.waitForURL(teamUrl(w.team.team_id));
  expect(await s.deps.teams.membership(w.team.team_id, w.dave.user_id)).toMatchObject({ role: 'admin', max_budget_in_team: null });
  await page.context().close();
});

test('a proxy admin deletes a team after a confirmation: its keys go, it is no longer a default team', async () => {
  const page = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  await page.goto(teamUrl(w.doomed.team_id));
  await page.getByRole('link', { name: 'Delete team…' }).click();
  expect(await page.getByText('its 1 key (they stop working at once) and its 1 membership').isVisible()).toBe(true);
  await checkPage(page, 'team-delete-confirm');
  // Cancel changes nothing.
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL(teamUrl(w.doomed.team_id));
  expect(await s.deps.teams.get(w.doomed.team_id)).toBeDefined();

  await page.getByRole('link', { name: 'Delete team…' }).click();
  await page.getByRole('button', { name: 'Delete team' }).click();
  await page.waitForURL(`${base}/ui/teams`);
  expect(await flash(page)).toBe(`Team doomed ${tag} deleted, with its keys and memberships.`);
  expect(await page.getByRole('link', { name: `doomed ${tag}` }).count()).toBe(0);
  expect(await s.deps.teams.get(w.doomed.team_id)).toBeUndefined();
  expect((await s.deps.keys.ofUser(w.alice.user_id)).filter((k) => k.team_id === w.doomed.team_id)).toEqual([]);
  expect((await s.deps.settings.internalUser()).teams.map((t) => t.team_id)).toEqual([w.team.team_id]);
  expect([...((await s.deps.users.require(w.alice.user_id)).teams ?? [])]).toEqual([w.team.team_id]);
  await checkPage(page, 'team-deleted');
  await page.context().close();
});

test('a proxy admin sees each invitation status and resends an invitation: a new link is emailed, the old one stops working', async () => {
  const page = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  await page.goto('/ui/users');
  const status = async (u: UserItem) => (await page.getByRole('row').filter({ hasText: u.user_email! }).textContent()) ?? '';
  expect(await status(w.alice)).toMatch(/Accepted \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
  expect(await status(w.bob)).toMatch(/Pending, link valid until \d{4}-\d\d-\d\d/);
  expect(await status(w.carol)).toContain('Not invited');
  // No resend for who has accepted.
  expect(await page.getByRole('button', { name: `Resend the invitation to ${w.alice.user_email}` }).count()).toBe(0);
  await checkPage(page, 'users');

  await page.getByRole('button', { name: `Resend the invitation to ${w.bob.user_email}` }).click();
  await page.waitForURL(`${base}/ui/users/${w.bob.user_id}/resend`);
  const link = await page.locator('#invitation-link').inputValue();
  expect(link).toMatch(new RegExp(`^${base.replace(/[.:/]/g, '\\$&')}/ui/onboarding\\?id=[A-Za-z0-9_-]{40,}$`));
  expect(await page.getByText(`The invitation email was sent to ${w.bob.user_email}.`).isVisible()).toBe(true);
  expect(await page.locator('#invitation-status').textContent()).toMatch(/^Pending, link valid until/);
  await checkPage(page, 'user-resent');
  // The email that arrived carries the new link; the old link is refused, the new one works.
  let mailed: string | undefined;
  for (let i = 0; i < 50 && !mailed; i++) {
    const mails = (await readMailbox(process.env.ONRAMP_TEST_SES_ENDPOINT!)).filter((m) => m.destination.to.includes(w.bob.user_email!));
    mailed = mails.map((m) => `${m.body.text ?? ''}${m.body.html ?? ''}`).find((t) => t.includes(link));
    if (!mailed) await new Promise((r) => setTimeout(r, 100));
  }
  expect(mailed).toBeDefined();
  await expect(s.deps.invitations.onboardingToken(w.bobFirstLink, base)).rejects.toThrow(LINK_REPLACED);
  await expect(s.deps.invitations.onboardingToken(new URL(link).searchParams.get('id')!, base)).resolves.toMatchObject({ user_id: w.bob.user_id });

  // Never invited: the same button sends a first invitation.
  await page.goto(`/ui/users/${w.carol.user_id}`);
  expect(await page.locator('#invitation-status').textContent()).toBe('Not invited');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  expect(await page.locator('#invitation-status').textContent()).toMatch(/^Pending/);

  // Accepted: a hand-made resend is refused by the service, with its message.
  await page.goto(`/ui/users/${w.alice.user_id}`);
  expect(await page.getByRole('button', { name: /invitation/ }).count()).toBe(0);
  const csrf = await page.locator('form.logout input[name=csrf_token]').inputValue();
  const forged = await page.request.post(`/ui/users/${w.alice.user_id}/resend`, { form: { csrf_token: csrf } });
  expect(forged.status()).toBe(400);
  expect(await forged.text()).toContain('This invitation has already been accepted: the user has set a password.');
  await page.context().close();
});

test("a proxy admin edits a user's role and budget, then deletes a user after a confirmation", async () => {
  const page = await newPage();
  await signIn(page, 'admin', MASTER_KEY);
  await page.goto('/ui/users');
  await page.getByRole('link', { name: `Edit ${w.carol.user_email}` }).click();
  await page.waitForURL(`${base}/ui/users/${w.carol.user_id}`);
  await checkPage(page, 'user-edit');
  const before = await s.deps.users.require(w.carol.user_id);

  await page.locator('#edit-max_budget').fill('-1');
  await page.getByRole('button', { name: 'Save user' }).click();
  expect(await page.locator('#edit-max_budget-error').textContent()).toContain('Enter an amount in USD');
  await checkPage(page, 'user-edit-error');
  expect(await s.deps.users.require(w.carol.user_id)).toEqual(before);

  await page.locator('#edit-user_role').selectOption('proxy_admin_viewer');
  await page.locator('#edit-max_budget').fill('50');
  await page.locator('#edit-budget_duration').selectOption('1mo');
  await page.getByRole('button', { name: 'Save user' }).click();
  await page.waitForURL(`${base}/ui/users/${w.carol.user_id}`);
  expect(await flash(page)).toBe(`${w.carol.user_email} saved: proxy_admin_viewer, max budget $50.00.`);
  expect(await s.deps.users.require(w.carol.user_id)).toMatchObject({ user_role: 'proxy_admin_viewer', max_budget: 50, budget_duration: '1mo' });
  expect(await page.locator('#edit-user_role').inputValue()).toBe('proxy_admin_viewer');

  // Delete dave: the confirmation says what goes; then he, his key and his membership are gone.
  await page.goto(`/ui/users/${w.dave.user_id}`);
  await page.getByRole('link', { name: 'Delete this user…' }).click();
  expect(await page.getByText('their 1 key (they stop working at once), their place in 1 team').isVisible()).toBe(true);
  await checkPage(page, 'user-delete-confirm');
  await page.getByRole('button', { name: 'Delete user' }).click();
  await page.waitForURL(`${base}/ui/users`);
  expect(await flash(page)).toBe(`User ${w.dave.user_email} deleted, with their keys, memberships and invitations.`);
  expect(await page.getByRole('row').filter({ hasText: w.dave.user_email! }).count()).toBe(0);
  expect(await s.deps.users.get(w.dave.user_id)).toBeUndefined();
  expect(await s.deps.keys.ofUser(w.dave.user_id)).toEqual([]);
  expect(await s.deps.teams.membership(w.team.team_id, w.dave.user_id)).toBeUndefined();
  expect((await s.deps.teams.require(w.team.team_id)).members[w.dave.user_id]).toBeUndefined();
  await page.context().close();
});

test('viewers see the teams and users without any control; their hand-made posts are refused', async () => {
  const page = await newPage();
  await signIn(page, w.viewer.user_email!, PASSWORD);
  for (const [path, name] of [
    [`/ui/teams/${w.team.team_id}`, 'viewer-team'],
    ['/ui/users', 'viewer-users'],
    [`/ui/users/${w.bob.user_id}`, 'viewer-user'],
  ] as const) {
    expect((await page.goto(path))!.status()).toBe(200);
    expect(await writeForms(page)).toBe(0);
    expect(await page.locator('button:not(.link)').count()).toBe(0);
    expect(await page.getByRole('link', { name: /^(Edit|Change|Delete)/ }).count()).toBe(0);
    await checkPage(page, name);
  }
  expect(await page.locator('#invitation-status').textContent()).toMatch(/^Pending/);
  for (const path of [`/ui/teams/${w.team.team_id}/edit`, `/ui/teams/${w.team.team_id}/delete`, `/ui/teams/${w.team.team_id}/members/${w.alice.user_id}/edit`, `/ui/users/${w.bob.user_id}/delete`]) {
    expect({ path, status: (await page.goto(path))!.status() }).toEqual({ path, status: 403 });
    expect(await writeForms(page)).toBe(0);
  }
  const csrf = await page.locator('form.logout input[name=csrf_token]').inputValue();
  const before = { team: await s.deps.teams.require(w.team.team_id), bob: await s.deps.users.require(w.bob.user_id) };
  const posts: Array<[string, Record<string, string>]> = [
    [`/ui/teams/${w.team.team_id}/edit`, { team_alias: 'hijacked', budget_duration: '', team_member_budget_duration: '' }],
    [`/ui/teams/${w.team.team_id}/delete`, {}],
    [`/ui/users/${w.bob.user_id}`, { user_role: 'proxy_admin', max_budget: '', budget_duration: '' }],
    [`/ui/users/${w.bob.user_id}/delete`, {}],
    [`/ui/users/${w.bob.user_id}/resend`, {}],
  ];
  for (const [path, form] of posts) {
    const res = await page.request.post(path, { form: { csrf_token: csrf, ...form } });
    expect({ path, status: res.status() }).toEqual({ path, status: 403 });
    expect(await res.text()).toMatch(/Only proxy admins can (update teams|delete teams|modify user roles|delete users|resend invitations)\./);
  }
  expect(await s.deps.teams.require(w.team.team_id)).toEqual(before.team);
  expect(await s.deps.users.require(w.bob.user_id)).toEqual(before.bob);
  await page.context().close();
});

test('every admin page fits a 375 px wide phone without horizontal overflow', async () => {
  const page = await newPage({ width: 375, height: 812 });
  await signIn(page, 'admin', MASTER_KEY);
  const pages: Array<[string, string]> = [
    ['/ui', 'phone-home'],
    ['/ui/teams', 'phone-teams'],
    [`/ui/teams/${w.team.team_id}`, 'phone-team'],
    [`/ui/teams/${w.team.team_id}/edit`, 'phone-team-edit'],
    [`/ui/teams/${w.team.team_id}/delete`, 'phone-team-delete'],
    [`/ui/teams/${w.team.team_id}/members/${w.alice.user_id}/edit`, 'phone-member-edit'],
    ['/ui/users', 'phone-users'],
    [`/ui/users/${w.bob.user_id}`, 'phone-user'],
    [`/ui/users/${w.bob.user_id}/delete`, 'phone-user-delete'],
    ['/ui/settings', 'phone-settings'],
  ];
  for (const [path, name] of pages) {
    expect({ path, status: (await page.goto(path))!.status() }).toEqual({ path, status: 200 });
    await checkPage(page, name);
  }
  // Tables scroll inside themselves and stay tables (rows and headers for screen readers).
  await page.goto('/ui/users');
  expect(await page.getByRole('row').filter({ hasText: w.bob.user_email! }).count()).toBe(1);
  expect(await page.getByRole('columnheader', { name: 'Invitation' }).count()).toBe(1);
  // A form still works at this width: resend from the user's page shows the link within the screen.
  await page.goto(`/ui/users/${w.bob.user_id}`);
  await page.getByRole('button', { name: 'Resend invitation' }).click();
  expect(await page.locator('#invitation-link').inputValue()).toContain('/ui/onboarding?id=');
  await checkPage(page, 'phone-user-resent');
  await page.context().close();

  // No page logged an error (a CSP violation would); 4xx statuses of refused forms are expected.
  expect(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e))).toEqual([]);
});
