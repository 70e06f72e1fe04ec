/**
 * The one key check (shared/keys/usable.ts) that authentication, the spend gateway and
 * the model routes share: its order and its messages, with no DynamoDB.
 */
import { DomainError } from '../../shared/core/errors';
import { KeyExpired as GatewayKeyExpired } from '../../shared/gateway/errors';
import { assertUsableKey, KeyExpired, keyRefusals } from '../../shared/keys/usable';

const now = new Date('2027-04-01T12:00:00.000Z');
const key = { key_name: 'sk-...abcd', blocked: false, expires: null as string | null, token: 'hash' };

const refusal = (f: () => unknown): DomainError => {
  try {
    f();
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a refusal');
};

test('a usable key is returned as it was given', () => {
  expect(assertUsableKey(key, now)).toBe(key);
  expect(assertUsableKey({ ...key, expires: '2027-04-01T12:00:00.001Z' }, now, { team_id: 't1', blocked: false })).toMatchObject({ token: 'hash' });
});

test('no key: "Invalid API key", which the model routes answer as token_not_found_in_db', () => {
  for (const missing of [undefined, null]) {
    const err = refusal(() => assertUsableKey(missing, now));
    expect(err).toBeInstanceOf(DomainError);
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toMatch(/^Invalid API key/);
  }
});

test("blocked: LiteLLM's words, naming the key", () => {
  const err = refusal(() => assertUsableKey({ ...key, blocked: true }, now));
  expect(err.kind).toBe('unauthenticated');
  expect(err.message).toBe("Key is blocked: sk-...abcd. Update via `/key/unblock` if you're an admin.");
});

test('expired at or before now: KeyExpired (expired_key on the model routes), with both times and the key', () => {
  for (const expires of ['2027-04-01T12:00:00.000Z', '2026-01-01T00:00:00.000Z']) {
    const err = refusal(() => assertUsableKey({ ...key, expires }, now));
    expect(err).toBeInstanceOf(KeyExpired);
    expect(err.kind).toBe('unauthenticated');
    expect(err.message).toBe(`Authentication Error - Expired Key. Key Expiry time ${expires} and current time 2027-04-01T12:00:00.000Z: sk-...abcd expired.`);
  }
  // the model gateway's error map knows it by the same class
  expect(GatewayKeyExpired).toBe(KeyExpired);
});

test('a blocked team refuses its keys; a team the caller did not read is not checked', () => {
  const err = refusal(() => assertUsableKey(key, now, { team_id: 't1', blocked: true }));
  expect(err.kind).toBe('unauthenticated');
  expect(err.message).toMatch(/^Team=t1 is blocked\./);
  expect(assertUsableKey(key, now, null)).toBe(key);
});

test('order: blocked before expired before the team', () => {
  expect(refusal(() => assertUsableKey({ ...key, blocked: true, expires: '2020-01-01T00:00:00.000Z' }, now, { team_id: 't', blocked: true })).message).toMatch(/^Key is blocked/);
  expect(refusal(() => assertUsableKey({ ...key, expires: '2020-01-01T00:00:00.000Z' }, now, { team_id: 't', blocked: true }))).toBeInstanceOf(KeyExpired);
});

test('the messages are one set: each refusal builder gives a fresh 401-kind error', () => {
  expect(keyRefusals.unknown()).not.toBe(keyRefusals.unknown());
  expect([keyRefusals.blocked('k'), keyRefusals.expired('k', 'x', now), keyRefusals.teamBlocked('t')].map((e) => e.kind)).toEqual(['unauthenticated', 'unauthenticated', 'unauthenticated']);
});
