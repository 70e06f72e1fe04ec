/**
 * Budget alerts against DynamoDB Local and the local SES: a settlement that reaches
 * a key's or user's soft budget, or 80% / 100% of any max budget (key, user, team,
 * membership), emails the owner (a team's admins) once per budget period, however
 * many requests race; a new period alerts again; a failed or slow send neither
 * fails nor delays the record, and the scheduled job sends it later.
 */
import { randomUUID } from 'node:crypto';
import { readMailbox, type StoredEmail } from '../../local/ses';
import type { AlertItem } from '../../shared/spend/alerts';
import { runResetJob } from '../../shared/spend/job';
import { keys } from '../../shared/db/keys';
import { SesMailer, type Mailer, type OutgoingEmail } from '../../shared/email/mailer';
import { testStack, type TestStack } from '../support/stack';

const SES = () => process.env.ONRAMP_TEST_SES_ENDPOINT!;
const uniqueEmail = (tag: string) => `alert-${tag}-${randomUUID().slice(0, 8)}@example.com`;

/** The emails sent to one address (the local SES store is shared by every test file). */
async function mailTo(address: string): Promise<StoredEmail[]> {
  return (await readMailbox(SES())).filter((m) => m.destination.to.includes(address));
}

async function newUser(s: TestStack, extra: Record<string, unknown> = {}) {
  const email = uniqueEmail('user');
  const r = await s.call('POST', '/user/new', { body: { user_email: email, user_role: 'internal_user', auto_create_key: false, ...extra } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email };
}

async function newKey(s: TestStack, body: Record<string, unknown>) {
  const r = await s.call('POST', '/key/generate', { body });
  expect(r.status).toBe(200);
  return { secret: r.body.key as string, token: r.body.token as string };
}

async function authorize(s: TestStack, secret: string, cost: number, requestId = randomUUID()) {
  const r = await s.call('POST', '/spend/authorize', { token: secret, body: { model: 'gpt-4o', estimated_cost: cost, request_id: requestId } });
  expect(r.status).toBe(200);
  return requestId;
}

async function spend(s: TestStack, secret: string, cost: number) {
  const requestId = await authorize(s, secret, cost);
  const r = await s.call('POST', '/spend/record', { token: secret, body: { request_id: requestId, cost } });
  expect(r.status).toBe(200);
  return r;
}

async function until(done: () => boolean) {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(done()).toBe(true);
}

/** Every send started by the app has finished (sends run after the record answers). */
const sendsDone = (s: TestStack) => s.deps.budgetAlerts.settled();

/** A mailer that sends through the local SES, or fails while `failing` is set, or waits while `gate` is set. */
class TestMailer implements Mailer {
  failing = false;
  gate: Promise<void> | undefined;
  calls = 0;
  private readonly ses = new SesMailer({ region: 'us-east-1', sender: 'onramp@example.com', endpoint: SES() });
  async send(email: OutgoingEmail): Promise<string> {
    this.calls++;
    if (this.gate) await this.gate;
    if (this.failing) throw new Error('SES is down (test)');
    return this.ses.send(email);
  }
}

describe('budget alerts', () => {
  test('100 concurrent requests crossing the soft budget send exactly one email', async () => {
    const s = await testStack();
    const owner = await newUser(s);
    // No max budget anywhere: the soft budget is the only threshold.
    const key = await newKey(s, { user_id: owner.userId, soft_budget: 0.25, key_alias: `alerts-${randomUUID().slice(0, 6)}` });
    const ids: string[] = [];
    for (let i = 0; i < 100; i += 10) ids.push(...(await Promise.all(Array.from({ length: 10 }, () => authorize(s, key.secret, 0.01)))));
    const records = await Promise.all(ids.map((id) => s.call('POST', '/spend/record', { token: key.secret, body: { request_id: id, cost: 0.01 } })));
    expect(records.map((r) => r.status)).toEqual(Array(100).fill(200));
    await sendsDone(s);

    const mail = await mailTo(owner.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toContain('soft budget of $0.25');
    expect(mail[0]!.body.text).toContain('Spent this period: $');
    const alerts = await s.deps.table.queryAll<AlertItem>({ pk: `ALERT#${keys.key(key.token).PK}#KEY` });
    expect(alerts.map((a) => [a.threshold, a.status, a.sent_to])).toEqual([['soft_budget', 'sent', [owner.email]]]);
    expect(alerts[0]!.GSI4PK).toBeUndefined();
  }, 120_000);

  test("a key's max budget: one email at 80%, one at 100%, none for spend in between", async () => {
    const s = await testStack();
    const owner = await newUser(s);
    const key = await newKey(s, { user_id: owner.userId, max_budget: 1, key_alias: `max-${randomUUID().slice(0, 6)}` });
    await spend(s, key.secret, 0.5);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(0);
    await spend(s, key.secret, 0.3);
    await spend(s, key.secret, 0.1);
    await sendsDone(s);
    const at80 = await mailTo(owner.email);
    expect(at80.map((m) => m.subject)).toEqual([expect.stringContaining('80% of its max budget of $1.00')]);
    expect(at80[0]!.subject).toContain('key max-');
    await spend(s, key.secret, 0.1);
    await sendsDone(s);
    const all = await mailTo(owner.email);
    expect(all).toHaveLength(2);
    expect(all.map((m) => m.subject)).toContainEqual(expect.stringContaining('reached its max budget of $1.00'));
    expect(all.find((m) => m.subject.includes('reached its max budget'))!.body.text).toContain('refused until it resets');

    // A raised max budget is a new limit: its own 80% alerts again, in the same period.
    expect((await s.call('POST', '/key/update', { body: { key: key.token, max_budget: 2 } })).status).toBe(200);
    await spend(s, key.secret, 0.5);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(2);
    await spend(s, key.secret, 0.1);
    await sendsDone(s);
    const raised = await mailTo(owner.email);
    expect(raised).toHaveLength(3);
    expect(raised.map((m) => m.subject)).toContainEqual(expect.stringContaining('80% of its max budget of $2.00'));
  });

  test("a user's soft budget emails the user, naming the user budget", async () => {
    const s = await testStack();
    const owner = await newUser(s, { soft_budget: 0.5 });
    const key = await newKey(s, { user_id: owner.userId });
    await spend(s, key.secret, 0.4);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(0);
    await spend(s, key.secret, 0.2);
    await spend(s, key.secret, 0.2);
    await sendsDone(s);
    const mail = await mailTo(owner.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toBe(`onramp budget alert: user ${owner.email} reached its soft budget of $0.50`);
  });

  test("a team's max budget emails the team's admins, not its plain members", async () => {
    const s = await testStack();
    const admin = await newUser(s);
    const member = await newUser(s);
    const alias = `alerts-team-${randomUUID().slice(0, 6)}`;
    const team = await s.call('POST', '/team/new', { body: { team_alias: alias, max_budget: 1 } });
    expect(team.status).toBe(200);
    const teamId = team.body.team_id as string;
    expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: [{ user_id: admin.userId, role: 'admin' }, { user_id: member.userId, role: 'user' }] } })).status).toBe(200);
    const key = await newKey(s, { user_id: member.userId, team_id: teamId });
    await spend(s, key.secret, 0.85);
    await sendsDone(s);
    const mail = await mailTo(admin.email);
    expect(mail.map((m) => m.subject)).toEqual([`onramp budget alert: team ${alias} reached 80% of its max budget of $1.00`]);
    expect(await mailTo(member.email)).toHaveLength(0);

    // A team key with no user (a service account): its budget alerts go to the team's admins too.
    const service = await newKey(s, { team_id: teamId, max_budget: 0.1, key_alias: `svc-${randomUUID().slice(0, 6)}` });
    await spend(s, service.secret, 0.1);
    await sendsDone(s);
    const after = await mailTo(admin.email);
    expect(after.map((m) => m.subject)).toEqual(expect.arrayContaining([expect.stringMatching(/^onramp budget alert: key svc-\w+ reached its max budget of \$0\.10$/)]));
    expect(await mailTo(member.email)).toHaveLength(0);
  });

  test("a member's budget in a team emails the member", async () => {
    const s = await testStack();
    const member = await newUser(s);
    const alias = `alerts-members-${randomUUID().slice(0, 6)}`;
    const team = await s.call('POST', '/team/new', { body: { team_alias: alias, team_member_budget: 2 } });
    const teamId = team.body.team_id as string;
    expect((await s.call('POST', '/team/member_add', { body: { team_id: teamId, member: { user_id: member.userId } } })).status).toBe(200);
    const key = await newKey(s, { user_id: member.userId, team_id: teamId });
    await spend(s, key.secret, 1.7);
    await sendsDone(s);
    const mail = await mailTo(member.email);
    expect(mail.map((m) => m.subject)).toEqual([`onramp budget alert: ${member.email} in team ${alias} reached 80% of its max budget of $2.00`]);
    const alert = await s.deps.table.get<AlertItem>(keys.budgetAlert(keys.member(teamId, member.userId), 'no-period', 'max_budget_80', 1.6));
    expect(alert).toMatchObject({ budget_type: 'member', status: 'sent', threshold_amount: 1.6, max_budget: 2 });
  });

  test('a new budget period can alert again; the same period never twice', async () => {
    let now = new Date('2026-03-10T12:00:00.000Z');
    const s = await testStack({ clock: () => now });
    const owner = await newUser(s);
    const key = await newKey(s, { user_id: owner.userId, soft_budget: 0.5, budget_duration: '1d' });
    await spend(s, key.secret, 0.6);
    await spend(s, key.secret, 0.6);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(1);

    now = new Date('2026-03-11T00:00:01.000Z');
    const run = await runResetJob(s.deps);
    expect(run.reset.key).toBe(1);
    const keyItem = await s.deps.table.get<{ spend: number; budget_reset_at: string }>(keys.key(key.token));
    expect(keyItem!.spend).toBe(0);
    await spend(s, key.secret, 0.4);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(1);
    await spend(s, key.secret, 0.2);
    await spend(s, key.secret, 0.2);
    await sendsDone(s);
    const mail = await mailTo(owner.email);
    expect(mail).toHaveLength(2);
    expect(mail.map((m) => m.body.text)).toEqual(expect.arrayContaining([expect.stringContaining('resets on 2026-03-11 00:00 UTC'), expect.stringContaining(`resets on ${keyItem!.budget_reset_at.slice(0, 10)}`)]));
  });

  test('a budget past its reset time, reset inline by the next request, alerts again in its new period', async () => {
    let now = new Date('2026-04-01T08:00:00.000Z');
    const s = await testStack({ clock: () => now });
    const owner = await newUser(s, { soft_budget: 0.3, budget_duration: '1d' });
    const key = await newKey(s, { user_id: owner.userId });
    await spend(s, key.secret, 0.35);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(1);
    now = new Date('2026-04-02T08:00:00.000Z');
    // No job run: authorize finds the user budget past its reset and resets it first.
    await spend(s, key.secret, 0.35);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(2);
  });

  test('a slow or failed send neither delays nor fails the record; the scheduled job sends it later, once', async () => {
    let now = new Date('2026-05-05T10:00:00.000Z');
    const mailer = new TestMailer();
    const s = await testStack({ clock: () => now, mailer });
    const owner = await newUser(s);
    const key = await newKey(s, { user_id: owner.userId, soft_budget: 0.1 });

    // The send hangs: the record still answers, with the alert written as pending.
    let release!: () => void;
    mailer.gate = new Promise((r) => (release = r));
    mailer.failing = true;
    const record = await spend(s, key.secret, 0.2);
    expect(record.body.duplicate).toBe(false);
    await until(() => mailer.calls === 1);
    const alertKey = keys.budgetAlert(keys.key(key.token), 'no-period', 'soft_budget', 0.1);
    expect(await s.deps.table.get<AlertItem>(alertKey)).toMatchObject({ status: 'pending', attempts: 0, GSI4PK: 'ALERT_PENDING' });

    // Then it fails: still pending, with the error kept, and listed for a retry.
    release();
    await sendsDone(s);
    expect(await s.deps.table.get<AlertItem>(alertKey)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'SES is down (test)', GSI4PK: 'ALERT_PENDING' });
    expect(await mailTo(owner.email)).toHaveLength(0);

    // A job run before the sender's hold ends leaves it alone; further spend does not alert again.
    mailer.gate = undefined;
    mailer.failing = false;
    await spend(s, key.secret, 0.2);
    await sendsDone(s);
    expect(await runResetJob(s.deps)).not.toHaveProperty('budget_alerts_retried');
    expect(await mailTo(owner.email)).toHaveLength(0);

    // After it, the scheduled job sends it, once.
    now = new Date('2026-05-05T10:06:00.000Z');
    expect(await runResetJob(s.deps)).toMatchObject({ budget_alerts_retried: 1 });
    expect(await runResetJob(s.deps)).not.toHaveProperty('budget_alerts_retried');
    const mail = await mailTo(owner.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toContain('soft budget of $0.10');
    const alert = await s.deps.table.get<AlertItem>(alertKey);
    expect(alert).toMatchObject({ status: 'sent', attempts: 2, sent_to: [owner.email] });
    expect(alert!.GSI4PK).toBeUndefined();
  });

  test('a budget with no owner email is recorded as such, not retried forever', async () => {
    const s = await testStack();
    const user = await s.call('POST', '/user/new', { body: { user_role: 'internal_user', auto_create_key: false } });
    expect(user.status).toBe(200);
    const key = await newKey(s, { user_id: user.body.user_id, soft_budget: 0.1 });
    await spend(s, key.secret, 0.2);
    await sendsDone(s);
    const alert = await s.deps.table.get<AlertItem>(keys.budgetAlert(keys.key(key.token), 'no-period', 'soft_budget', 0.1));
    expect(alert).toMatchObject({ status: 'no_recipient', sent_to: [] });
    expect(alert!.GSI4PK).toBeUndefined();
  });
});

