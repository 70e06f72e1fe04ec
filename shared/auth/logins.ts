import { timingSafeEqual } from 'node:crypto';
import { keys } from '../db/keys';
import type { Table } from '../db/table';
import { conflict, DomainError, forbidden, rateLimited, unauthenticated } from '../core/errors';
import type { Users } from '../users/service';
import { isReservedUserId, MASTER_KEY_USER_ID } from './roles';
import { verifyPassword } from './passwords';

/** After this many failed sign-ins for one email, the email is locked for LOCK_MINUTES (not `admin`: see verify). */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;
/** LiteLLM's username for signing in to the UI with the master key. */
export const ADMIN_USERNAME = 'admin';
export const INVALID_CREDENTIALS = 'Invalid credentials used to access UI.';
export const PASSWORD_LOGIN_OFF = 'Password sign-in is turned off: sign in with SSO (GET /sso/key/generate).';

type FailureItem = { count: number; ttl: number };

/** Checks credentials, with a per-email lock after repeated failures. */
export class Logins {
  constructor(
    private readonly table: Table,
    private readonly users: Users,
    private readonly masterKey: string,
    private readonly clock: () => Date,
    /** False when password sign-in is turned off (SSO only); the master key still signs in as `admin`. */
    private readonly passwordLogin = true,
  ) {}

  /** Returns the id of the user the credentials belong to. */
  async verify(username: string, password: string): Promise<string> {
    const email = username.trim().toLowerCase();
    // The master key is accepted as a Bearer credential on every route with no lock,
    // so locking `admin` would not slow a guesser; it would only let anyone lock the
    // admin out of the pages for 15 minutes. The lock protects passwords.
    if (email === ADMIN_USERNAME) {
      if (constantTimeEqual(password, this.masterKey)) return MASTER_KEY_USER_ID;
      throw unauthenticated(INVALID_CREDENTIALS);
    }
    if (!this.passwordLogin) throw forbidden(PASSWORD_LOGIN_OFF);
    // The attempt takes its place in the count before the password is checked, with a
    // conditional write: concurrent guesses cannot all pass a check of the same count.
    await this.takeAttempt(email);
    const userId = await this.check(email, password);
    if (userId) {
      await this.table.delete(keys.loginFailures(email));
      return userId;
    }
    throw unauthenticated(INVALID_CREDENTIALS);
  }

  /**
   * Counts one sign-in attempt for the email, or refuses it (429) when the window
   * already holds MAX_FAILED_LOGINS. A right password clears the count afterwards,
   * so what stays counted are the failures.
   */
  private async takeAttempt(email: string): Promise<void> {
    const key = keys.loginFailures(email);
    for (let tries = 0; tries < 5; tries++) {
      const nowSec = Math.floor(this.clock().getTime() / 1000);
      const ttl = nowSec + LOCK_MINUTES * 60;
      const names = { '#count': 'count', '#ttl': 'ttl' };
      try {
        // A window that is open and has room left: take a place in it.
        await this.table.update(key, {
          expression: 'SET #ttl = :ttl ADD #count :one',
          names,
          values: { ':ttl': ttl, ':one': 1, ':max': MAX_FAILED_LOGINS, ':now': nowSec },
          condition: { expression: '#count < :max AND #ttl > :now', onFail: (old) => this.refusal(email, old as FailureItem | undefined, nowSec) },
        });
        return;
      } catch (err) {
        if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
      }
      try {
        // No window, or one that has expired: open a new one with this attempt in it.
        await this.table.put(
          { ...key, type: 'login_failures', count: 1, ttl },
          { expression: 'attribute_not_exists(PK) OR #ttl <= :now', names: { '#ttl': 'ttl' }, values: { ':now': nowSec }, onFail: () => conflict('raced') },
        );
        return;
      } catch (err) {
        // Another attempt opened it first: take a place in that one.
        if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
      }
    }
    throw rateLimited(`Too many sign-in attempts at once for ${email}. Try again in a moment.`);
  }

  /** Why the attempt found no room: locked (429), or no open window (a conflict: open one). */
  private refusal(email: string, old: FailureItem | undefined, nowSec: number): DomainError {
    if (!old || old.ttl <= nowSec) return conflict('no open window');
    const minutes = Math.max(1, Math.ceil((old.ttl - nowSec) / 60));
    return rateLimited(`Too many failed sign-in attempts for ${email}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
  }

  private async check(email: string, password: string): Promise<string | null> {
    const user = await this.users.byEmail(email);
    // A stored user with the master key's id (older data) never signs in as it.
    const hash = user && !isReservedUserId(user.user_id) ? user.password_hash : undefined;
    return (await verifyPassword(password, hash)) && user ? user.user_id : null;
  }
}

export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
