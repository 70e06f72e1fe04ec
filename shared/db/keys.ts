/**
 * The single-table design: every item's keys are built here and nowhere else.
 *
 * Indexes (all project ALL attributes):
 *   table  PK / SK
 *   GSI1   GSI1PK / GSI1SK  — collections: every user, every team, every key
 *   GSI2   GSI2PK / GSI2SK  — what a user owns: memberships, keys, invitations
 *   GSI3   GSI3PK / GSI3SK  — what a team owns: keys
 *   GSI4   GSI4PK / GSI4SK  — sparse: budgets with a reset time (issue "budgets")
 *
 * Access patterns (each one GetItem or one Query). Every Query and every guard lookup
 * is a named function in queries.ts (named on the right); nothing outside shared/db/
 * spells an index or a key prefix.
 *   user by id ..................... GetItem  PK=USER#<id>            SK=USER
 *   user id by email ............... GetItem  PK=EMAIL#<lower email>  SK=EMAIL   (also the uniqueness guard) userIdByEmail
 *   all users ...................... Query    GSI1 GSI1PK=USERS                   (sorted by created_at)     allUsers
 *   team by id ..................... GetItem  PK=TEAM#<id>            SK=TEAM
 *   team id by alias ............... GetItem  PK=TEAMALIAS#<lower>    SK=TEAMALIAS (uniqueness guard)       teamIdByAlias
 *   all teams ...................... Query    GSI1 GSI1PK=TEAMS                                             allTeams
 *   a team's members ............... Query    PK=TEAM#<id>  SK begins_with MEMBER#                           membersOf
 *   one membership ................. GetItem  PK=TEAM#<id>  SK=MEMBER#<user id>
 *   a user's memberships ........... Query    GSI2 GSI2PK=USER#<id> GSI2SK begins_with TEAM#                teamsOfUser
 *   everything a user owns ......... Query    GSI2 GSI2PK=USER#<id>  (memberships, keys, invitations, password resets:
 *                                             what deleting the user deletes)                                ownedByUser
 *   key by hash .................... GetItem  PK=KEY#<sha256>         SK=KEY
 *   successor of a regenerated key . GetItem  PK=KEY#<old sha256>     SK=REGENERATED (expires by TTL; `grace_until` lets the old secret in)
 *   a key's rotation schedule ...... GetItem  PK=KEY#<sha256>         SK=ROTATION  (only keys with auto_rotate)
 *   keys due for rotation .......... Query    GSI4 GSI4PK=KEY_ROTATION GSI4SK <= <now ISO>                  keysDueForRotation
 *   public key sealing rotated keys  GetItem  PK=SETTINGS             SK=KEY_SEAL
 *   key hash by alias .............. GetItem  PK=KEYALIAS#<alias>     SK=KEYALIAS (uniqueness guard)        keyHashByAlias
 *   all keys ....................... Query    GSI1 GSI1PK=KEYS                                              allKeys
 *   a user's keys .................. Query    GSI2 GSI2PK=USER#<id> GSI2SK begins_with KEY#                 keysOfUser
 *   a team's keys .................. Query    GSI3 GSI3PK=TEAM#<id> GSI3SK begins_with KEY#                 keysOfTeam
 *   invitation by id ............... GetItem  PK=INVITE#<id>          SK=INVITE   (after a resend: its replaced marker)
 *   a user's invitations ........... Query    GSI2 GSI2PK=USER#<id> GSI2SK begins_with INVITE#              invitationsOfUser
 *   default user settings .......... GetItem  PK=SETTINGS             SK=INTERNAL_USER
 *   the admin's session stamp ...... GetItem  PK=SETTINGS             SK=ADMIN_SESSIONS (users keep theirs on the user item)
 *   failed logins for an email ..... GetItem  PK=LOGINFAIL#<lower>    SK=LOGINFAIL (expires by TTL)
 *   password reset by link id ...... GetItem  PK=PWRESET#<sha256>     SK=PWRESET   (expires by TTL)
 *   a user's password resets ....... (GSI2 GSI2PK=USER#<id> GSI2SK PWRESET#…: read only with the rest, by ownedByUser)
 *   reset requests for an email .... GetItem  PK=PWRESETREQ#<lower>   SK=PWRESETREQ (rate limit; expires by TTL)
 *   budgets due for reset .......... Query    GSI4 GSI4PK=BUDGET_RESET GSI4SK <= <now ISO>
 *   a request by id ................ GetItem  PK=SPEND#<request id>   SK=SPEND   (one item per request: its reservation,
 *                                                                             then its spend record; the exactly-once guard)
 *   expired reservations ........... Query    GSI4 GSI4PK=RESERVATION GSI4SK <= <now ISO>
 *   a key's spend records .......... Query    GSI3 GSI3PK=SPENDOF#<token hash>
 *   a user's spend records ......... Query    GSI2 GSI2PK=SPENDUSER#<user id>     GSI2SK <at>#<request id>
 *   a team's spend records ......... Query    GSI1 GSI1PK=SPENDTEAM#<team id>     GSI1SK <at>#<request id>
 *   a day's spend records .......... Query    GSI4 GSI4PK=SPENDDAY#<YYYY-MM-DD>   GSI4SK <at>#<request id>
 *   model by id .................... GetItem  PK=MODEL#<id>           SK=MODEL   (also the uniqueness guard)
 *   all models ..................... Query    GSI1 GSI1PK=MODELS                  (sorted by created_at)     allModels
 *   deployments of a model name .... Query    GSI2 GSI2PK=MODELNAME#<model_name>                            deploymentsNamed
 *   a budget alert (dedup guard) ... GetItem  PK=ALERT#<budget PK>#<budget SK> SK=<period>#<threshold>#<amount>
 *   a budget's alerts in a period . Query    PK=ALERT#<budget PK>#<budget SK> SK begins_with <period>#  (alertsOfBudget)
 *   budget alerts to (re)send ...... Query    GSI4 GSI4PK=ALERT_PENDING GSI4SK <= <now ISO>
 *   audit entry by id .............. GetItem  PK=AUDIT#<id>           SK=AUDIT   (expires by TTL)
 *   audit entries, newest first .... Query    GSI1 GSI1PK=AUDIT        (GSI1SK = <updated_at>#<id>)          auditEntries
 *   audit entries by who acted ..... Query    GSI2 GSI2PK=AUDITBY#<changed_by>                              auditEntriesBy
 *   audit entries of one object .... Query    GSI3 GSI3PK=AUDITOF#<object id>                               auditEntriesOf
 */

