import { OnboardingSigner } from '../auth/session';
import { checkPasswordPolicy, hashPassword } from '../auth/passwords';
import { isProxyAdmin, isReservedUserId, readsEverything, type Principal } from '../auth/roles';
import { indexKeys, keys } from '../db/keys';
import { invitationsOfUser } from '../db/queries';
import { mustExist, mustNotExist, retryOnConflict, TransactionConflictError, type Condition, type TransactOp } from '../db/table';
import { onboardingEmail } from '../email/templates';
import { badRequest, conflict, forbidden, unauthenticated, type DomainError } from '../core/errors';
import { randomToken } from '../core/ids';
import type { ClaimInput, NewInvitationInput } from './inputs';
import { logger } from '../core/logger';
import type { Mailer } from '../email/mailer';
import type { Table } from '../db/table';
import type { UserItem } from '../users/model';
import { newSessionStamp, type Users } from '../users/service';
import {
  INVITATION_VALID_MS,
  invitationHash,
  invitationLink,
  isExpired,
  isReplaced,
  publicInvitation,
  type InvitationItem,
  type PublicInvitation,
  type ReplacedInvitationItem,
} from './model';

/** What invitations need: the table, the users, the mailer, and the secret that signs onboarding tokens. */
export type InvitationDeps = {
  table: Table;
  clock: () => Date;
  users: Pick<Users, 'get' | 'require'>;
  mailer: Mailer;
  jwtSecret: string;
};

/**
 * Invitations and onboarding: an admin invites an existing user, the user gets
 * a link by email, opens it (`onboardingToken`) and sets a password
 * (`claim`). A link works once, for 7 days, and is never stored.
 * Built once in `buildDeps` (`deps.invitations`); joining the default teams after
 * a claim is a use case (shared/provisioning), as it spans services.
 */
export class Invitations {
  constructor(private readonly deps: InvitationDeps) {}

  /** See {@link createInvitation}. */
  create(actor: Principal, input: { user_id: string; send_email?: boolean }, baseUrl: string): Promise<IssuedInvitation> {
    return createInvitation(this.deps, actor, input, baseUrl);
  }
  /** An invitation by the id in its link (admins and admin viewers). */
  info(actor: Principal, id: string): Promise<PublicInvitation> {
    return invitationInfo(this.deps, actor, id);
  }
  /** See {@link updateInvitation}. */
  update(actor: Principal, id: string, isAccepted: boolean): Promise<PublicInvitation> {
    return updateInvitation(this.deps, actor, id, isAccepted);
  }
  /** See {@link deleteInvitation}. */
  delete(actor: Principal, id: string): Promise<PublicInvitation> {
    return deleteInvitation(this.deps, actor, id);
  }
  /** See {@link resendInvitation}. */
  resend(actor: Principal, id: string, baseUrl: string): Promise<IssuedInvitation> {
    return resendInvitation(this.deps, actor, id, baseUrl);
  }
  /** See {@link invitationStatus}. */
  status(actor: Principal, userId: string): Promise<InvitationStatus> {
    return invitationStatus(this.deps, actor, userId);
  }
  /** See {@link resendInvitationToUser}. */
  resendToUser(actor: Principal, userId: string, baseUrl: string): Promise<IssuedInvitation> {
    return resendInvitationToUser(this.deps, actor, userId, baseUrl);
  }
  /** See {@link onboardingToken}. */
  onboardingToken(id: string, baseUrl: string): Promise<OnboardingStart> {
    return onboardingToken(this.deps, id, baseUrl);
  }
  /** See {@link claimInvitation}. */
  claim(input: ClaimInput): Promise<UserItem> {
    return claimInvitation(this.deps, input);
  }
}

/** The three ways a link can be refused (LiteLLM's wording for the first two). */
export const LINK_UNKNOWN = 'Invitation link does not exist in db.';
export const LINK_EXPIRED = 'Invitation link has expired.';
export const LINK_USED = 'Invitation link has already been used.';
/** An old link after `/invitation/resend`: the person should look for the newer email, not ask for a new link. */
export const LINK_REPLACED =
  'This invitation link was replaced by a newer one when the invitation was sent again. Open the link in the most recent invitation email.';
