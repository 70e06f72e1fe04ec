/**
 * The writes of the spend gateway and the budget reset, as pure builders: each returns
 * the update (or put / delete) and its named condition, and says in `onFail` what a
 * failed condition means. No I/O here: shared/spend/gateway.ts and ./reset.ts send them.
 *
 * Every budget-bearing item (key, membership, team, user) carries the counters of
 * shared/budgets/state.ts, so a hard cap is a condition on `budget_remaining` checked
 * atomically with the update that lowers it.
 */
import { nextResetAt } from '../budgets/duration';
import { COUNTER_VERSION_BUMP } from '../budgets/state';
import { indexKeys, keys, type ItemKey } from '../db/keys';
import { moveBudgetResetEntry } from '../db/queries';
import { mustNotExist, type Condition, type TransactOp } from '../db/table';
import { conflict, DomainError, notFound, unauthenticated } from '../core/errors';
import type { KeyItem } from '../keys/model';
import { ALL_MODELS } from '../keys/service';
import { keyRefusals } from '../keys/usable';
import { money, type DueBudget, type Reservation, type SpendRecord } from './model';

/** One budget on a key's path, and how refusals name it. */
export type Scope = {
  kind: 'key' | 'member' | 'team' | 'user';
  key: ItemKey;
  label: string;
  /** The key's name, the team's id, the user's id: what the one set of key/team messages names. */
  id: string;
  /** Whether this level's `models` list applies (the team for team keys, the user for personal keys). */
  checkModels?: boolean;
};

/** A single update with its condition, in the shape `Table.transact` and `Table.update` take. */
export type UpdateOp = Extract<TransactOp, { update: ItemKey }>;

// ---------------------------------------------------------------- errors a condition means

/** A scope is past its reset time: reset it, then try again. */
export class ResetDue extends DomainError {
  constructor(readonly item: DueBudget) {
    super('conflict', 'budget past its reset time');
  }
}

/** A scope vanished or moved (key regenerated) since it was read: resolve the scopes again. */
export class ScopeMoved extends DomainError {
  constructor(readonly scope: ItemKey) {
    super('conflict', `${scope.PK} moved or was deleted during the settlement`);
  }
}

/** A concurrent record of the same request won. */
export class AlreadyRecorded extends DomainError {
  constructor(requestId: string) {
    super('conflict', `request_id ${requestId} was already recorded.`, 'request_id');
  }
}

/** A reset condition failed: the item moved on meanwhile (reset by someone else, or its period changed). */
export class AlreadyMoved extends DomainError {
  constructor() {
    super('conflict', 'budget already reset or changed');
  }
}

/** A settlement's excess does not fit a budget: the caller charges only the reservation. */
export const overBudget = () => new DomainError('budget_exceeded', 'over budget', null);

// ---------------------------------------------------------------- scopes and refusals

/** The budgets a key's request spends on: the key, its membership, its team, its user. */
export function scopesOf(key: Pick<KeyItem, 'token' | 'key_alias' | 'key_name' | 'team_id' | 'user_id'>): Scope[] {
  const scopes: Scope[] = [{ kind: 'key', key: keys.key(key.token), label: `key ${key.key_alias ?? key.key_name}`, id: key.key_name }];
  if (key.team_id && key.user_id) scopes.push({ kind: 'member', key: keys.member(key.team_id, key.user_id), label: `member ${key.user_id} in team ${key.team_id}`, id: key.user_id });
  if (key.team_id) scopes.push({ kind: 'team', key: keys.team(key.team_id), label: `team ${key.team_id}`, id: key.team_id, checkModels: true });
  // The user's own budget counts for team keys too (LiteLLM ignores it there).
  if (key.user_id) scopes.push({ kind: 'user', key: keys.user(key.user_id), label: `user ${key.user_id}`, id: key.user_id, checkModels: !key.team_id });
  return scopes;
}

/** LiteLLM's "Budget has been exceeded!", with which budget, its spend, reservations, limit and reset. */
export function budgetExceeded(scope: Pick<Scope, 'kind' | 'label'>, item: Record<string, unknown>, cost: number): DomainError {
  const remaining = Number(item.budget_remaining ?? 0);
  const limit = remaining + Number(item.used ?? 0);
  return new DomainError(
    'budget_exceeded',
    `Budget has been exceeded! ${scope.label}: spend=${money(item.spend)}, reserved=${money(item.reserved_spend)}, max_budget=${money(limit)}, ` +
      `this request needs ${money(cost)}; budget_reset_at=${(item.budget_reset_at as string | null) ?? 'never (no budget_duration)'}.`,
    `${scope.kind}_budget`,
  );
}