export const TABLE_INDEXES = ['GSI1', 'GSI2', 'GSI3', 'GSI4'] as const;
export type IndexName = (typeof TABLE_INDEXES)[number];

/** The attribute DynamoDB's TTL reads (epoch seconds). */
export const TTL_ATTRIBUTE = 'ttl';

export type ItemKey = { PK: string; SK: string };

/** Every alert of one budget lives in one partition, sorted by period. */
export const budgetAlertsPartition = (budget: ItemKey) => `ALERT#${budget.PK}#${budget.SK}`;

export const keys = {
  user: (userId: string): ItemKey => ({ PK: `USER#${userId}`, SK: 'USER' }),
  userEmail: (email: string): ItemKey => ({ PK: `EMAIL#${email.toLowerCase()}`, SK: 'EMAIL' }),
  team: (teamId: string): ItemKey => ({ PK: `TEAM#${teamId}`, SK: 'TEAM' }),
  teamAlias: (alias: string): ItemKey => ({ PK: `TEAMALIAS#${alias.toLowerCase()}`, SK: 'TEAMALIAS' }),
  member: (teamId: string, userId: string): ItemKey => ({ PK: `TEAM#${teamId}`, SK: `MEMBER#${userId}` }),
  key: (tokenHash: string): ItemKey => ({ PK: `KEY#${tokenHash}`, SK: 'KEY' }),
  keyAlias: (alias: string): ItemKey => ({ PK: `KEYALIAS#${alias}`, SK: 'KEYALIAS' }),
  invitation: (id: string): ItemKey => ({ PK: `INVITE#${id}`, SK: 'INVITE' }),
  internalUserSettings: (): ItemKey => ({ PK: 'SETTINGS', SK: 'INTERNAL_USER' }),
  adminSessions: (): ItemKey => ({ PK: 'SETTINGS', SK: 'ADMIN_SESSIONS' }),
  loginFailures: (email: string): ItemKey => ({ PK: `LOGINFAIL#${email.toLowerCase()}`, SK: 'LOGINFAIL' }),
  /** A forgot-password link, by the SHA-256 of its id (the id itself is never stored). */
  passwordReset: (idHash: string): ItemKey => ({ PK: `PWRESET#${idHash}`, SK: 'PWRESET' }),
  passwordResetRequests: (email: string): ItemKey => ({ PK: `PWRESETREQ#${email.toLowerCase()}`, SK: 'PWRESETREQ' }),
  /** Left behind by /key/regenerate: points an old token at its successor, so open reservations still settle. */
  keyForward: (tokenHash: string): ItemKey => ({ PK: `KEY#${tokenHash}`, SK: 'REGENERATED' }),
  /** A key's next scheduled rotation, in the sparse rotation index (shared/keys/rotation.ts). */
  keyRotation: (tokenHash: string): ItemKey => ({ PK: `KEY#${tokenHash}`, SK: 'ROTATION' }),
  keySeal: (): ItemKey => ({ PK: 'SETTINGS', SK: 'KEY_SEAL' }),
  /**
   * One item per request id: written as its reservation at authorize (`type: 'reservation'`)
   * and replaced by its spend record at record (`type: 'spend_record'`), so the hard cap
   * pays one item per request at each step and a request id is used once.
   */
  request: (requestId: string): ItemKey => ({ PK: `SPEND#${requestId}`, SK: 'SPEND' }),
  model: (modelId: string): ItemKey => ({ PK: `MODEL#${modelId}`, SK: 'MODEL' }),
  /**
   * One per budget, budget period (its reset time) and threshold with its amount
   * (a changed limit alerts anew): written once, so an alert is sent once.
   */
  budgetAlert: (budget: ItemKey, period: string, threshold: string, amount: number): ItemKey => ({ PK: budgetAlertsPartition(budget), SK: `${period}#${threshold}#${amount}` }),
  auditEntry: (id: string): ItemKey => ({ PK: `AUDIT#${id}`, SK: 'AUDIT' }),
};