const UNKNOWN_INVITATION = 'Invitation id does not exist in the database.';
const REPLACED_INVITATION = 'This invitation was replaced when it was sent again (/invitation/resend): use the id of the newer invitation.';
const ALREADY_ACCEPTED = 'This invitation has already been accepted: the user has set a password.';

/** Whether the onboarding email went out, and if not, why. */
export type EmailStatus = { email_sent: boolean; email_error: string | null };

/** A new invitation as its creator sees it: the only time the link (the secret) is shown. */
export type IssuedInvitation = { invitation: PublicInvitation; invitation_link: string } & EmailStatus;

/**
 * Creates an invitation for an existing user and, unless `send_email` is false,
 * emails the link to the user's `user_email`. A failed email does not undo the
 * invitation: the result says why it was not sent, and `/invitation/resend` retries.
 * @param baseUrl the public origin the link points at.
 */
async function createInvitation(
  deps: InvitationDeps,
  actor: Principal,
  input: NewInvitationInput,
  baseUrl: string,
): Promise<IssuedInvitation> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can create invitations.');
  const user = await deps.users.get(input.user_id);
  // A stored user with the master key's id (older data) must never get a session through a link.
  if (!user || isReservedUserId(user.user_id)) throw unknownUser(input.user_id);
  const { id, item } = mintInvitation(user.user_id, actor.userId, deps.clock());
  await deps.table.transact([insertOp(item), userExistsOp(user.user_id)]);
  return issued(deps, item, id, user, baseUrl, input.send_email ?? true);
}

/** An invitation by the id in its link (admins and admin viewers). */
async function invitationInfo(deps: InvitationDeps, actor: Principal, id: string): Promise<PublicInvitation> {
  if (!readsEverything(actor)) throw forbidden('Only proxy admins and proxy admin viewers can view invitations.');
  return publicInvitation(await requireInvitation(deps, id), id);
}

/**
 * Sets `is_accepted` (proxy admins). Accepting revokes the link. An accepted
 * invitation is never re-opened: that would make an old link work again.
 */
async function updateInvitation(deps: InvitationDeps, actor: Principal, id: string, isAccepted: boolean): Promise<PublicInvitation> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can update invitations.');
  const item = await requireInvitation(deps, id);
  if (item.is_accepted) {
    if (isAccepted) return publicInvitation(item, id);
    throw badRequest(
      'An accepted invitation cannot be re-opened: its old link would work again. Create a new invitation with /invitation/new.',
      'is_accepted',
    );
  }
  const now = deps.clock().toISOString();
  const updated = await deps.table.update<InvitationItem>(keys.invitation(item.id_hash), {
    expression: isAccepted
      ? 'SET #accepted = :true, accepted_at = :now, updated_at = :now, updated_by = :by'
      : 'SET updated_at = :now, updated_by = :by',
    values: { ':now': now, ':by': actor.userId, ...(isAccepted ? { ':true': true } : {}) },
    condition: stillOpen(openFailure),
  });
  return publicInvitation(updated, id);
}

/** Deletes an invitation (proxy admins); its link stops working at once. Returns the deleted row. */
async function deleteInvitation(deps: InvitationDeps, actor: Principal, id: string): Promise<PublicInvitation> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can delete invitations.');
  const item = await requireInvitation(deps, id);
  await deps.table.delete(keys.invitation(item.id_hash), mustExist(() => badRequest(UNKNOWN_INVITATION, 'invitation_id')));
  return publicInvitation(item, id);
}

/** What stays at an old link's place after a resend, until the old link would have expired: it says the link was replaced. */
function replacedMarker(old: InvitationItem, now: Date): ReplacedInvitationItem {
  return { ...keys.invitation(old.id_hash), type: 'invitation_replaced', replaced_at: now.toISOString(), ttl: old.ttl };
}

/**
 * Sends an open invitation again (proxy admins). The link's id is not stored,
 * so the same link cannot be sent twice: the invitation is rotated instead (a new
 * id valid for a fresh 7 days replaces the old one, which stops working and says it
 * was replaced) in one transaction, and the new link is emailed.
 */
