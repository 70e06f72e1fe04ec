/**
 * Key rotation against DynamoDB Local (issue 13 item 4): /key/regenerate with a
 * bounded grace period during which the old secret still works as the new key, and
 * the scheduled rotation of keys with auto_rotate: found by a Query, rotated once
 * even by two jobs at once, the new secret read once by its owner, signed in.
 */
import { runResetJob } from '../../shared/spend/job';
import { keys } from '../../shared/db/keys';
import { KeyRotation } from '../../shared/keys/rotation';
import { expectError, testStack, type TestStack } from '../support/stack';

const START = '2027-03-10T12:00:00.000Z';

async function clockedStack() {
  let now = new Date(START);
  const s = await testStack({ clock: () => now });
  return { s, at: (iso: string) => void (now = new Date(iso)), clock: () => now };
}

/** A user with a session and a key of their own. */
async function ownedKey(s: TestStack, extra: Record<string, unknown> = {}) {
  const user = await s.userWithSession('internal_user');
  const k = await s.call('POST', '/key/generate', { token: user.token, body: { key_alias: `k-${user.userId.slice(0, 8)}`, max_budget: 10, ...extra } });
  expect(k.status).toBe(200);
  return { user, secret: k.body.key as string, token: k.body.token as string };
}

const keyInfo = (s: TestStack, secret: string) => s.call('GET', '/key/info', { token: secret });

describe('/key/regenerate with grace_period', () => {
  test('the old secret works as the new key until the grace period ends, then is refused', async () => {
    const { s, at } = await clockedStack();
    const k = await ownedKey(s);
    const regen = await s.call('POST', '/key/regenerate', { token: k.user.token, body: { key: k.secret, grace_period: '2h' } });
    expect(regen.status).toBe(200);
    const fresh = regen.body.key as string;
    expect(regen.body.token).not.toBe(k.token);

    // Within grace: the old secret is the new key item (same record, same budget).
    at('2027-03-10T13:59:59.000Z');
    const old = await keyInfo(s, k.secret);
    expect(old.status).toBe(200);
    expect(old.body.info).toMatchObject({ token: regen.body.token, key_alias: regen.body.key_alias, max_budget: 10 });
    // The gateway takes it too, and the spend lands on the new key.
    expect((await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 1, request_id: 'in-grace' } })).status).toBe(200);
    expect((await s.call('POST', '/spend/record', { token: k.secret, body: { request_id: 'in-grace', cost: 0.25 } })).status).toBe(200);
    expect((await keyInfo(s, fresh)).body.info.spend).toBe(0.25);

    // A block of the key still applies to the old secret.
    expect((await s.call('POST', '/key/block', { body: { key: regen.body.token } })).status).toBe(200);
    expectError(await keyInfo(s, k.secret), 401, 'auth_error');
    expect((await s.call('POST', '/key/unblock', { body: { key: regen.body.token } })).status).toBe(200);
    expect((await keyInfo(s, k.secret)).status).toBe(200);

    // After grace: refused; the new secret goes on.
    at('2027-03-10T14:00:00.000Z');
    expectError(await keyInfo(s, k.secret), 401, 'auth_error');
    expectError(await s.call('POST', '/spend/authorize', { token: k.secret, body: { model: 'gpt-4o', estimated_cost: 1 } }), 401);
    expect((await keyInfo(s, fresh)).status).toBe(200);
  });

  test('without grace_period the old secret stops at once; regenerating again ends an earlier grace', async () => {
    const { s } = await clockedStack();
    const k = await ownedKey(s);
    const first = await s.call('POST', '/key/regenerate', { body: { key: k.secret } });
    expect(first.status).toBe(200);
    expectError(await keyInfo(s, k.secret), 401, 'auth_error');

    const graced = await s.call('POST', '/key/regenerate', { body: { key: first.body.key, grace_period: '1d' } });
    expect((await keyInfo(s, first.body.key)).status).toBe(200);
    const leaked = await s.call('POST', '/key/regenerate', { body: { key: graced.body.key } });
    expect(leaked.status).toBe(200);
    expectError(await keyInfo(s, first.body.key), 401, 'auth_error');
    expectError(await keyInfo(s, graced.body.key), 401, 'auth_error');
    expect((await keyInfo(s, leaked.body.key)).status).toBe(200);
  });

  test.each([['8d'], ['169h'], ['2w'], ['soon'], ['0d']])('grace_period %s is refused (400) and changes nothing', async (grace) => {
    const { s } = await clockedStack();
    const k = await ownedKey(s);
    const err = expectError(await s.call('POST', '/key/regenerate', { body: { key: k.secret, grace_period: grace } }), 400, 'bad_request_error');
    expect(err.param).toBe('grace_period');
    const info = await keyInfo(s, k.secret);
    expect(info.status).toBe(200);
    expect(info.body.info.token).toBe(k.token);
    expect(await s.deps.table.get(keys.keyForward(k.token))).toBeUndefined();
  });

  test('7d, the bound itself, is accepted', async () => {
    const { s, at } = await clockedStack();
    const k = await ownedKey(s);
    expect((await s.call('POST', '/key/regenerate', { body: { key: k.secret, grace_period: '7d' } })).status).toBe(200);
    at('2027-03-17T11:59:59.000Z');
    expect((await keyInfo(s, k.secret)).status).toBe(200);
    at('2027-03-17T12:00:00.000Z');
    expectError(await keyInfo(s, k.secret), 401);
  });
});

