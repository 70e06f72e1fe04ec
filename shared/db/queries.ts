import { keys } from './keys';
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

export async function userIdByEmail(table: Table, email: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.userEmail(email)), 'USER#');
}

export async function teamIdByAlias(table: Table, alias: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.teamAlias(alias)), 'TEAM#');
}

export async function keyHashByAlias(table: Table, alias: string): Promise<string | undefined> {
  return ownerId(await table.get<GuardItem>(keys.keyAlias(alias)), 'KEY#');
}

// ---- spend ----
