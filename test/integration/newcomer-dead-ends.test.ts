/**
 * The dead ends a newcomer hit (issue 10, item 12): the site's root, a mistyped page
 * address, and an invitation link that a resend replaced. Each now says what to do.
 */
import { randomUUID } from 'node:crypto';
import { expectError, testStack, type TestStack } from '../support/stack';

let s: TestStack;
beforeAll(async () => {
  s = await testStack();
});

async function invitedUser() {
  const created = await s.call('POST', '/user/new', { body: { user_email: `newcomer-${randomUUID().slice(0, 8)}@example.com`, user_role: 'internal_user' } });
  expect(created.status).toBe(200);
  const inv = await s.call('POST', '/invitation/new', { body: { user_id: created.body.user_id } });
  expect(inv.status).toBe(200);
  return { userId: created.body.user_id as string, id: inv.body.id as string };
}

const REPLACED = 'This invitation link was replaced by a newer one when the invitation was sent again. Open the link in the most recent invitation email.';

describe('GET /', () => {
  test('sends the browser to the web pages', async () => {
    for (const token of [null, undefined]) {
      const r = await s.call('GET', '/', { token });
      expect({ status: r.status, location: r.headers.get('location') }).toEqual({ status: 302, location: '/ui' });
    }
  });
});

describe('an unknown page address', () => {
  test('signed in: an HTML 404 page that says there is no such page and links back', async () => {
    const r = await s.call('GET', '/ui/teamz');
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(r.body).toContain('<title>Not found');
    expect(r.body).toContain('There is no page at /ui/teamz.');
    expect(r.body).toContain('href="/ui"');
  });

  test('signed out, under the public static folder: also a page, not JSON', async () => {
    const r = await s.call('GET', '/ui/static/nothing-here.js', { token: null });
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toMatch(/^text\/html/);
    expect(r.body).toContain('There is no page at /ui/static/nothing-here.js.');
  });

  test('an unknown API route still answers in the JSON envelope', async () => {
    expect(expectError(await s.call('GET', '/no/such/route'), 404, 'not_found_error').message).toBe('Route not found: GET /no/such/route');
  });
});

describe('a link replaced by /invitation/resend', () => {
  test('says it was replaced, on the API, on the page and to the admin; the new link works', async () => {
    const { userId, id: oldId } = await invitedUser();
    const before = await s.call('GET', `/onboarding/get_token?invite_link=${oldId}`, { token: null });
    expect(before.status).toBe(200);

    const resent = await s.call('POST', '/invitation/resend', { body: { invitation_id: oldId } });
    expect(resent.status).toBe(200);
    const newId = resent.body.id as string;

    expect(expectError(await s.call('GET', `/onboarding/get_token?invite_link=${oldId}`, { token: null }), 401).message).toBe(REPLACED);
    // a token fetched before the resend does not claim the replaced link either
    const claimOld = await s.call('POST', '/onboarding/claim_token', {
      token: null,
      body: { invitation_link: oldId, user_id: userId, password: 'a long passphrase', token: before.body.token },
    });
    expect(expectError(claimOld, 401).message).toBe(REPLACED);

    const page = await s.call('GET', `/ui/onboarding?id=${oldId}`, { token: null });
    expect(page.status).toBe(401);
    expect(page.body).toContain('replaced by a newer one');
    expect(page.body).toContain('newest invitation email');
    expect(page.body).not.toContain('Ask your administrator for a new invitation link');

    for (const [method, path, body] of [
      ['GET', `/invitation/info?invitation_id=${oldId}`, undefined],
      ['POST', '/invitation/resend', { invitation_id: oldId }],
      ['POST', '/invitation/delete', { invitation_id: oldId }],
    ] as const) {
      const err = expectError(await s.call(method, path, { body }), 400);
      expect(err.message).toMatch(/^This invitation was replaced when it was sent again/);
      expect(err.param).toBe('invitation_id');
    }

    const start = await s.call('GET', `/onboarding/get_token?invite_link=${newId}`, { token: null });
    expect(start.status).toBe(200);
    const claimed = await s.call('POST', '/onboarding/claim_token', {
      token: null,
      body: { invitation_link: newId, user_id: userId, password: 'a long passphrase', token: start.body.token },
    });
    expect(claimed.status).toBe(200);
    // once the new link is used, the old one still says it was replaced (not "used")
    expect(expectError(await s.call('GET', `/onboarding/get_token?invite_link=${oldId}`, { token: null }), 401).message).toBe(REPLACED);
  });

  test('a deleted or unknown link keeps its own message', async () => {
    const { id } = await invitedUser();
    expect((await s.call('POST', '/invitation/delete', { body: { invitation_id: id } })).status).toBe(200);
    expect(expectError(await s.call('GET', `/onboarding/get_token?invite_link=${id}`, { token: null }), 401).message).toBe('Invitation link does not exist in db.');
  });
});
