/**
 * Spend state carried by every budget-bearing item (key, membership, team, user),
 * shaped so that one DynamoDB transaction can reserve against all of them with
 * conditions alone, without reading them first:
 *
 *   spend            settled cost
 *   reserved_spend   open reservations (authorized, not yet recorded)
 *   used             spend + reserved_spend
 *   budget_remaining max_budget - used, or UNLIMITED - used when there is no limit
 *
 *   counter_version  bumped by every write to these counters, so a writer that
 *                    copies them (key regenerate) can require them unchanged
 *                    without comparing decimals a JS number cannot hold exactly
 *
 * A reservation is `budget_remaining >= :cost` as a condition and
 * `budget_remaining = budget_remaining - :cost` as an update: a hard cap whatever
 * the concurrency, because DynamoDB evaluates both atomically per item.
 */
export const UNLIMITED = 1e15;

export type BudgetState = { spend: number; reserved_spend: number; used: number; budget_remaining: number };

/** The budget attributes of a key, user or team (memberships name their limit `max_budget_in_team`). */
export type BudgetFields = BudgetState & { max_budget: number | null; budget_duration: string | null; budget_reset_at: string | null };

/** A period and its next reset, on every budget-bearing item. */
export type BudgetPeriodFields = Pick<BudgetFields, 'budget_duration' | 'budget_reset_at'>;

export function initialBudgetState(maxBudget: number | null): BudgetState {
  return { spend: 0, reserved_spend: 0, used: 0, budget_remaining: maxBudget ?? UNLIMITED };
}

/** Appended to every update of the counters above (see `counter_version`). */
export const COUNTER_VERSION_BUMP = { clause: 'ADD #counter_version :one_version', names: { '#counter_version': 'counter_version' }, values: { ':one_version': 1 } };

/** The SET clause that re-derives `budget_remaining` when a limit changes (DynamoDB allows one operator). */
export function limitClause(maxBudget: number | null) {
  return { clause: '#budget_remaining = :new_limit - #used', names: { '#budget_remaining': 'budget_remaining', '#used': 'used' }, values: { ':new_limit': maxBudget ?? UNLIMITED } };
}

/** What remains, for display: null when there is no limit. */
export function remainingBudget(item: { budget_remaining?: number; max_budget?: number | null }): number | null {
  if (item.max_budget === null || item.max_budget === undefined) return null;
  return Math.max(0, item.budget_remaining ?? item.max_budget);
}
