/** Password hashing (salted scrypt) and the password policy. */
import { checkPasswordPolicy, hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyPassword } from '../../shared/auth/passwords';
import { DomainError } from '../../shared/core/errors';

describe('hashPassword / verifyPassword', () => {
  const password = 'correct horse battery staple';
  let hash: string;
  beforeAll(async () => {
    hash = await hashPassword(password);
  });

  test('a hash is scrypt with its parameters and salt, never the password', () => {
    expect(hash).toMatch(/^scrypt\$\d+\$\d+\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(hash).not.toContain(password);
  });

  test('round trip: the right password verifies', async () => {
    await expect(verifyPassword(password, hash)).resolves.toBe(true);
  });

  test('a wrong password does not', async () => {
    await expect(verifyPassword('correct horse battery stapler', hash)).resolves.toBe(false);
    await expect(verifyPassword('', hash)).resolves.toBe(false);
  });

  test('two hashes of one password differ (random salt), and both verify', async () => {
    const again = await hashPassword(password);
    expect(again).not.toBe(hash);
    expect(again.split('$')[4]).not.toBe(hash.split('$')[4]);
    await expect(verifyPassword(password, again)).resolves.toBe(true);
  });

  test('no stored hash, or a malformed one, never verifies', async () => {
    await expect(verifyPassword(password, undefined)).resolves.toBe(false);
    await expect(verifyPassword(password, 'sha256$abc')).resolves.toBe(false);
    await expect(verifyPassword(password, '')).resolves.toBe(false);
  });

  test('the stored hash is not accepted as the password (no pass-the-hash)', async () => {
    await expect(verifyPassword(hash, hash)).resolves.toBe(false);
  });
});

describe('checkPasswordPolicy', () => {
  const rejects = (password: string, email?: string | null) => {
    try {
      checkPasswordPolicy(password, email);
    } catch (err) {
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).kind).toBe('bad_request');
      expect((err as DomainError).param).toBe('password');
      return (err as DomainError).message;
    }
    throw new Error(`policy accepted ${JSON.stringify(password)}`);
  };

  test('rejects a password shorter than the minimum', () => {
    expect(rejects('a'.repeat(PASSWORD_MIN_LENGTH - 1))).toMatch(/at least 12/);
    expect(rejects('')).toMatch(/at least/);
  });

  test('rejects a password longer than the maximum', () => {
    expect(rejects('a'.repeat(PASSWORD_MAX_LENGTH + 1))).toMatch(/at most/);
  });

  test('rejects the email as the password, whatever its case and spacing', () => {
    expect(rejects('ada.lovelace@example.com', 'ada.lovelace@example.com')).toMatch(/email/);
    expect(rejects(' ADA.Lovelace@Example.com ', 'ada.lovelace@example.com')).toMatch(/email/);
  });

  test('accepts a long enough password', () => {
    expect(() => checkPasswordPolicy('a'.repeat(PASSWORD_MIN_LENGTH), 'someone@example.com')).not.toThrow();
    expect(() => checkPasswordPolicy('a'.repeat(PASSWORD_MAX_LENGTH), null)).not.toThrow();
    expect(() => checkPasswordPolicy('twelve chars', undefined)).not.toThrow();
  });
});