describe('scheduled rotation (auto_rotate, rotation_interval)', () => {
  test('auto_rotate needs a rotation_interval (400, no key created)', async () => {
    const { s } = await clockedStack();
    const user = await s.userWithSession('internal_user');
    const before = (await s.call('GET', `/key/list?user_id=${user.userId}`)).body.total_count;
    const err = expectError(await s.call('POST', '/key/generate', { token: user.token, body: { auto_rotate: true } }), 400, 'bad_request_error');
    expect(err.param).toBe('rotation_interval');
    expectError(await s.call('POST', '/key/generate', { token: user.token, body: { auto_rotate: true, rotation_interval: '30 days' } }), 400);
    expect((await s.call('GET', `/key/list?user_id=${user.userId}`)).body.total_count).toBe(before);
  });

  test('a key not yet due is untouched; a due key is rotated once by two jobs at once; its owner reads the new secret once', async () => {
    const { s, at, clock } = await clockedStack();
    const k = await ownedKey(s, { auto_rotate: true, rotation_interval: '30d' });
    const other = await ownedKey(s, { auto_rotate: true, rotation_interval: '60d' });
    const plain = await ownedKey(s);
    const generated = await keyInfo(s, k.secret);
    expect(generated.body.info).toMatchObject({ auto_rotate: true, rotation_interval: '30d', key_rotation_at: '2027-04-09T12:00:00.000Z', rotation_count: 0 });

    // Not due: nothing changes.
    at('2027-04-09T11:59:59.000Z');
    expect(await s.deps.keyRotation.run()).toEqual({ rotated: 0, skipped: 0, failed: 0 });
    expect((await keyInfo(s, k.secret)).body.info.token).toBe(k.token);

    // Due: two jobs at once rotate it exactly once; the 60d key and the plain one stay.
    at('2027-04-09T12:00:00.000Z');
    const jobs = [new KeyRotation(s.deps.table, clock), new KeyRotation(s.deps.table, clock)];
    const results = await Promise.all(jobs.map((j) => j.run()));
    expect(results.reduce((n, r) => n + r.rotated, 0)).toBe(1);
    expect(results.reduce((n, r) => n + r.failed, 0)).toBe(0);
    const list = await s.call('GET', `/key/list?user_id=${k.user.userId}&key_alias=k-${k.user.userId.slice(0, 8)}&return_full_object=true`);
    expect(list.body.keys).toHaveLength(1);
    const rotated = list.body.keys[0];
    expect(rotated.token).not.toBe(k.token);
    expect(rotated).toMatchObject({ key_alias: `k-${k.user.userId.slice(0, 8)}`, rotation_count: 1, last_rotation_at: '2027-04-09T12:00:00.000Z', key_rotation_at: '2027-05-09T12:00:00.000Z', updated_by: 'onramp-key-rotation' });
    expect(rotated.sealed_secret).toBeUndefined();
    expect((await keyInfo(s, other.secret)).body.info.token).toBe(other.token);
    expect((await keyInfo(s, plain.secret)).body.info.token).toBe(plain.token);
    // Run again: nothing more is due.
    expect(await s.deps.keyRotation.run()).toEqual({ rotated: 0, skipped: 0, failed: 0 });

    // The old secret keeps working for the grace period (24h by default) as the rotated key.
    expect((await keyInfo(s, k.secret)).body.info.token).toBe(rotated.token);

    // The new secret: not to a virtual key (not even the old one), not to another user; to the owner signed in, once.
    expectError(await s.call('POST', '/key/rotated_secret', { token: k.secret, body: { key: rotated.token } }), 403);
    expectError(await s.call('POST', '/key/rotated_secret', { token: other.user.token, body: { key: rotated.token } }), 403);
    const revealed = await s.call('POST', '/key/rotated_secret', { token: k.user.token, body: { key: rotated.token } });
    expect(revealed.status).toBe(200);
    expect(revealed.body.token).toBe(rotated.token);
    expect((await keyInfo(s, revealed.body.key)).body.info.token).toBe(rotated.token);
    expectError(await s.call('POST', '/key/rotated_secret', { token: k.user.token, body: { key: rotated.token } }), 404, 'not_found_error');

    at('2027-04-10T12:00:00.000Z');
    expectError(await keyInfo(s, k.secret), 401, 'auth_error');
    expect((await keyInfo(s, revealed.body.key)).status).toBe(200);
  });

  test('the budget-reset job runs the rotation; turning auto_rotate off unschedules the key', async () => {
    const { s, at } = await clockedStack();
    const k = await ownedKey(s, { auto_rotate: true, rotation_interval: '1d' });
    const off = await ownedKey(s, { auto_rotate: true, rotation_interval: '1d' });
    const expiring = await ownedKey(s, { auto_rotate: true, rotation_interval: '1d', duration: '1d' });
    const updated = await s.call('POST', '/key/update', { token: off.user.token, body: { key: off.token, auto_rotate: false } });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ auto_rotate: false, key_rotation_at: null });
    expect(await s.deps.table.get(keys.keyRotation(off.token))).toBeUndefined();

    at('2027-03-11T12:00:00.000Z');
    const summary = await runResetJob(s.deps);
    // The expired key is not rotated: its schedule entry is dropped.
    expect(summary.key_rotation).toEqual({ rotated: 1, skipped: 1, failed: 0 });
    expect(await s.deps.table.get(keys.key(expiring.token))).toMatchObject({ token: expiring.token });
    expect(await s.deps.table.get(keys.keyRotation(expiring.token))).toBeUndefined();
    // A run with nothing due reports no rotation, as before.
    expect((await runResetJob(s.deps)).key_rotation).toBeUndefined();
    expect((await keyInfo(s, k.secret)).body.info.token).not.toBe(k.token);
    expect((await keyInfo(s, off.secret)).body.info.token).toBe(off.token);
  });
});
