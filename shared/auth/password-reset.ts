import { indexKeys, keys, type IndexAttributes, type ItemKey } from '../db/keys';
import { mustExist, mustNotExist, retryOnConflict, type Table, type TransactOp } from '../db/table';
import { passwordResetEmail } from '../email/password-reset-email';
import { conflict, DomainError, forbidden, rateLimited, unauthenticated } from '../core/errors';
import { randomToken, sha256Hex } from '../core/ids';
import { logger } from '../core/logger';
import type { Config } from '../config/config';
import type { Mailer } from '../email/mailer';
import type { UserItem } from '../users/model';
import { newSessionStamp, normalizeEmail, type Users } from '../users/service';
import { PASSWORD_LOGIN_OFF } from './logins';
import { checkPasswordPolicy, hashPassword } from './passwords';
import { isReservedUserId } from './roles';

/**
 * Forgot password: anyone may ask for a reset link for an email; the answer is the
 * same whether an account uses it or not (no account enumeration). The account's
 * owner gets a link by email that works once, for an hour. Like invitation links,
 * only the SHA-256 of its 256-bit id is stored, and it is claimed by one conditional
 * transaction, so of concurrent uses exactly one wins. The new password ends every
 * earlier session and clears the sign-in lock.
 */
export type PasswordResetDeps = {
  config: Pick<Config, 'passwordLogin'>;
  table: Table;
  clock: () => Date;
  users: Pick<Users, 'get' | 'require' | 'byEmail'>;
  mailer: Mailer;
};

/** A reset link works for this long. */
export const RESET_LINK_VALID_MS = 60 * 60 * 1000;
/** At most this many reset emails per email address per window (known or not: the limit must not tell them apart). */
export const RESET_REQUESTS_PER_WINDOW = 3;
export const RESET_REQUEST_WINDOW_MINUTES = 60;

export const RESET_REQUESTED =
  'If an onramp account uses this email, a link to reset its password is on its way. It works once, for 1 hour. Check your inbox (and spam folder).';
export const RESET_LINK_UNKNOWN = 'This password reset link is not valid. Ask for a new one ("Forgot your password?" on the sign-in page).';
export const RESET_LINK_EXPIRED = 'This password reset link has expired (links work for 1 hour). Ask for a new one.';
export const RESET_LINK_USED = 'This password reset link has already been used. Ask for a new one if you need to reset your password again.';
export const RESET_LINK_SUPERSEDED =
  "This password reset link no longer works: the account's password or email changed after it was sent. Ask for a new one.";

/** A reset link as stored; `id_hash` is the SHA-256 of the id in the emailed link. */
export type PasswordResetItem = ItemKey &
  IndexAttributes<'passwordReset'> & {
  type: 'password_reset';
  id_hash: string;
  user_id: string;
  /** The address the link was sent to: the link stops working if the account's email changes. */
  email: string;
  /** SHA-256 of the password hash when the link was sent: any later password change retires the link. */
  password_fingerprint: string;
  used: boolean;
  used_at: string | null;
  expires_at: string;
  created_at: string;
  /** Epoch seconds for DynamoDB's (lazy) TTL cleanup; `expires_at` decides validity. */
  ttl: number;
};

type RequestWindow = { count: number; ttl: number };