async function resendInvitation(deps: InvitationDeps, actor: Principal, id: string, baseUrl: string): Promise<IssuedInvitation> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can resend invitations.');
  const old = await requireInvitation(deps, id);
  if (old.is_accepted) throw badRequest(ALREADY_ACCEPTED, 'invitation_id');
  const user = await deps.users.get(old.user_id);
  if (!user) throw unknownUser(old.user_id);
  const now = deps.clock();
  const { id: newId, item } = mintInvitation(user.user_id, actor.userId, now);
  try {
    await deps.table.transact([{ put: replacedMarker(old, now), condition: stillOpen(openFailure) }, insertOp(item), userExistsOp(user.user_id)]);
  } catch (err) {
    if (err instanceof TransactionConflictError) throw conflict('The invitation is being claimed right now; reload and try again.', 'invitation_id');
    throw err;
  }
  return issued(deps, item, newId, user, baseUrl, true);
}

/**
 * Where a user stands with their invitations, for the admin pages:
 * `accepted` (a link was used), `pending` (a link still works), `expired`
 * (links were sent, none works any more) or `none` (never invited).
 */
export type InvitationStatus = { state: 'accepted' | 'pending' | 'expired' | 'none'; expires_at: string | null; accepted_at: string | null };

/** The user's invitations, oldest first (one Query on the user's index). */
function invitationsOf(deps: InvitationDeps, userId: string): Promise<InvitationItem[]> {
  return deps.table.queryAll<InvitationItem>(invitationsOfUser(userId));
}

/** The user's invitation status (admins and admin viewers). */
async function invitationStatus(deps: InvitationDeps, actor: Principal, userId: string): Promise<InvitationStatus> {
  if (!readsEverything(actor)) throw forbidden('Only proxy admins and proxy admin viewers can view invitations.');
  const now = deps.clock();
  const all = await invitationsOf(deps, userId);
  const accepted = all.filter((i) => i.is_accepted).at(-1);
  if (accepted) return { state: 'accepted', expires_at: accepted.expires_at, accepted_at: accepted.accepted_at };
  const open = all.filter((i) => !isExpired(i, now)).at(-1);
  if (open) return { state: 'pending', expires_at: open.expires_at, accepted_at: null };
  const last = all.at(-1);
  return last ? { state: 'expired', expires_at: last.expires_at, accepted_at: null } : { state: 'none', expires_at: null, accepted_at: null };
}

/**
 * Sends a user their invitation again (proxy admins), when only the user is known
 * (the pages never hold a link's id). As `/invitation/resend` does, the open links
 * are replaced, in one transaction, by one new link valid a fresh 7 days, which is
 * emailed; a user never invited, or whose links expired, gets a new one. A user who
 * has already accepted an invitation is refused.
 */
async function resendInvitationToUser(deps: InvitationDeps, actor: Principal, userId: string, baseUrl: string): Promise<IssuedInvitation> {
  if (!isProxyAdmin(actor)) throw forbidden('Only proxy admins can resend invitations.');
  const user = await deps.users.get(userId);
  if (!user) throw unknownUser(userId);
  const all = await invitationsOf(deps, userId);
  if (all.some((i) => i.is_accepted)) throw badRequest(ALREADY_ACCEPTED, 'invitation_id');
  const stale = all.filter((i) => !i.is_accepted);
  const now = deps.clock();
  const { id, item } = mintInvitation(user.user_id, actor.userId, now);
  // Unused links (expired ones too) are replaced, each only if still unaccepted: a claim that wins meanwhile cancels
  // the resend. Each old link keeps a marker so that it says it was replaced, as after /invitation/resend.
  try {
    await deps.table.transact([
      ...stale.slice(0, 90).map((old): TransactOp => ({ put: replacedMarker(old, now), condition: stillOpen(openFailure) })),
      insertOp(item),
      userExistsOp(user.user_id),
    ]);
  } catch (err) {
    if (err instanceof TransactionConflictError) throw conflict('The invitation is being claimed right now; reload and try again.', 'invitation_id');
    throw err;
  }
  return issued(deps, item, id, user, baseUrl, true);
}

/** What `/onboarding/get_token` returns. */
export type OnboardingStart = { login_url: string; token: string; user_email: string | null; user_id: string };