/** Secondary-index attributes, per entity. */
export const indexKeys = {
  user: (userId: string, createdAt: string) => ({ GSI1PK: 'USERS', GSI1SK: `${createdAt}#${userId}` }),
  team: (teamId: string, createdAt: string) => ({ GSI1PK: 'TEAMS', GSI1SK: `${createdAt}#${teamId}` }),
  member: (teamId: string, userId: string) => ({ GSI2PK: `USER#${userId}`, GSI2SK: `TEAM#${teamId}` }),
  key: (tokenHash: string, createdAt: string, userId: string | null, teamId: string | null) => ({
    GSI1PK: 'KEYS',
    GSI1SK: `${createdAt}#${tokenHash}`,
    ...(userId ? { GSI2PK: `USER#${userId}`, GSI2SK: `KEY#${createdAt}#${tokenHash}` } : {}),
    ...(teamId ? { GSI3PK: `TEAM#${teamId}`, GSI3SK: `KEY#${createdAt}#${tokenHash}` } : {}),
  }),
  invitation: (id: string, userId: string, createdAt: string) => ({
    GSI2PK: `USER#${userId}`,
    GSI2SK: `INVITE#${createdAt}#${id}`,
  }),
  passwordReset: (idHash: string, userId: string, createdAt: string) => ({
    GSI2PK: `USER#${userId}`,
    GSI2SK: `PWRESET#${createdAt}#${idHash}`,
  }),
  /** Only items with a reset time carry these, which keeps GSI4 sparse. */
  budgetReset: (resetAt: string, pk: string, sk: string) => ({ GSI4PK: 'BUDGET_RESET', GSI4SK: `${resetAt}#${pk}#${sk}` }),
  /** Keys with auto_rotate by their next rotation, so the scheduled job finds due ones without a scan. */
  keyRotation: (rotateAt: string, tokenHash: string) => ({ GSI4PK: 'KEY_ROTATION', GSI4SK: `${rotateAt}#${tokenHash}` }),
  /** Open reservations by expiry, so unsettled ones are released without a scan. */
  reservationExpiry: (expiresAt: string, requestId: string) => ({ GSI4PK: 'RESERVATION', GSI4SK: `${expiresAt}#${requestId}` }),
  /** A key's settled spend records, newest last. */
  spendRecord: (tokenHash: string, at: string, requestId: string) => ({ GSI3PK: `SPENDOF#${tokenHash}`, GSI3SK: `${at}#${requestId}` }),
  /**
   * Who a spend record belongs to, for /spend/logs: its user's and team's records and
   * each day's, in partitions of their own (deleting a user or team keeps its spend history).
   */
  spendOwners: (userId: string | null, teamId: string | null, at: string, requestId: string) => ({
    ...(userId ? { GSI2PK: `SPENDUSER#${userId}`, GSI2SK: `${at}#${requestId}` } : {}),
    ...(teamId ? { GSI1PK: `SPENDTEAM#${teamId}`, GSI1SK: `${at}#${requestId}` } : {}),
    GSI4PK: `SPENDDAY#${at.slice(0, 10)}`,
    GSI4SK: `${at}#${requestId}`,
  }),
  /** Registered models: listed by creation, and found by public name (several deployments may share one). */
  model: (modelId: string, modelName: string, createdAt: string) => ({
    GSI1PK: 'MODELS',
    GSI1SK: `${createdAt}#${modelId}`,
    GSI2PK: `MODELNAME#${modelName}`,
    GSI2SK: `MODEL#${createdAt}#${modelId}`,
  }),
  /** Budget alerts not sent yet, by when they may be (re)tried; removed once sent. */
  budgetAlertRetry: (retryAt: string, pk: string, sk: string) => ({ GSI4PK: 'ALERT_PENDING', GSI4SK: `${retryAt}#${pk}#${sk}` }),
  /** Audit entries: all of them, by who acted, by object; each sorted by time. */
  auditEntry: (id: string, at: string, changedBy: string, objectId: string) => ({
    GSI1PK: 'AUDIT',
    GSI1SK: `${at}#${id}`,
    GSI2PK: `AUDITBY#${changedBy}`,
    GSI2SK: `${at}#${id}`,
    GSI3PK: `AUDITOF#${objectId}`,
    GSI3SK: `${at}#${id}`,
  }),
};