/** The link in the email: `<base>/ui/reset-password?id=<id>`. */
export function passwordResetLink(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/ui/reset-password?id=${encodeURIComponent(id)}`;
}

/**
 * Emails a reset link to the account using `email`, if there is one. Resolves the
 * same way whatever the email (a failed send is logged, not shown: it would only
 * happen for real accounts); refuses (429) past {@link RESET_REQUESTS_PER_WINDOW}
 * requests an hour for one email, known or not.
 * @param baseUrl the public origin the link points at (`PROXY_BASE_URL` or the request's).
 */
export async function requestPasswordReset(deps: PasswordResetDeps, email: string, baseUrl: string): Promise<void> {
  assertPasswordLogin(deps);
  const address = normalizeEmail(email);
  await takeRequestSlot(deps, address);
  const user = await deps.users.byEmail(address);
  // Users without an email, and stored users with the master key's id (older data), get no link.
  if (!user || !user.user_email || isReservedUserId(user.user_id)) return;

  const now = deps.clock();
  const id = randomToken(32);
  const idHash = sha256Hex(id);
  const expiresMs = now.getTime() + RESET_LINK_VALID_MS;
  const item: PasswordResetItem = {
    ...keys.passwordReset(idHash),
    ...indexKeys.passwordReset(idHash, user.user_id, now.toISOString()),
    type: 'password_reset',
    id_hash: idHash,
    user_id: user.user_id,
    email: user.user_email,
    password_fingerprint: fingerprint(user),
    used: false,
    used_at: null,
    expires_at: new Date(expiresMs).toISOString(),
    created_at: now.toISOString(),
    // Rounded up so TTL never removes a link before it has expired.
    ttl: Math.ceil(expiresMs / 1000),
  };
  try {
    await deps.table.transact([
      { put: item, condition: mustNotExist(() => conflict('A reset link with this id already exists.')) },
      // A user deleted meanwhile gets no link.
      { check: keys.user(user.user_id), condition: mustExist(() => conflict('The account was deleted meanwhile.')) },
    ]);
  } catch (err) {
    if (err instanceof DomainError) return; // the same answer as for an unknown email
    throw err;
  }
  try {
    await deps.mailer.send(passwordResetEmail({ to: user.user_email, link: passwordResetLink(baseUrl, id), expiresAt: item.expires_at }));
  } catch (err) {
    logger.error('password reset email not sent', { userId: user.user_id, error: err });
  }
}

/**
 * Checks a reset link without using it (the page shows the form only for a link
 * that can work). Returns the account's email; throws the reason a link is refused.
 */
export async function checkPasswordResetLink(deps: PasswordResetDeps, id: string): Promise<{ user_id: string; user_email: string }> {
  assertPasswordLogin(deps);
  const { item, user } = await usableLink(deps, id, deps.clock());
  return { user_id: user.user_id, user_email: item.email };
}

/**
 * Sets a new password through a reset link. The link is marked used and the
 * password, a new session stamp (ending every earlier session) and the cleared
 * sign-in lock are written in one transaction, conditional on the link being
 * unused and unexpired and the account's password and email unchanged since it
 * was sent: of concurrent uses exactly one succeeds. Does not sign anyone in.
 */
export async function resetPassword(deps: PasswordResetDeps, id: string, password: string): Promise<UserItem> {
  assertPasswordLogin(deps);
  const now = deps.clock();
  // Checked before hashing so refused links cost no scrypt; the transaction decides.
  const { item, user } = await usableLink(deps, id, now);
  checkPasswordPolicy(password, user.user_email);
  const passwordHash = await hashPassword(password);
  const at = now.toISOString();
  const ops: TransactOp[] = [
    {
      update: keys.passwordReset(item.id_hash),
      change: {
        expression: 'SET #used = :true, used_at = :now',
        values: { ':true': true, ':now': at },
        condition: {
          expression: 'attribute_exists(PK) AND #used = :false AND #expires > :now',
          names: { '#used': 'used', '#expires': 'expires_at' },
          values: { ':false': false },
          onFail: (existing) => linkRefusal(existing as PasswordResetItem | undefined, now),
        },
      },
    },
    {
      update: keys.user(user.user_id),
      change: {
        expression: 'SET password_hash = :hash, session_stamp = :stamp, updated_at = :now, updated_by = :uid',
        values: { ':hash': passwordHash, ':stamp': newSessionStamp(), ':now': at, ':uid': user.user_id },
        condition: {
          // The password and email the link was sent for, still (read above, checked here against races).
          expression: `attribute_exists(PK) AND user_email = :email AND ${
            user.password_hash === undefined ? 'attribute_not_exists(password_hash)' : 'password_hash = :old'
          }`,
          values: { ':email': item.email, ...(user.password_hash === undefined ? {} : { ':old': user.password_hash }) },
          onFail: () => unauthenticated(RESET_LINK_SUPERSEDED),
        },
      },
    },
    // Whoever could read the email may sign in again at once: the lock guarded the old password.
    { delete: keys.loginFailures(item.email) },
  ];
  await transactWithRetry(deps, ops);
  return deps.users.require(user.user_id);
}

/** The link's item and its user, or the reason the link cannot be used. */
async function usableLink(deps: PasswordResetDeps, id: string, now: Date): Promise<{ item: PasswordResetItem; user: UserItem }> {
  const item = await deps.table.get<PasswordResetItem>(keys.passwordReset(sha256Hex(id)));
  if (!item || item.used || item.expires_at <= now.toISOString()) throw linkRefusal(item, now);
  const user = await deps.users.get(item.user_id);
  if (!user || isReservedUserId(user.user_id)) throw unauthenticated(RESET_LINK_UNKNOWN);
  if (user.user_email !== item.email || fingerprint(user) !== item.password_fingerprint) throw unauthenticated(RESET_LINK_SUPERSEDED);
  return { item, user };
}

function linkRefusal(item: PasswordResetItem | undefined, now: Date): DomainError {
  if (!item) return unauthenticated(RESET_LINK_UNKNOWN);
  if (item.used) return unauthenticated(RESET_LINK_USED);
  if (item.expires_at <= now.toISOString()) return unauthenticated(RESET_LINK_EXPIRED);
  return unauthenticated(RESET_LINK_UNKNOWN);
}

/** Stands for the password hash without copying it: equal exactly while the password is unchanged. */
const fingerprint = (user: Pick<UserItem, 'password_hash'>): string => sha256Hex(`pw:${user.password_hash ?? ''}`);

function assertPasswordLogin(deps: PasswordResetDeps): void {
  if (!deps.config.passwordLogin) throw forbidden(PASSWORD_LOGIN_OFF);
}

/**
 * Counts one reset request for the email in a fixed one-hour window, or refuses it
 * (429) when the window is full. Conditional writes, so concurrent requests cannot
 * all pass a check of the same count.
 */
async function takeRequestSlot(deps: PasswordResetDeps, email: string): Promise<void> {
  const key = keys.passwordResetRequests(email);
  const names = { '#count': 'count', '#ttl': 'ttl' };
  for (let tries = 0; tries < 5; tries++) {
    const nowSec = Math.floor(deps.clock().getTime() / 1000);
    try {
      // An open window with room left: take a place in it.
      await deps.table.update(key, {
        expression: 'ADD #count :one',
        names,
        values: { ':one': 1, ':max': RESET_REQUESTS_PER_WINDOW, ':now': nowSec },
        condition: {
          expression: '#count < :max AND #ttl > :now',
          onFail: (old) => {
            const window = old as RequestWindow | undefined;
            if (!window || window.ttl <= nowSec) return conflict('no open window');
            const minutes = Math.max(1, Math.ceil((window.ttl - nowSec) / 60));
            return rateLimited(
              `Too many password reset requests for ${email}. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}, or use the link already sent.`,
            );
          },
        },
      });
      return;
    } catch (err) {
      if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
    }
    try {
      // No window, or an expired one: open a new one holding this request.
      await deps.table.put(
        { ...key, type: 'password_reset_requests', count: 1, ttl: nowSec + RESET_REQUEST_WINDOW_MINUTES * 60 },
        { expression: 'attribute_not_exists(PK) OR #ttl <= :now', names: { '#ttl': 'ttl' }, values: { ':now': nowSec }, onFail: () => conflict('raced') },
      );
      return;
    } catch (err) {
      if (!(err instanceof DomainError && err.kind === 'conflict')) throw err;
    }
  }
  throw rateLimited(`Too many password reset requests at once for ${email}. Try again in a moment.`);
}

/** DynamoDB cancels transactions that touch an item another one is writing; retried, the loser fails its condition with the real reason. */
function transactWithRetry(deps: PasswordResetDeps, ops: TransactOp[]): Promise<void> {
  return retryOnConflict(() => deps.table.transact(ops), {
    backoffMs: 50,
    exhausted: () => conflict('This reset link is being used by another request; try again.', 'reset_id'),
  });
}