/**
 * Checks an invitation link and hands out a short-lived token bound to it and
 * its user, which `claimInvitation` requires. Marks nothing as used.
 */
async function onboardingToken(deps: InvitationDeps, id: string, baseUrl: string): Promise<OnboardingStart> {
  const now = deps.clock();
  const item = claimable(await findInvitation(deps, id), now);
  const user = await deps.users.get(item.user_id);
  if (!user) throw unauthenticated(LINK_UNKNOWN);
  const { token } = await signer(deps).issue(user.user_id, item.id_hash, now, { user_email: user.user_email, user_role: user.user_role });
  return { login_url: `${baseUrl.replace(/\/+$/, '')}/ui/login`, token, user_email: user.user_email, user_id: user.user_id };
}


/**
 * Sets the user's password through their invitation. The invitation is accepted
 * and the password written in one transaction, conditional on the invitation
 * still being open and unexpired: of any number of concurrent claims, exactly one
 * succeeds. Returns the user as stored afterwards.
 */
async function claimInvitation(deps: InvitationDeps, input: ClaimInput): Promise<UserItem> {
  const now = deps.clock();
  if (!input.token) throw unauthenticated('Missing onboarding token: open the invitation link again to get one from /onboarding/get_token.');
  const grant = await signer(deps).verify(input.token, now);
  if (!grant) throw unauthenticated('The onboarding token is invalid or has expired: open the invitation link again.');
  const hash = invitationHash(input.invitation_link);
  if (grant.invitationHash !== hash || grant.userId !== input.user_id) {
    throw unauthenticated('The onboarding token was issued for another invitation or user: open the invitation link again.');
  }
  // Checked before hashing so refused links cost no scrypt; the transaction below is what decides.
  claimable(await findInvitation(deps, input.invitation_link), now);
  const user = await deps.users.get(input.user_id);
  if (!user || isReservedUserId(user.user_id)) throw unauthenticated(LINK_UNKNOWN);
  checkPasswordPolicy(input.password, user.user_email);
  const passwordHash = await hashPassword(input.password);

  const at = now.toISOString();
  const ops: TransactOp[] = [
    {
      update: keys.invitation(hash),
      change: {
        expression: 'SET #accepted = :true, accepted_at = :now, updated_at = :now, updated_by = :uid',
        values: { ':true': true, ':now': at, ':uid': user.user_id },
        condition: {
          expression: 'attribute_exists(PK) AND #accepted = :false AND #expires > :now AND #user = :uid',
          names: { '#accepted': 'is_accepted', '#expires': 'expires_at', '#user': 'user_id' },
          values: { ':false': false },
          onFail: (existing) => refusal(existing as InvitationItem | ReplacedInvitationItem | undefined, now),
        },
      },
    },
    {
      update: keys.user(user.user_id),
      change: {
        // A new password ends every earlier session (someone else's among them, perhaps).
        expression: 'SET password_hash = :hash, session_stamp = :stamp, updated_at = :now, updated_by = :uid',
        values: { ':hash': passwordHash, ':stamp': newSessionStamp(), ':now': at, ':uid': user.user_id },
        condition: mustExist(() => unauthenticated(LINK_UNKNOWN)),
      },
    },
  ];
  await transactWithRetry(deps, ops);
  return deps.users.require(user.user_id);
}

function mintInvitation(userId: string, actorId: string, now: Date): { id: string; item: InvitationItem } {
  const id = randomToken(32);
  const hash = invitationHash(id);
  const createdAt = now.toISOString();
  const expiresMs = now.getTime() + INVITATION_VALID_MS;
  const item: InvitationItem = {
    ...keys.invitation(hash),
    ...indexKeys.invitation(hash, userId, createdAt),
    type: 'invitation',
    id_hash: hash,
    user_id: userId,
    is_accepted: false,
    accepted_at: null,
    expires_at: new Date(expiresMs).toISOString(),
    created_at: createdAt,
    created_by: actorId,
    updated_at: createdAt,
    updated_by: actorId,
    // Rounded up so TTL never removes an item before it has expired.
    ttl: Math.ceil(expiresMs / 1000),
  };
  return { id, item };
}

