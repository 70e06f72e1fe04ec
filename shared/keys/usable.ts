import { DomainError, unauthenticated } from '../core/errors';
import type { KeyItem } from './model';

/**
 * The one check a virtual key passes before it is used, on every path that takes
 * one (management routes, the spend gateway, the model routes): it exists, it is
 * not blocked, it has not expired, and its team (when the caller has read it) is
 * not blocked. Pure: the caller reads the key (and team), this decides.
 *
 * The messages follow LiteLLM's wording (`Key is blocked. Update via /key/unblock…`,
 * `Authentication Error - Expired Key…`, `Team=… is blocked…`) and add which key.
 */

/** The key has expired: LiteLLM's `expired_key` on the model routes, a plain 401 elsewhere. */
export class KeyExpired extends DomainError {
  constructor(message: string) {
    super('unauthenticated', message);
    this.name = 'KeyExpired';
  }
}

/** The one set of refusal messages for a key that may not be used. */
export const keyRefusals = {
  /** No key has this secret (the model routes answer `token_not_found_in_db` for this prefix). */
  unknown: () => unauthenticated('Invalid API key: it does not match any key.'),
  blocked: (keyName: string) => unauthenticated(`Key is blocked: ${keyName}. Update via \`/key/unblock\` if you're an admin.`),
  expired: (keyName: string, expires: string, now: Date) =>
    new KeyExpired(`Authentication Error - Expired Key. Key Expiry time ${expires} and current time ${now.toISOString()}: ${keyName} expired.`),
  /** `/team/unblock` does not exist in onramp: a team is unblocked with /team/update. */
  teamBlocked: (teamId: string) => unauthenticated(`Team=${teamId} is blocked. Update via \`/team/update\` with "blocked": false if you're an admin.`),
};

/** The parts of a key the check reads. */
export type CheckedKey = Pick<KeyItem, 'key_name' | 'blocked' | 'expires'>;

/**
 * Returns the key when it may be used at `now`, else throws the refusal that says why.
 * `team` is the key's team when the caller read it (null or undefined: not checked here;
 * the authorize transaction checks a team's `blocked` in its condition instead).
 *
 * @example const key = assertUsableKey(await keyForSecret(table, secret, now), now);
 */
export function assertUsableKey<K extends CheckedKey>(key: K | undefined | null, now: Date, team?: { team_id: string; blocked?: boolean } | null): K {
  if (!key) throw keyRefusals.unknown();
  if (key.blocked) throw keyRefusals.blocked(key.key_name);
  if (key.expires && Date.parse(key.expires) <= now.getTime()) throw keyRefusals.expired(key.key_name, key.expires, now);
  if (team?.blocked) throw keyRefusals.teamBlocked(team.team_id);
  return key;
}