describe('the scheduled budget-reset function', () => {
  const NAMES = ['ONRAMP_TABLE_NAME', 'ONRAMP_DYNAMODB_ENDPOINT', 'ONRAMP_SES_SENDER', 'ONRAMP_SES_ENDPOINT'];
  const saved = Object.fromEntries(NAMES.map((n) => [n, process.env[n]]));
  afterAll(() => {
    for (const n of NAMES) {
      if (saved[n] === undefined) delete process.env[n];
      else process.env[n] = saved[n];
    }
  });

  test('sends the budget alerts whose send failed', async () => {
    // An hour ago by the app's clock, so the pending alert is due for a retry by the real clock.
    const mailer = new TestMailer();
    const s = await testStack({ clock: () => new Date(Date.now() - 60 * 60_000), mailer });
    const owner = await newUser(s);
    const key = await newKey(s, { user_id: owner.userId, soft_budget: 0.1 });
    mailer.failing = true;
    await spend(s, key.secret, 0.2);
    await sendsDone(s);
    expect(await mailTo(owner.email)).toHaveLength(0);

    for (const n of NAMES) delete process.env[n];
    Object.assign(process.env, {
      ONRAMP_TABLE_NAME: s.tableName,
      ONRAMP_DYNAMODB_ENDPOINT: process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!,
      ONRAMP_SES_SENDER: 'onramp@example.com',
      ONRAMP_SES_ENDPOINT: SES(),
    });
    let handler!: () => Promise<Record<string, unknown>>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      handler = require('../../functions/budget-reset/index').handler;
    });
    expect(await handler()).toMatchObject({ budget_alerts_retried: 1 });
    expect(await handler()).not.toHaveProperty('budget_alerts_retried');
    const mail = await mailTo(owner.email);
    expect(mail).toHaveLength(1);
    expect(mail[0]!.subject).toContain('soft budget of $0.10');
  });
});