function insertOp(item: InvitationItem): TransactOp {
  return { put: item, condition: mustNotExist(() => conflict('An invitation with this id already exists.', 'id')) };
}

/** In the same transaction as the invitation, so a user deleted meanwhile gets no invitation. */
function userExistsOp(userId: string): TransactOp {
  return { check: keys.user(userId), condition: mustExist(() => unknownUser(userId)) };
}

function stillOpen(onFail: Condition['onFail']): Condition {
  return {
    expression: 'attribute_exists(PK) AND #accepted = :false',
    names: { '#accepted': 'is_accepted' },
    values: { ':false': false },
    onFail,
  };
}

/** Why an admin's write to an invitation that was open a moment ago failed. */
function openFailure(existing: Record<string, unknown> | undefined): DomainError {
  if (!existing) return badRequest(UNKNOWN_INVITATION, 'invitation_id');
  if (existing.type === 'invitation_replaced') return badRequest(REPLACED_INVITATION, 'invitation_id');
  return badRequest('The invitation was accepted in the meantime.', 'invitation_id');
}

async function issued(deps: InvitationDeps, item: InvitationItem, id: string, user: UserItem, baseUrl: string, send: boolean): Promise<IssuedInvitation> {
  const link = invitationLink(baseUrl, id);
  const status: EmailStatus = send ? await emailInvitation(deps, user, link, item.expires_at) : { email_sent: false, email_error: null };
  return { invitation: publicInvitation(item, id), invitation_link: link, ...status };
}

async function emailInvitation(deps: InvitationDeps, user: UserItem, link: string, expiresAt: string): Promise<EmailStatus> {
  if (!user.user_email) {
    return { email_sent: false, email_error: 'The user has no user_email: share the invitation_link with them another way.' };
  }
  try {
    await deps.mailer.send(onboardingEmail({ to: user.user_email, link, expiresAt, name: user.user_alias }));
    return { email_sent: true, email_error: null };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    logger.warn('invitation email not sent', { userId: user.user_id, reason });
    return { email_sent: false, email_error: reason };
  }
}

function findInvitation(deps: InvitationDeps, id: string): Promise<InvitationItem | ReplacedInvitationItem | undefined> {
  return deps.table.get<InvitationItem | ReplacedInvitationItem>(keys.invitation(invitationHash(id)));
}

async function requireInvitation(deps: InvitationDeps, id: string): Promise<InvitationItem> {
  const item = await findInvitation(deps, id);
  if (!item) throw badRequest(UNKNOWN_INVITATION, 'invitation_id');
  if (isReplaced(item)) throw badRequest(REPLACED_INVITATION, 'invitation_id');
  return item;
}

/** The invitation if its link may still be used, else the 401 that says why not. */
function claimable(item: InvitationItem | ReplacedInvitationItem | undefined, now: Date): InvitationItem {
  if (!item || isReplaced(item) || item.is_accepted || isExpired(item, now)) throw refusal(item, now);
  return item;
}

function refusal(item: InvitationItem | ReplacedInvitationItem | undefined, now: Date): DomainError {
  if (!item) return unauthenticated(LINK_UNKNOWN);
  if (isReplaced(item)) return unauthenticated(LINK_REPLACED);
  if (item.is_accepted) return unauthenticated(LINK_USED);
  if (isExpired(item, now)) return unauthenticated(LINK_EXPIRED);
  // Only reachable when the link names another user than the token: treat as unknown.
  return unauthenticated(LINK_UNKNOWN);
}

/**
 * DynamoDB cancels transactions that touch an item another transaction is
 * writing; retried, the loser then fails its condition with the real reason.
 */
function transactWithRetry(deps: InvitationDeps, ops: TransactOp[]): Promise<void> {
  return retryOnConflict(() => deps.table.transact(ops), {
    backoffMs: 50,
    exhausted: () => conflict('The invitation is being claimed by another request; try again.', 'invitation_link'),
  });
}

function signer(deps: InvitationDeps): OnboardingSigner {
  return new OnboardingSigner(deps.jwtSecret);
}

const unknownUser = (userId: string) =>
  badRequest(`User ${userId} does not exist: create the user with /user/new before inviting them.`, 'user_id');
