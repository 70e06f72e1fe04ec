import { remainingBudget, type BudgetFields } from '../budgets/state';
import { withoutStorage } from '../db/view';
import { randomToken, sha256Hex } from '../core/ids';
import { badRequest } from '../core/errors';

/** A virtual key as stored: only the SHA-256 of the secret, never the secret. */
export type KeyItem = BudgetFields & {
  PK: string;
  SK: string;
  type: 'key';
  /** SHA-256 hex of the full `sk-…` string (LiteLLM's `token`). */
  token: string;
  key_name: string;
  key_alias: string | null;
  user_id: string | null;
  team_id: string | null;
  models: string[];
  soft_budget: number | null;
  expires: string | null;
  blocked: boolean;
  /** Who blocked it: 0 its owner, 1 a team admin, 2 a proxy admin (see Keys.setBlocked). */
  blocked_by_rank?: number;
  metadata: Record<string, unknown>;
  tpm_limit: number | null;
  rpm_limit: number | null;
  /** Routes the key may call; empty (or absent, on keys made before the field) restricts nothing. */
  allowed_routes?: string[];
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
  /** Scheduled rotation (LiteLLM's fields); see ./rotation.ts. */
  auto_rotate?: boolean;
  rotation_interval?: string | null;
  key_rotation_at?: string | null;
  last_rotation_at?: string | null;
  rotation_count?: number;
  /** The secret the scheduled rotation made, sealed to the API until its owner reads it once. Never shown. */
  sealed_secret?: string;
  /** After a regenerate or rotation: until when the previous secret still works (its grace period), or null. */
  previous_secret_until?: string | null;
};

/** A new secret: `sk-` and 256 random bits. */
export const newKeySecret = (): string => `sk-${randomToken(32)}`;

/** LiteLLM's display name: `sk-...` and the last four characters. */
export const displayName = (secret: string): string => `sk-...${secret.slice(-4)}`;

/** A key named in a request, as the raw `sk-…` secret or its SHA-256 hex. */
export function tokenHashOf(keyOrHash: string, param = 'key'): string {
  if (keyOrHash.startsWith('sk-')) return sha256Hex(keyOrHash);
  if (/^[0-9a-f]{64}$/.test(keyOrHash)) return keyOrHash;
  throw badRequest(`${param} must be a key (sk-…) or its token hash (64 hex characters).`, param);
}

/** Whether `ref` (a secret or a token hash, maybe malformed) names this key. */
export function namesKey(ref: string, item: KeyItem): boolean {
  return ref === item.token || (ref.startsWith('sk-') && sha256Hex(ref) === item.token);
}

export function publicKey(item: KeyItem) {
  const view = withoutStorage(item, ['sealed_secret']) as Omit<KeyItem, 'PK' | 'SK' | 'type'>;
  return {
    ...view,
    allowed_routes: item.allowed_routes ?? [],
    remaining_budget: remainingBudget(item),
  };
}
