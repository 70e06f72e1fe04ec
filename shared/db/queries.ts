import { budgetAlertsPartition, indexKeys, keys, type ItemKey } from './keys';
import type { QueryInput, Table } from './table';

/**
 * The access patterns of keys.ts by name: every Query the table serves, and every
 * lookup through a uniqueness guard. Call sites say what they want (`keysOfTeam(id)`)
 * and never spell an index or a key prefix; those stay here, beside the builders that
 * write them. A Query pattern is a `QueryInput` for `table.queryAll` / `table.pages`
 * (add `limit`, `newestFirst` as needed).
 */
export type AccessPattern = Omit<QueryInput, 'cursor' | 'limit'>;

/** Upper bound of a time-ordered sort key `<ISO time>#…`: everything due at `now` or before. */
const dueBy = (now: Date | string) => `${typeof now === 'string' ? now : now.toISOString()}#\uffff`;

// ---- collections (GSI1) ----

export const allUsers = (): AccessPattern => ({ index: 'GSI1', pk: 'USERS' });
export const allTeams = (): AccessPattern => ({ index: 'GSI1', pk: 'TEAMS' });
export const allKeys = (): AccessPattern => ({ index: 'GSI1', pk: 'KEYS' });
export const allModels = (): AccessPattern => ({ index: 'GSI1', pk: 'MODELS' });

// ---- a team's items ----

export const membersOf = (teamId: string): AccessPattern => ({ pk: `TEAM#${teamId}`, skPrefix: 'MEMBER#' });
export const keysOfTeam = (teamId: string): AccessPattern => ({ index: 'GSI3', pk: `TEAM#${teamId}`, skPrefix: 'KEY#' });

// ---- what a user owns (GSI2) ----

export const teamsOfUser = (userId: string): AccessPattern => ({ index: 'GSI2', pk: `USER#${userId}`, skPrefix: 'TEAM#' });
export const keysOfUser = (userId: string): AccessPattern => ({ index: 'GSI2', pk: `USER#${userId}`, skPrefix: 'KEY#' });
export const invitationsOfUser = (userId: string): AccessPattern => ({ index: 'GSI2', pk: `USER#${userId}`, skPrefix: 'INVITE#' });
/** Everything at once (memberships, keys, invitations, password resets): what deleting the user deletes. */
export const ownedByUser = (userId: string): AccessPattern => ({ index: 'GSI2', pk: `USER#${userId}` });

// ---- models ----

export const deploymentsNamed = (modelName: string): AccessPattern => ({ index: 'GSI2', pk: `MODELNAME#${modelName}` });

// ---- scheduled work (sparse GSI4) ----

export const keysDueForRotation = (now: Date | string): AccessPattern => ({ index: 'GSI4', pk: 'KEY_ROTATION', skAtMost: dueBy(now) });

// ---- audit log, each sorted by time ----

export const auditEntries = (): AccessPattern => ({ index: 'GSI1', pk: 'AUDIT' });
export const auditEntriesBy = (changedBy: string): AccessPattern => ({ index: 'GSI2', pk: `AUDITBY#${changedBy}` });
export const auditEntriesOf = (objectId: string): AccessPattern => ({ index: 'GSI3', pk: `AUDITOF#${objectId}` });

// ---- lookups through a uniqueness guard (one GetItem; see guards.ts) ----

type GuardItem = { owner_pk?: string };

/** The id in the owner's partition key (`USER#<id>` → `<id>`), when the guard names such an owner. */
function ownerId(guard: GuardItem | undefined, prefix: string): string | undefined {
  return guard?.owner_pk?.startsWith(prefix) ? guard.owner_pk.slice(prefix.length) : undefined;
}

export async function userIdByEmail(table: Pick<Table, 'get'>, email: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.userEmail(email)), 'USER#');
}

export async function teamIdByAlias(table: Pick<Table, 'get'>, alias: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.teamAlias(alias)), 'TEAM#');
}

export async function keyHashByAlias(table: Pick<Table, 'get'>, alias: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.keyAlias(alias)), 'KEY#');
}

// ---- spend ----

/** Budgets whose reset time is at or before `now`, oldest first: the sparse reset index holds only items with a budget period. */
export const dueBudgets = (now: Date): AccessPattern => ({ index: 'GSI4', pk: 'BUDGET_RESET', skAtMost: dueBy(now) });

/** Open reservations whose expiry is at or before `now`, oldest first (the reset job releases them). */
export const expiredReservations = (now: Date): AccessPattern => ({ index: 'GSI4', pk: 'RESERVATION', skAtMost: dueBy(now) });

/** A budget's alerts of one period (`period` is the budget's reset time, or `no-period`), in sort-key order. */
export const alertsOfBudget = (budget: ItemKey, period: string): AccessPattern => ({ pk: budgetAlertsPartition(budget), skPrefix: `${period}#` });

/** Budget alerts still pending whose retry time is at or before `now`, oldest first. */
export const pendingBudgetAlerts = (now: Date): AccessPattern => ({ index: 'GSI4', pk: 'ALERT_PENDING', skAtMost: dueBy(now) });

/** Whose spend records: a key's (by token hash), a user's, a team's, or one UTC day's (`YYYY-MM-DD`). */
export type SpendRecordOwner = { key: string } | { user: string } | { team: string } | { day: string };

/**
 * Spend records of one owner created at or before `to` (ISO), newest first. Each owner
 * is a partition of its own index: see `indexKeys.spendRecord` and `indexKeys.spendOwners`.
 */
export function spendRecordsNewestFirst(owner: SpendRecordOwner, to: string): AccessPattern {
  const where =
    'key' in owner
      ? ({ index: 'GSI3', pk: `SPENDOF#${owner.key}` } as const)
      : 'user' in owner
        ? ({ index: 'GSI2', pk: `SPENDUSER#${owner.user}` } as const)
        : 'team' in owner
          ? ({ index: 'GSI1', pk: `SPENDTEAM#${owner.team}` } as const)
          : ({ index: 'GSI4', pk: `SPENDDAY#${owner.day}` } as const);
  return { ...where, skAtMost: `${to}\uffff`, newestFirst: true };
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