/** Says exactly why a scope refused a reservation: gone, past its reset, blocked, model, or which budget. */
export function refusal(scope: Scope, item: Record<string, unknown> | undefined, cost: number, model: string, now: Date): DomainError {
  if (!item) {
    return scope.kind === 'member'
      ? unauthenticated(`The key's user is no longer a member of its team (${scope.label}).`)
      : unauthenticated(`${scope.label} no longer exists.`);
  }
  const resetAt = item.budget_reset_at as string | null | undefined;
  if (resetAt && resetAt <= now.toISOString() && item.budget_duration) return new ResetDue(item as unknown as DueBudget);
  if (item.blocked === true) {
    if (scope.kind === 'key') return keyRefusals.blocked(scope.id);
    if (scope.kind === 'team') return keyRefusals.teamBlocked(scope.id);
    return unauthenticated(`${scope.label} is blocked.`);
  }
  const models = item.models as string[] | undefined;
  if (scope.checkModels && models && models.length > 0 && !models.includes(model) && !models.includes(ALL_MODELS)) {
    return unauthenticated(`${scope.label} is not allowed to access model ${model}. Allowed models: ${models.join(', ')}.`);
  }
  return budgetExceeded(scope, item, cost);
}

/** The answer to a settlement of a request this key never reserved (or that expired and was released). */
export const unknownRequest = (requestId: string, reserveMinutes: number) =>
  notFound(
    `No open reservation for request_id ${requestId} made with this key: it was never authorized with it, or it expired after ${reserveMinutes} minutes and was released.`,
    'request_id',
  );

// ---------------------------------------------------------------- reserve (authorize)

/**
 * Reserves `cost` on one scope: lowers `budget_remaining` and raises `used` and
 * `reserved_spend`, only if the scope exists, has `cost` left (and more than nothing:
 * a zero estimate must not pass an exhausted budget), is not past its reset time, is
 * not blocked (keys, teams) and allows the model (where `checkModels`).
 */
export function reserveUpdate(scope: Scope, cost: number, model: string, now: Date): UpdateOp {
  const conditions = ['attribute_exists(PK)', '#remaining >= :cost', '#remaining > :nothing', '(attribute_not_exists(#reset_at) OR #reset_at = :null OR #reset_at > :now)'];
  const names: Record<string, string> = { '#remaining': 'budget_remaining', '#reset_at': 'budget_reset_at', '#used': 'used', '#reserved': 'reserved_spend' };
  const values: Record<string, unknown> = { ':cost': cost, ':nothing': 0, ':null': null, ':now': now.toISOString() };
  if (scope.kind === 'key' || scope.kind === 'team') {
    conditions.push('(attribute_not_exists(#blocked) OR #blocked = :false)');
    names['#blocked'] = 'blocked';
    values[':false'] = false;
  }
  if (scope.checkModels) {
    conditions.push('(attribute_not_exists(#models) OR size(#models) = :zero OR contains(#models, :model) OR contains(#models, :all))');
    names['#models'] = 'models';
    Object.assign(values, { ':zero': 0, ':model': model, ':all': ALL_MODELS });
  }
  return {
    update: scope.key,
    change: {
      expression: `SET #remaining = #remaining - :cost, #used = #used + :cost, #reserved = #reserved + :cost ${COUNTER_VERSION_BUMP.clause}`,
      names: { ...names, ...COUNTER_VERSION_BUMP.names },
      values: { ...values, ...COUNTER_VERSION_BUMP.values },
      condition: { expression: conditions.join(' AND '), onFail: (item) => refusal(scope, item, cost, model, now) },
    },
  };
}

/**
 * The request's item as its reservation (listed by expiry, so an unsettled one is
 * released), only if the request id was never used: neither reserved nor recorded (a
 * recorded id authorized again would then "record" as a free duplicate).
 */
export function reservationOps(res: Reservation): TransactOp[] {
  return [
    {
      put: { ...keys.request(res.request_id), ...indexKeys.reservationExpiry(res.expires_at, res.request_id), type: 'reservation', ...res, ttl: Math.floor(Date.parse(res.expires_at) / 1000) + 86_400 },
      condition: mustNotExist((existing) =>
        existing?.type === 'spend_record'
          ? conflict(`request_id ${res.request_id} was already recorded: use a new request_id.`, 'request_id')
          : conflict(`request_id ${res.request_id} was already authorized.`, 'request_id'),
      ),
    },
  ];
}

/** The request's item is still its open reservation: neither recorded nor released. */
const stillReserved = (onFail: Condition['onFail']): Condition => ({ expression: '#type = :reservation', names: { '#type': 'type' }, values: { ':reservation': 'reservation' }, onFail });

