import { indexKeys, type ItemKey } from '../db/keys';
import { nextResetAt } from './duration';

/**
 * The attributes a budget period sets on an item: its duration, its next reset time
 * and, when it has one, its entry in the sparse reset index that the
 * scheduled reset reads instead of scanning the table.
 */
export function budgetPeriod(itemKey: ItemKey, duration: string | null | undefined, now: Date) {
  if (!duration) return { budget_duration: null, budget_reset_at: null };
  const resetAt = nextResetAt(duration, now).toISOString();
  return { budget_duration: duration, budget_reset_at: resetAt, ...indexKeys.budgetReset(resetAt, itemKey.PK, itemKey.SK) };
}

/** Attribute names to REMOVE when an item's budget period is cleared. */
export { RESET_INDEX_ATTRIBUTES } from '../db/queries';
