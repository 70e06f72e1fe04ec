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
  created_at: string;
  updated_at: string;
  created_by: string;
  updated_by: string;
};

export type PublicUser = Omit<UserItem, 'PK' | 'SK' | 'type' | 'teams' | 'password_hash' | 'used' | 'budget_remaining'> & {
  teams: string[];
  remaining_budget: number | null;
};

/** What any route may show of a user: never the password hash or table keys. */
export function publicUser(item: UserItem): PublicUser {
  return { ...withoutStorage(item), teams: [...(item.teams ?? [])].sort(), remaining_budget: remainingBudget(item) } as PublicUser;
}