// ---------------------------------------------------------------- settle (record) and release

/**
 * Settles one scope: adds what was charged to `spend`, takes the reservation off
 * `reserved_spend`, and moves `used` / `budget_remaining` by the difference. When the
 * charge exceeds the reservation, only if the excess still fits (never over a cap).
 * A scope gone since the reservation fails with {@link ScopeMoved}.
 */
export function settleUpdate(scopeKey: ItemKey, charged: number, reserved: number): UpdateOp {
  const delta = charged - reserved;
  return {
    update: scopeKey,
    change: {
      expression: `SET #spend = #spend + :charged, #reserved = #reserved - :reserved, #used = #used + :delta, #remaining = #remaining - :delta ${COUNTER_VERSION_BUMP.clause}`,
      names: { '#spend': 'spend', '#reserved': 'reserved_spend', '#used': 'used', '#remaining': 'budget_remaining', ...COUNTER_VERSION_BUMP.names },
      values: { ':charged': charged, ':reserved': reserved, ':delta': delta, ...COUNTER_VERSION_BUMP.values },
      condition: {
        expression: delta > 0 ? 'attribute_exists(PK) AND #remaining >= :delta' : 'attribute_exists(PK)',
        onFail: (item) => (item ? overBudget() : new ScopeMoved(scopeKey)),
      },
    },
  };
}

/** Gives a never-settled reservation back to one scope: a settlement that charges nothing. */
export const releaseUpdate = (scopeKey: ItemKey, reserved: number): UpdateOp => settleUpdate(scopeKey, 0, reserved);

/** Replaces the request's reservation with its spend record (once per request id). */
export function recordOps(stored: SpendRecord & { uncharged: number }): TransactOp[] {
  return [
    {
      put: {
        ...keys.request(stored.request_id),
        ...indexKeys.spendRecord(stored.token, stored.created_at, stored.request_id),
        ...indexKeys.spendOwners(stored.user_id, stored.team_id, stored.created_at, stored.request_id),
        type: 'spend_record',
        ...stored,
      },
      condition: stillReserved((existing) =>
        existing?.type === 'spend_record' ? new AlreadyRecorded(stored.request_id) : notFound(`Reservation ${stored.request_id} was released before it was recorded.`, 'request_id'),
      ),
    },
  ];
}

/** Deletes a reservation only if it is still open (settled or released once; a spend record is never deleted). */
export function reservationDelete(requestId: string, gone: () => DomainError): TransactOp {
  return { delete: keys.request(requestId), condition: stillReserved(gone) };
}

// ---------------------------------------------------------------- reset

/**
 * The next reset after `due`, stepping period by period until it is in the future,
 * so a late run keeps the calendar (a monthly budget stays on the 1st).
 */
export function nextAfter(duration: string, due: Date, now: Date): Date {
  let next = nextResetAt(duration, due);
  for (let i = 0; next <= now && i < 10_000; i++) next = nextResetAt(duration, next);
  // A short period far behind (a `30s` budget whose job was off for days): restart the
  // period from now rather than leave a reset time in the past, which would reset the
  // item again on the next page and overwrite its last_period_spend with 0.
  return next > now ? next : nextResetAt(duration, now);
}

/**
 * The update that zeroes one due budget and sets its next reset. Open reservations
 * stay counted: `used` becomes what is still reserved and `budget_remaining` gets
 * back what was spent. Conditional on the reset time read, so running it twice (or
 * concurrently with another run or an inline reset) changes nothing the second time:
 * it fails with {@link AlreadyMoved}. One item, one UpdateItem: no transaction needed.
 */
export function resetUpdate(item: DueBudget, now: Date): UpdateOp {
  const next = nextAfter(item.budget_duration, new Date(item.budget_reset_at), now).toISOString();
  const index = moveBudgetResetEntry(next, item);
  return {
    update: { PK: item.PK, SK: item.SK },
    change: {
      expression:
        `SET #remaining = #remaining + #spend, #used = #reserved, last_period_spend = #spend, #spend = :zero, last_reset_at = :now, #reset_at = :next, ${index.clause} ${COUNTER_VERSION_BUMP.clause}`,
      names: { '#remaining': 'budget_remaining', '#spend': 'spend', '#used': 'used', '#reserved': 'reserved_spend', '#reset_at': 'budget_reset_at', ...index.names, ...COUNTER_VERSION_BUMP.names },
      values: { ':zero': 0, ':now': now.toISOString(), ':next': next, ':old': item.budget_reset_at, ...index.values, ...COUNTER_VERSION_BUMP.values },
      condition: { expression: '#reset_at = :old', onFail: () => new AlreadyMoved() },
    },
  };
}
