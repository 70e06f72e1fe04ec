/**
 * Forgot password (emailed single-use link) and change password (with the current
 * one), against DynamoDB Local and the local SES endpoint: the link is read back
 * from the sent email, as its owner would.
 */
import { randomUUID } from 'node:crypto';
import { readMailbox, type StoredEmail } from '../../local/ses';
import {
  RESET_LINK_EXPIRED,
  RESET_LINK_SUPERSEDED,
  RESET_LINK_UNKNOWN,
  RESET_LINK_USED,
  RESET_REQUESTED,
  RESET_REQUESTS_PER_WINDOW,
} from '../../shared/auth/password-reset';
import { keys } from '../../shared/db/keys';
import { sha256Hex } from '../../shared/core/ids';
import { expectError, testStack, type TestStack } from '../support/stack';

const SES = () => process.env.ONRAMP_TEST_SES_ENDPOINT!;
const OLD_PASSWORD = 'the old passphrase 1';
const NEW_PASSWORD = 'a brand new passphrase 2';
const HOUR_MS = 60 * 60 * 1000;

const uniqueEmail = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}@example.com`;

async function mailTo(address: string): Promise<StoredEmail[]> {
  return (await readMailbox(SES())).filter((m) => m.destination.to.includes(address));
}

/** The reset link id from the newest email to `address`. */
async function linkIdFromMail(address: string): Promise<string> {
  const mails = await mailTo(address);
  expect(mails.length).toBeGreaterThan(0);
  const text = mails[mails.length - 1]!.body.text ?? '';
  const match = /http:\/\/onramp\.test\/ui\/reset-password\?id=([A-Za-z0-9_-]+)/.exec(text);
  expect(match).not.toBeNull();
  return decodeURIComponent(match![1]!);
}

async function userWithPassword(s: TestStack, password = OLD_PASSWORD) {
  const email = uniqueEmail('forgetful');
  const r = await s.call('POST', '/user/new', { body: { user_email: email, password, auto_create_key: false } });
  expect(r.status).toBe(200);
  return { userId: r.body.user_id as string, email };
}

const forgot = (s: TestStack, email: string) => s.call('POST', '/password/forgot', { token: null, body: { user_email: email } });
const reset = (s: TestStack, id: string, password = NEW_PASSWORD) => s.call('POST', '/password/reset', { token: null, body: { reset_id: id, password } });
const login = (s: TestStack, email: string, password: string) => s.call('POST', '/v2/login', { token: null, body: { username: email, password } });
const me = (s: TestStack, token: string) => s.call('GET', '/user/info', { token });

describe('forgot password', () => {
  // Near the real time: jose checks session expiry against the real clock.
  let now = Date.now();
  let s: TestStack;

  beforeAll(async () => {
    s = await testStack({ clock: () => new Date(now) });
  });

  test('the emailed link sets a new password once; earlier sessions end; a second use is refused', async () => {
    const { userId, email } = await userWithPassword(s);
    const earlier = await login(s, email, OLD_PASSWORD);
    expect(earlier.status).toBe(200);
    const issued = await s.deps.sessions.issue(userId, new Date(now));
    expect((await me(s, earlier.body.token)).status).toBe(200);

    const asked = await forgot(s, email);
    expect(asked.status).toBe(200);
    expect(asked.body).toEqual({ message: RESET_REQUESTED });
    const mails = await mailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]!.subject).toBe('Reset your onramp password');
    const id = await linkIdFromMail(email);
    // Only the hash of the id is stored.
    expect(await s.deps.table.get(keys.passwordReset(id))).toBeUndefined();
    expect(await s.deps.table.get(keys.passwordReset(sha256Hex(id)))).toMatchObject({ user_id: userId, used: false });

    const done = await reset(s, id);
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ user_id: userId, user_email: email });
    expect(done.headers.get('set-cookie')).toBeNull(); // signs nobody in

    // Every earlier session is refused, the old password too; the new one signs in.
    expectError(await me(s, earlier.body.token), 401);
    expectError(await me(s, issued.token), 401);
    expectError(await login(s, email, OLD_PASSWORD), 401);
    const fresh = await login(s, email, NEW_PASSWORD);
    expect(fresh.status).toBe(200);
    expect((await me(s, fresh.body.token)).status).toBe(200);

    // Single use: the second use changes nothing.
    const again = await reset(s, id, 'yet another passphrase 3');
    expect(expectError(again, 401, 'auth_error').message).toBe(RESET_LINK_USED);
    expect((await login(s, email, NEW_PASSWORD)).status).toBe(200);
  });

  test('an unknown email gets exactly the same answer, and no email is sent', async () => {
    const { email } = await userWithPassword(s);
    const nobody = uniqueEmail('nobody');
    const known = await forgot(s, email);
    const unknown = await forgot(s, nobody);
    expect({ status: unknown.status, body: unknown.body, type: unknown.headers.get('content-type') }).toEqual({
      status: known.status,
      body: known.body,
      type: known.headers.get('content-type'),
    });
    expect(await mailTo(nobody)).toHaveLength(0);
    expect(await mailTo(email)).toHaveLength(1);
    // Any case finds the account.
    expect((await forgot(s, email.toUpperCase())).status).toBe(200);
    expect(await mailTo(email)).toHaveLength(2);
  });

  test('an expired link is refused and changes nothing', async () => {
    const { email } = await userWithPassword(s);
    expect((await forgot(s, email)).status).toBe(200);
    const id = await linkIdFromMail(email);
    now += HOUR_MS; // exactly at expiry
    try {
      expect(expectError(await reset(s, id), 401, 'auth_error').message).toBe(RESET_LINK_EXPIRED);
    } finally {
      now -= HOUR_MS;
    }
    expect((await login(s, email, OLD_PASSWORD)).status).toBe(200);
    // One second before expiry it still worked.
    now += HOUR_MS - 1000;
    try {
      expect((await reset(s, id)).status).toBe(200);
    } finally {
      now -= HOUR_MS - 1000;
    }
  });

  test('an unknown link is refused; bad input gets a 400 and leaves the link usable', async () => {
    expect(expectError(await reset(s, 'not-a-real-link-id'), 401, 'auth_error').message).toBe(RESET_LINK_UNKNOWN);
    expect(expectError(await forgot(s, 'not an email'), 400).param).toBe('user_email');
    expectError(await s.call('POST', '/password/reset', { token: null, body: { password: NEW_PASSWORD } }), 400);

    const { email } = await userWithPassword(s);
    await forgot(s, email);
    const id = await linkIdFromMail(email);
    const short = await reset(s, id, 'short');
    expect(expectError(short, 400).param).toBe('password');
    const isEmail = await reset(s, id, email);
    expect(expectError(isEmail, 400).message).toContain('not be your email');
    expect((await reset(s, id)).status).toBe(200);
  });

  test('of concurrent uses of one link exactly one succeeds', async () => {
    const { email } = await userWithPassword(s);
    await forgot(s, email);
    const id = await linkIdFromMail(email);
    const passwords = ['concurrent passphrase A', 'concurrent passphrase B', 'concurrent passphrase C'];
    const results = await Promise.all(passwords.map((p) => reset(s, id, p)));
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    for (const loser of results.filter((r) => r.status !== 200)) expect(expectError(loser, 401).message).toBe(RESET_LINK_USED);
    const winning = passwords[results.findIndex((r) => r.status === 200)]!;
    expect((await login(s, email, winning)).status).toBe(200);
  });

  test('the reset clears the sign-in lock', async () => {
    const { email } = await userWithPassword(s);
    for (let i = 0; i < 5; i++) expectError(await login(s, email, 'wrong passphrase 123'), 401);
    expectError(await login(s, email, OLD_PASSWORD), 429);
    await forgot(s, email);
    expect((await reset(s, await linkIdFromMail(email))).status).toBe(200);
    expect((await login(s, email, NEW_PASSWORD)).status).toBe(200);
  });

  test('a link stops working once the password or the email changes another way', async () => {
    const { userId, email } = await userWithPassword(s);
    await forgot(s, email);
    const byPassword = await linkIdFromMail(email);
    expect((await s.call('POST', '/user/update', { body: { user_id: userId, password: 'set by the admin 123' } })).status).toBe(200);
    expect(expectError(await reset(s, byPassword), 401).message).toBe(RESET_LINK_SUPERSEDED);
    expect((await login(s, email, 'set by the admin 123')).status).toBe(200);

    await forgot(s, email);
    const byEmail = await linkIdFromMail(email);
    const moved = uniqueEmail('moved');
    expect((await s.call('POST', '/user/update', { body: { user_id: userId, user_email: moved } })).status).toBe(200);
    expect(expectError(await reset(s, byEmail), 401).message).toBe(RESET_LINK_SUPERSEDED);
    expect((await login(s, moved, 'set by the admin 123')).status).toBe(200);
  });

  test(`at most ${RESET_REQUESTS_PER_WINDOW} requests an hour per email, known or not`, async () => {
    const { email } = await userWithPassword(s);
    const nobody = uniqueEmail('nobody');
    for (const address of [email, nobody]) {
      for (let i = 0; i < RESET_REQUESTS_PER_WINDOW; i++) expect((await forgot(s, address)).status).toBe(200);
      expect(expectError(await forgot(s, address), 429, 'rate_limit_error').message).toMatch(/Too many password reset requests .* Try again in 60 minutes/);
    }
    expect(await mailTo(email)).toHaveLength(RESET_REQUESTS_PER_WINDOW);
    now += HOUR_MS;
    try {
      expect((await forgot(s, email)).status).toBe(200);
      expect(await mailTo(email)).toHaveLength(RESET_REQUESTS_PER_WINDOW + 1);
    } finally {
      now -= HOUR_MS;
    }
  });

  test("deleting the user deletes their reset links", async () => {
    const { userId, email } = await userWithPassword(s);
    await forgot(s, email);
    const id = await linkIdFromMail(email);
    expect((await s.call('POST', '/user/delete', { body: { user_ids: [userId] } })).status).toBe(200);
    expect(await s.deps.table.get(keys.passwordReset(sha256Hex(id)))).toBeUndefined();
    expect(expectError(await reset(s, id), 401).message).toBe(RESET_LINK_UNKNOWN);
  });

  test('the pages: the reset page shows the form for a live link and says why a dead one is refused', async () => {
    const { email } = await userWithPassword(s);
    await forgot(s, email);
    const id = await linkIdFromMail(email);
    const page = await s.call('GET', `/ui/reset-password?id=${id}`, { token: null });
    expect(page.status).toBe(200);
    expect(page.body).toContain(email);
    expect(page.body).toContain('name="password_confirm"');
    const unknown = await s.call('GET', '/ui/reset-password?id=nope', { token: null });
    expect(unknown.status).toBe(401);
    expect(unknown.body).toContain('This password reset link is not valid.');
    const forgotPage = await s.call('GET', '/ui/forgot-password', { token: null });
    expect(forgotPage.status).toBe(200);
    const login = await s.call('GET', '/ui/login', { token: null });
    expect(login.body).toContain('href="/ui/forgot-password"');
  });
});

describe('change password on /ui/account', () => {
  let s: TestStack;

  beforeAll(async () => {
    s = await testStack();
  });

  /** A form post from the page, with the session cookie and its CSRF token. */
  async function postAccount(token: string, form: Record<string, string>) {
    const session = (await s.deps.sessions.verify(token))!;
    return s.call('POST', '/ui/account', { token: null, headers: { cookie: `token=${token}` }, form: { csrf_token: session.csrf, ...form } });
  }

  test('needs the current password; ends every other session and keeps this browser signed in', async () => {
    const { email } = await userWithPassword(s);
    const browser = (await login(s, email, OLD_PASSWORD)).body.token as string;
    const other = (await login(s, email, OLD_PASSWORD)).body.token as string;

    const page = await s.call('GET', '/ui/account', { token: null, headers: { cookie: `token=${browser}` } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('name="current_password"');

    const wrong = await postAccount(browser, { current_password: 'not my password 1', password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(wrong.status).toBe(403);
    expect(wrong.body).toContain('This is not your current password.');
    const mismatch = await postAccount(browser, { current_password: OLD_PASSWORD, password: NEW_PASSWORD, password_confirm: 'something else 123' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toContain('The two passwords do not match.');
    const missing = await postAccount(browser, { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(missing.status).toBe(400);
    expect((await me(s, other)).status).toBe(200); // nothing changed yet

    const changed = await postAccount(browser, { current_password: OLD_PASSWORD, password: NEW_PASSWORD, password_confirm: NEW_PASSWORD });
    expect(changed.status).toBe(303);
    expect(changed.headers.get('location')).toBe('/ui/account');
    const renewed = /(?:^|[ ,])token=([^;]+)/.exec(changed.headers.get('set-cookie') ?? '')?.[1];
    expect(renewed).toBeDefined();

    expectError(await me(s, other), 401);
    expectError(await me(s, browser), 401);
    expect((await me(s, renewed!)).status).toBe(200);
    expectError(await login(s, email, OLD_PASSWORD), 401);
    expect((await login(s, email, NEW_PASSWORD)).status).toBe(200);
  });

  test('a cross-site post without the CSRF token is refused', async () => {
    const { email } = await userWithPassword(s);
    const token = (await login(s, email, OLD_PASSWORD)).body.token as string;
    const r = await s.call('POST', '/ui/account', { token: null, headers: { cookie: `token=${token}` }, form: { password: NEW_PASSWORD, password_confirm: NEW_PASSWORD } });
    expect(r.status).toBe(403);
    expect((await login(s, email, OLD_PASSWORD)).status).toBe(200);
  });
});

describe('with password sign-in turned off (SSO only)', () => {
  let s: TestStack;

  beforeAll(async () => {
    s = await testStack({
      env: {
        ONRAMP_SSO_ISSUER: 'http://127.0.0.1:9/not-used',
        GENERIC_CLIENT_ID: 'onramp',
        GENERIC_CLIENT_SECRET: 'secret',
        ONRAMP_DISABLE_PASSWORD_LOGIN: 'true',
      },
    });
  });

  test('forgot and reset answer 403 and send nothing; the pages say so', async () => {
    const email = uniqueEmail('sso');
    expect((await s.call('POST', '/user/new', { body: { user_email: email, password: OLD_PASSWORD, auto_create_key: false } })).status).toBe(200);
    expect(expectError(await forgot(s, email), 403, 'auth_error').message).toContain('Password sign-in is turned off');
    expectError(await reset(s, 'any-link-id'), 403, 'auth_error');
    expect(await mailTo(email)).toHaveLength(0);
    for (const path of ['/ui/forgot-password', '/ui/reset-password?id=x']) {
      const page = await s.call('GET', path, { token: null });
      expect(page.status).toBe(403);
      expect(page.body).toContain('Password sign-in is turned off');
    }
    const login = await s.call('GET', '/ui/login', { token: null });
    expect(login.body).not.toContain('/ui/forgot-password');
  });
});