/** The index attributes an entity's builder above writes, e.g. `IndexAttributes<'invitation'>`. */
export type IndexAttributes<E extends keyof typeof indexKeys> = ReturnType<(typeof indexKeys)[E]>;

/**
 * A key that changed owner or team: its index attributes to set, and those to remove
 * (a key without a user, or without a team, leaves that index).
 */
export function keyIndexMove(tokenHash: string, createdAt: string, userId: string | null, teamId: string | null): { set: Record<string, string>; remove: string[] } {
  return {
    set: indexKeys.key(tokenHash, createdAt, userId, teamId),
    remove: [...(userId ? [] : ['GSI2PK', 'GSI2SK']), ...(teamId ? [] : ['GSI3PK', 'GSI3SK'])],
  };
}

const TABLE_KEY_ATTRIBUTE = /^(?:PK|SK|GSI\dPK|GSI\dSK)$/;

/** An item without its table and index keys: what is left to copy under another key. */
export function withoutTableKeys<T extends object>(item: T): Omit<T, 'PK' | 'SK'> {
  return Object.fromEntries(Object.entries(item).filter(([k]) => !TABLE_KEY_ATTRIBUTE.test(k))) as Omit<T, 'PK' | 'SK'>;
}

/** Entity type attribute stored on every item. */
export type EntityType =
  | 'user'
  | 'user_email'
  | 'team'
  | 'team_alias'
  | 'member'
  | 'key'
  | 'key_alias'
  | 'invitation'
  | 'invitation_replaced'
  | 'settings'
  | 'login_failures'
  | 'model'
  | 'password_reset'
  | 'password_reset_requests'
  | 'budget_alert'
  | 'audit';
