/**
 * The usage pages (issue 13, item 6) in headless Chromium against the real app on
 * loopback and DynamoDB Local, with spend made through the local echo model: a user
 * follows the nav to their usage, a team admin follows the team page to the team's,
 * a plain member is refused; desktop and 375 px, no horizontal overflow, no console
 * errors (the CSP would report a style attribute or inline script).
 * Screenshots go to test-artifacts/screenshots/usage-*.png.
 */
import { launchChromium, SCREENSHOTS, servedApp } from '../support/browser';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { LOCAL_ECHO, seedLocalModels } from '../../shared/models/config-file';
import type { TestStack } from '../support/stack';

jest.setTimeout(180_000);

const PASSWORD = 'usage pages password 0123';
const tag = randomUUID().slice(0, 6);

let s: TestStack;
let base: string;
let browser: Browser;
let close: () => Promise<void>;
let teamId: string;
const people = {} as Record<'ana' | 'lead', { email: string; userId: string }>;
const consoleErrors: string[] = [];

beforeAll(async () => {
  ({ s, base, close } = await servedApp());
  browser = await launchChromium();

  await seedLocalModels(s.deps.models, []);
  const team = await s.call('POST', '/team/new', {
    body: { team_alias: `research ${tag}`, models: [LOCAL_ECHO.model_name], max_budget: 10, budget_duration: '1mo', team_member_budget: 2 },
  });
  teamId = team.body.team_id;
  for (const [name, role] of [['ana', 'user'], ['lead', 'admin']] as const) {
    const email = `${name}-${tag}@example.com`;
    const user = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', password: PASSWORD, max_budget: 5, budget_duration: '7d' } });
    expect(user.status).toBe(200);
    people[name] = { email, userId: user.body.user_id };
    expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: user.body.user_id, role } } })).status).toBe(200);
    const key = await s.call('POST', '/key/generate', { body: { team_id: teamId, user_id: user.body.user_id } });
    for (const content of name === 'ana' ? ['hello', 'a longer question about usage'] : ['hi']) {
      const r = await s.call('POST', '/v1/chat/completions', { token: key.body.key, body: { model: LOCAL_ECHO.model_name, messages: [{ role: 'user', content }] } });
      expect(r.status).toBe(200);
    }
  }
});

afterAll(async () => {
  await browser?.close();
  await close?.();
});

async function newPage(viewport: { width: number; height: number }): Promise<Page> {
  const context = await browser.newContext({ baseURL: base, viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${page.url()}: ${msg.text()}`);
  });
  return page;
}

async function signIn(page: Page, email: string) {
  await page.goto('/ui/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL(`${base}/ui`);
}

/** Screenshot, one <h1>, a chart that is drawn (bars with height) and fits, and no horizontal overflow. */
async function checkPage(page: Page, name: string) {
  await page.screenshot({ path: join(SCREENSHOTS, `usage-${name}.png`), fullPage: true });
  const report = await page.evaluate(() => {
    const chart = document.querySelector('svg.chart');
    const box = chart?.getBoundingClientRect();
    const drawn = Array.from(document.querySelectorAll('svg.chart rect')).filter((r) => r.getBoundingClientRect().height > 0).length;
    return {
      h1: document.querySelectorAll('h1').length,
      overflow: document.documentElement.scrollWidth - window.innerWidth,
      chartFits: !!box && box.width > 200 && box.right <= window.innerWidth,
      barsDrawn: drawn > 0,
    };
  });
  expect({ page: name, ...report }).toEqual({ page: name, h1: 1, overflow: 0, chartFits: true, barsDrawn: true });
}

for (const [label, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 375, height: 800 }]] as const) {
  test(`${label}: a user follows the nav to their usage; a team admin follows the team page to the team's; a plain member is refused`, async () => {
    const page = await newPage(viewport);
    await signIn(page, people.ana.email);
    await page.getByRole('link', { name: 'Usage', exact: true }).click();
    await page.waitForURL(`${base}/ui/usage`);
    expect(await page.locator('h1').textContent()).toBe('Your usage');
    expect(await page.getByRole('img', { name: /Spend per day, last 30 days/ }).count()).toBe(1);
    expect(await page.locator('#by-model + table tbody tr').count()).toBe(1);
    expect(await page.locator('#by-model + table').textContent()).toContain(LOCAL_ECHO.model_name);
    const budgets = await page.locator('table[aria-labelledby=budgets]').textContent();
    expect(budgets).toContain('Your own budget');
    expect(budgets).toContain(`Your budget in team research ${tag}`);
    expect(budgets).toContain('(Monthly (1mo))');
    await checkPage(page, `user-${label}`);

    // A plain member is not shown the team's usage.
    const refused = await page.goto(`/ui/teams/${teamId}/usage`);
    expect(refused?.status()).toBe(403);
    expect(await page.getByRole('alert').textContent()).toContain("can see the whole team's usage");
    await page.context().close();

    const lead = await newPage(viewport);
    await signIn(lead, people.lead.email);
    await lead.goto(`/ui/teams/${teamId}`);
    await lead.getByRole('link', { name: /^Usage: spend by day/ }).click();
    await lead.waitForURL(`${base}/ui/teams/${teamId}/usage`);
    expect(await lead.locator('h1').textContent()).toBe(`Usage: team research ${tag}`);
    const byMember = await lead.locator('#by-member + table').textContent();
    expect(byMember).toContain(people.ana.email);
    expect(byMember).toContain(people.lead.email);
    expect(await lead.locator('table[aria-labelledby=member-budgets] tbody tr').count()).toBe(2);
    await checkPage(lead, `team-${label}`);
    await lead.context().close();
    // A refused page and the favicon are 4xx loads; a CSP violation (style attribute, inline script) is not filtered.
    expect(consoleErrors.filter((e) => !/Failed to load resource: the server responded with a status of 4\d\d/.test(e))).toEqual([]);
  });
}
