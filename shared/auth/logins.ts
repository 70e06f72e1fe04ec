import { timingSafeEqual } from 'node:crypto';
import { keys } from '../db/keys';
import type { Table } from '../db/table';
import { rateLimited, unauthenticated } from '../errors';
import type { Users } from '../users/service';
import { isReservedUserId, MASTER_KEY_USER_ID } from './roles';
import { verifyPassword } from './passwords';

/** After this many failed sign-ins for one email, the email is locked for LOCK_MINUTES (not `admin`: see verify). */
export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;
/** LiteLLM's username for signing in to the UI with the master key. */
export const ADMIN_USERNAME = 'admin';
export const INVALID_CREDENTIALS = 'Invalid credentials used to access UI.';

type FailureItem = { count: number; ttl: number };

/** Checks credentials, with a per-email lock after repeated failures. */
export class Logins {
  constructor(
    private readonly table: Table,
    private readonly users: Users,
    private readonly masterKey: string,
    private readonly clock: () => Date,
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
    const nowSec = Math.floor(this.clock().getTime() / 1000);
    const failures = await this.table.get<FailureItem>(keys.loginFailures(email));
    const live = failures && failures.ttl > nowSec ? failures : undefined;
    if (live && live.count >= MAX_FAILED_LOGINS) {
      const minutes = Math.ceil((live.ttl - nowSec) / 60);
      throw rateLimited(`Too many failed sign-in attempts for ${email}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`);
    }
    const userId = await this.check(email, password);
    if (userId) {
      if (failures) await this.table.delete(keys.loginFailures(email));
      return userId;
    }
    const ttl = nowSec + LOCK_MINUTES * 60;
    await this.table.update(keys.loginFailures(email), {
      expression: live ? 'SET #ttl = :ttl ADD #count :one' : 'SET #ttl = :ttl, #count = :one, #type = :type',
      names: { '#ttl': 'ttl', '#count': 'count', ...(live ? {} : { '#type': 'type' }) },
      values: { ':ttl': ttl, ':one': 1, ...(live ? {} : { ':type': 'login_failures' }) },
    });
    throw unauthenticated(INVALID_CREDENTIALS);
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
