/**
 * Named access patterns: every Query the table serves, by what it answers, beside the
 * key builders of ./keys.ts (which lists them all). Call sites name the pattern and
 * never spell an index (`GSI4`) or a key prefix (`KEY#`).
 */
import { indexKeys, keys, type ItemKey } from './keys';
import type { Table } from './table';

// ---- spend ----

/** Where a paged read resumes (DynamoDB's LastEvaluatedKey). */
type SpendCursor = Record<string, unknown>;
type SpendPage<T> = { items: T[]; cursor?: SpendCursor };
/** Sorts after every `<ISO time>#…` sort key of that time: "everything up to now". */
const upTo = (at: string) => `${at}#\uffff`;

/**
 * Budgets whose reset time is at or before `now`, oldest first, a page at a time:
 * Query on the sparse reset index (only items with a budget period are in it).
 */
export function dueBudgets<T>(table: Table, now: Date, page: { limit: number; cursor?: SpendCursor }): Promise<SpendPage<T>> {
  return table.query<T>({ index: 'GSI4', pk: 'BUDGET_RESET', skAtMost: upTo(now.toISOString()), limit: page.limit, cursor: page.cursor });
}

/** Open reservations whose expiry is at or before `now`, oldest first (the reset job releases them). */
export function expiredReservations<T>(table: Table, now: Date, page: { limit: number; cursor?: SpendCursor }): Promise<SpendPage<T>> {
  return table.query<T>({ index: 'GSI4', pk: 'RESERVATION', skAtMost: upTo(now.toISOString()), limit: page.limit, cursor: page.cursor });
}

/** Budget alerts still pending whose retry time is at or before `now`, oldest first. */
export function pendingBudgetAlerts<T>(table: Table, now: Date, page: { limit: number; cursor?: SpendCursor }): Promise<SpendPage<T>> {
  return table.query<T>({ index: 'GSI4', pk: 'ALERT_PENDING', skAtMost: upTo(now.toISOString()), limit: page.limit, cursor: page.cursor });
}

/** Whose spend records: a key's (by token hash), a user's, a team's, or one UTC day's (`YYYY-MM-DD`). */
export type SpendRecordOwner = { key: string } | { user: string } | { team: string } | { day: string };

/**
 * Spend records of one owner created at or before `to` (ISO), newest first, a page at a
 * time. Each owner is a partition of its own index: see `indexKeys.spendRecord` and
 * `indexKeys.spendOwners`.
 */
export function spendRecordsNewestFirst<T>(table: Table, owner: SpendRecordOwner, to: string, page: { limit: number; cursor?: SpendCursor }): Promise<SpendPage<T>> {
  const where =
    'key' in owner
      ? ({ index: 'GSI3', pk: `SPENDOF#${owner.key}` } as const)
      : 'user' in owner
        ? ({ index: 'GSI2', pk: `SPENDUSER#${owner.user}` } as const)
        : 'team' in owner
          ? ({ index: 'GSI1', pk: `SPENDTEAM#${owner.team}` } as const)
          : ({ index: 'GSI4', pk: `SPENDDAY#${owner.day}` } as const);
  return table.query<T>({ ...where, skAtMost: `${to}\uffff`, newestFirst: true, limit: page.limit, cursor: page.cursor });
}

/** The attributes that put an item in the reset index: REMOVEd when its budget period is cleared. */
export const RESET_INDEX_ATTRIBUTES = ['GSI4PK', 'GSI4SK'] as const;

/** The attributes that list a budget alert as pending: REMOVEd once it is sent or given up. */
export const ALERT_RETRY_INDEX_ATTRIBUTES = ['GSI4PK', 'GSI4SK'] as const;

/** A pending alert's entry in the retry index, as stored on the alert item (see `indexKeys.budgetAlertRetry`). */
export type AlertRetryIndexFields = { GSI4PK?: string; GSI4SK?: string };

/**
 * The SET clause that moves a budget's reset-index entry to its next reset time
 * (`:gsi` holds the new sort key), for the reset's single UpdateItem.
 */
export function moveBudgetResetEntry(nextResetAt: string, item: ItemKey) {
  return { clause: '#reset_index_sk = :gsi', names: { '#reset_index_sk': 'GSI4SK' }, values: { ':gsi': indexKeys.budgetReset(nextResetAt, item.PK, item.SK).GSI4SK } };
}

/**
 * The SET clause that moves a pending alert's retry entry to `retryAt` (`:retry_sk`), and
 * the condition that it is still where `expected` (the item as read) had it.
 */
export function moveAlertRetryEntry(retryAt: string, item: ItemKey & AlertRetryIndexFields) {
  return {
    clause: '#retry_index_sk = :retry_sk',
    condition: '#retry_index_sk = :old_retry_sk',
    names: { '#retry_index_sk': 'GSI4SK' },
    values: { ':retry_sk': indexKeys.budgetAlertRetry(retryAt, item.PK, item.SK).GSI4SK, ':old_retry_sk': item.GSI4SK ?? null },
  };
}

/** The id inside an item key (`USER#<id>` → `<id>`; a membership's `TEAM#<id>` → the team's id). */
export const idInKey = (itemKey: ItemKey): string => itemKey.PK.slice(itemKey.PK.indexOf('#') + 1);

/** The token hash when `itemKey` is a key item, else undefined. */
export function keyTokenOf(itemKey: ItemKey): string | undefined {
  const token = idInKey(itemKey);
  const asKey = keys.key(token);
  return asKey.PK === itemKey.PK && asKey.SK === itemKey.SK ? token : undefined;
}

/** The team item a membership (`TEAM#<id>` / `MEMBER#<user>`) belongs to. */
export const teamOfMembership = (membership: ItemKey): ItemKey => keys.team(idInKey(membership));
