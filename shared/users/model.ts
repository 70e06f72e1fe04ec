import { remainingBudget, type BudgetFields } from '../budgets/state';
import { withoutStorage } from '../db/view';
import type { UserRole } from '../auth/roles';

/** A user as stored. `password_hash` and the key attributes never leave `shared/`. */
export type UserItem = BudgetFields & {
  PK: string;
  SK: string;
  type: 'user';
  user_id: string;
  user_email: string | null;
  user_alias: string | null;
  user_role: UserRole;
  soft_budget: number | null;
  models: string[];
  tpm_limit: number | null;
  rpm_limit: number | null;
  metadata: Record<string, unknown>;
  /** Team ids, kept in the same transactions that add and remove memberships. */
  teams?: Set<string>;
  password_hash?: string;
  /** Random; sessions carry it and only the current one is accepted (revocation). */
  session_stamp?: string;
  /** Set while the user's default teams are being joined: a retry of the creation completes it. */
  setup_pending?: boolean;
  /** Until when the creation that set `setup_pending` holds it (see Users.takeOverSetup). */
  setup_lease_until?: string;
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
};

export type PublicUser = Omit<UserItem, 'PK' | 'SK' | 'type' | 'teams' | 'password_hash' | 'session_stamp' | 'setup_lease_until' | 'used' | 'budget_remaining'> & {
  teams: string[];
  remaining_budget: number | null;
};

/** What any route may show of a user: never the password hash or table keys. */
export function publicUser(item: UserItem): PublicUser {
  return { ...withoutStorage(item, ['session_stamp', 'setup_lease_until']), teams: [...(item.teams ?? [])].sort(), remaining_budget: remainingBudget(item) } as PublicUser;
}
