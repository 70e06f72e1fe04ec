import type { IndexAttributes, ItemKey } from '../db/keys';
import { withoutStorage } from '../db/view';
import { sha256Hex } from '../core/ids';

/** An invitation is valid for exactly this long after it is created. */
export const INVITATION_VALID_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * An invitation as stored. The invitation id is the secret in the emailed link,
 * so only its SHA-256 (`id_hash`, also in the item key) is kept: whoever reads
 * the table cannot claim anyone's account.
 */
export type InvitationItem = ItemKey &
  IndexAttributes<'invitation'> & {
  type: 'invitation';
  id_hash: string;
  user_id: string;
  is_accepted: boolean;
  accepted_at: string | null;
  expires_at: string;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
  /** Epoch seconds for DynamoDB's (lazy) TTL cleanup; `expires_at` is what decides validity. */
  ttl: number;
};

/**
 * What a resent invitation leaves at its old link's key (`/invitation/resend` rotates
 * the link): nothing but when it was replaced, so that link can say so in plain words
 * instead of "does not exist". Gone by TTL when the old link would have expired.
 */
export type ReplacedInvitationItem = {
  PK: string;
  SK: string;
  type: 'invitation_replaced';
  replaced_at: string;
  ttl: number;
};

export const isReplaced = (item: InvitationItem | ReplacedInvitationItem | undefined): item is ReplacedInvitationItem =>
  item?.type === 'invitation_replaced';

/** LiteLLM's invitation row: the stored fields, with the raw id in place of its hash. */
export type PublicInvitation = { id: string } & Pick<
  InvitationItem,
  'user_id' | 'is_accepted' | 'accepted_at' | 'expires_at' | 'created_at' | 'created_by' | 'updated_at' | 'updated_by'
>;

/** The stored key of an invitation id. */
export const invitationHash = (id: string): string => sha256Hex(id);

/** The row a route shows, with the raw id the caller already holds (it is not stored). */
export function publicInvitation(item: InvitationItem, id: string): PublicInvitation {
  return { id, ...withoutStorage(item, ['id_hash']) } as PublicInvitation;
}

/** The onboarding link: `<base>/ui/onboarding?id=<id>`. */
export function invitationLink(baseUrl: string, id: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/ui/onboarding?id=${encodeURIComponent(id)}`;
}

/** Whether the invitation no longer works at `now` (expiry is exact, TTL deletion is lazy). */
export const isExpired = (item: Pick<InvitationItem, 'expires_at'>, now: Date): boolean => item.expires_at <= now.toISOString();
