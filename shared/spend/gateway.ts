import { assertKeyMayCall } from '../keys/routes';
import { randomUUID } from 'node:crypto';
import { indexKeys, keys, type ItemKey } from '../db/keys';
import { mustNotExist, TransactionConflictError, type Condition, type Table, type TransactOp } from '../db/table';
import { conflict, DomainError, notFound, unauthenticated } from '../errors';
import { sha256Hex } from '../ids';
import type { KeyItem } from '../keys/model';
import { keyForSecret } from '../keys/rotation';
import { ALL_MODELS } from '../keys/service';
import type { BudgetAlerts } from './alerts';
import { BudgetReset, type DueBudget } from './reset';
import { COUNTER_VERSION_BUMP } from '../budgets/state';

/** Reservations not settled within this time are released by the reset job. */
export const RESERVATION_MINUTES = 15;
const MAX_ATTEMPTS = 8;

type Scope = { kind: 'key' | 'member' | 'team' | 'user'; key: ItemKey; label: string; checkModels?: boolean };

/**
 * An open reservation carries everything its settlement needs (who made it, the
 * scopes it reserved on), so it settles even when its key was deleted, blocked or
 * regenerated meanwhile.
 */
export type Reservation = {
  request_id: string;
  amount: number;
  model: string;
  token: string;
  /** Absent on reservations made before they carried them: read from the key then. */
  user_id?: string | null;
  team_id?: string | null;
  scopes: ItemKey[];
  expires_at: string;
};

export type SpendRecord = {
  request_id: string;
  token: string;
  user_id: string | null;
  team_id: string | null;
  model: string;
  cost: number;
  charged: number;
  reserved: number;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  created_at: string;
  /** What the model gateway knows of the call (tokens, price source, status…), kept as sent. */
  details?: Record<string, unknown>;
};

class AlreadyRecorded extends DomainError {
  constructor(requestId: string) {
    super('conflict', `request_id ${requestId} was already recorded.`, 'request_id');
  }
}

/** Raised inside a settlement when a scope vanished or moved (key regenerated) since it was read: resolve the scopes again. */
class ScopeMoved extends DomainError {
  constructor(scope: ItemKey) {
    super('conflict', `${scope.PK} moved or was deleted during the settlement`);
  }
}

/** The fields of a spend record the API shows: the same on the first answer and on a replay. */
const RECORD_FIELDS = ['request_id', 'token', 'user_id', 'team_id', 'model', 'cost', 'charged', 'reserved', 'uncharged', 'prompt_tokens', 'completion_tokens', 'created_at'] as const;
export const publicSpendRecord = (item: Record<string, unknown>) => Object.fromEntries(RECORD_FIELDS.map((f) => [f, item[f] ?? null]));

/** How far a chain of regenerations is followed to find a key's current item. */
const MAX_REGENERATIONS = 10;

const unknownRequest = (requestId: string) =>
  notFound(
    `No open reservation for request_id ${requestId} made with this key: it was never authorized with it, or it expired after ${RESERVATION_MINUTES} minutes and was released.`,
    'request_id',
  );

/** Raised inside a transaction when a scope is past its reset time: reset it, then try again. */
class ResetDue extends DomainError {
  constructor(readonly item: DueBudget) {
    super('conflict', 'budget past its reset time');
  }
}

const money = (n: unknown) => Number(Number(n ?? 0).toFixed(6));

function budgetExceeded(scope: Scope, item: Record<string, unknown>, cost: number): DomainError {
  const remaining = Number(item.budget_remaining ?? 0);
  const limit = remaining + Number(item.used ?? 0);
  return new DomainError(
    'budget_exceeded',
    `Budget has been exceeded! ${scope.label}: spend=${money(item.spend)}, reserved=${money(item.reserved_spend)}, max_budget=${money(limit)}, ` +
      `this request needs ${money(cost)}; budget_reset_at=${(item.budget_reset_at as string | null) ?? 'never (no budget_duration)'}.`,
    `${scope.kind}_budget`,
  );
}

/**
 * What a gateway calls around each model request: `authorize` reserves the
 * estimated cost on every budget on the key's path (key, membership, team, user)
 * in one conditional transaction; `record` settles the actual cost, once per
 * request id. Two DynamoDB round trips each: one read (GetItem or BatchGetItem), one transaction.
 */
export class Gateway {
  private readonly resets: BudgetReset;

  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
    /** Emails owners when a settlement reaches a budget threshold; none in jobs that send no email. */
    private readonly alerts?: BudgetAlerts,
  ) {
    this.resets = new BudgetReset(table, clock);
  }

  private async activeKey(secret: string): Promise<KeyItem> {
    // Within a regenerate's grace period the old secret stands for the new key item.
    const key = await keyForSecret(this.table, secret, this.clock());
    if (!key) throw unauthenticated('Invalid API key: it does not match any key.');
    if (key.blocked) throw unauthenticated(`Key is blocked: ${key.key_name}.`);
    if (key.expires && Date.parse(key.expires) <= this.clock().getTime()) throw unauthenticated(`Key expired at ${key.expires}: ${key.key_name}.`);
    return key;
  }

  private scopesOf(key: KeyItem): Scope[] {
    const scopes: Scope[] = [{ kind: 'key', key: keys.key(key.token), label: `key ${key.key_alias ?? key.key_name}` }];
    if (key.team_id && key.user_id) scopes.push({ kind: 'member', key: keys.member(key.team_id, key.user_id), label: `member ${key.user_id} in team ${key.team_id}` });
    if (key.team_id) scopes.push({ kind: 'team', key: keys.team(key.team_id), label: `team ${key.team_id}`, checkModels: true });
    // The user's own budget counts for team keys too (LiteLLM ignores it there).
    if (key.user_id) scopes.push({ kind: 'user', key: keys.user(key.user_id), label: `user ${key.user_id}`, checkModels: !key.team_id });
    return scopes;
  }

  /** `route`: the path the key is calling through, checked against the key's `allowed_routes`. */
  async authorize(secret: string, input: { model: string; estimated_cost: number; request_id?: string; route?: string }) {
    const key = await this.activeKey(secret);
    if (input.route) assertKeyMayCall(key, input.route);
    if (key.models.length > 0 && !key.models.includes(input.model) && !key.models.includes(ALL_MODELS)) {
      throw unauthenticated(`key not allowed to access model. This key can only access models=${JSON.stringify(key.models)}. Tried to access ${input.model}.`);
    }
    const requestId = input.request_id ?? randomUUID();
    const scopes = this.scopesOf(key);
    const reservation = await this.withRetries(async () => {
      const now = this.clock();
      const expiresAt = new Date(now.getTime() + RESERVATION_MINUTES * 60_000).toISOString();
      const res: Reservation = {
        request_id: requestId,
        amount: input.estimated_cost,
        model: input.model,
        token: key.token,
        user_id: key.user_id,
        team_id: key.team_id,
        scopes: scopes.map((s) => s.key),
        expires_at: expiresAt,
      };
      await this.table.transact([
        {
          put: { ...keys.reservation(requestId), ...indexKeys.reservationExpiry(expiresAt, requestId), type: 'reservation', ...res, ttl: Math.floor(Date.parse(expiresAt) / 1000) + 86_400 },
          condition: mustNotExist(() => conflict(`request_id ${requestId} was already authorized.`, 'request_id')),
        },
        // A recorded request id authorized again would then "record" as a free duplicate.
        { check: keys.spendRecord(requestId), condition: mustNotExist(() => conflict(`request_id ${requestId} was already recorded: use a new request_id.`, 'request_id')) },
        ...scopes.map((scope) => this.reserveOp(scope, input.estimated_cost, input.model, now)),
      ]);
      return res;
    });
    return { allowed: true, request_id: requestId, reserved: input.estimated_cost, expires_at: reservation.expires_at, key: key.token, user_id: key.user_id, team_id: key.team_id, model: input.model };
  }

  private reserveOp(scope: Scope, cost: number, model: string, now: Date): TransactOp {
    // `> :nothing` too: a zero estimate must not pass a budget with nothing left.
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
    const condition: Condition = {
      expression: conditions.join(' AND '),
      onFail: (item) => this.refusal(scope, item, cost, model, now),
    };
    return {
      update: scope.key,
      change: {
        expression: `SET #remaining = #remaining - :cost, #used = #used + :cost, #reserved = #reserved + :cost ${COUNTER_VERSION_BUMP.clause}`,
        names: { ...names, ...COUNTER_VERSION_BUMP.names },
        values: { ...values, ...COUNTER_VERSION_BUMP.values },
        condition,
      },
    };
  }

  /** Says exactly why a scope refused: gone, past its reset, blocked, model, or which budget. */
  private refusal(scope: Scope, item: Record<string, unknown> | undefined, cost: number, model: string, now: Date): DomainError {
    if (!item) {
      return scope.kind === 'member'
        ? unauthenticated(`The key's user is no longer a member of its team (${scope.label}).`)
        : unauthenticated(`${scope.label} no longer exists.`);
    }
    const resetAt = item.budget_reset_at as string | null | undefined;
    if (resetAt && resetAt <= now.toISOString() && item.budget_duration) return new ResetDue(item as unknown as DueBudget);
    if (item.blocked === true) return unauthenticated(`${scope.label} is blocked.`);
    const models = item.models as string[] | undefined;
    if (scope.checkModels && models && models.length > 0 && !models.includes(model) && !models.includes(ALL_MODELS)) {
      return unauthenticated(`${scope.label} is not allowed to access model ${model}. Allowed models: ${models.join(', ')}.`);
    }
    return budgetExceeded(scope, item, cost);
  }

  /** Retries what a budget past its reset time or a concurrent transaction interrupted. */
  private async withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    for (let i = 1; ; i++) {
      try {
        return await attempt();
      } catch (err) {
        if (i >= MAX_ATTEMPTS) {
          if (err instanceof TransactionConflictError) throw new DomainError('rate_limited', 'Too many concurrent requests on the same budget; retry shortly.');
          throw err;
        }
        if (err instanceof ScopeMoved) continue;
        if (err instanceof ResetDue) {
          // Until the job runs, a budget past its reset time is treated as reset: reset it now.
          await this.resets.resetItem(err.item);
        } else if (err instanceof TransactionConflictError) {
          await new Promise((r) => setTimeout(r, Math.random() * 10 * i));
        } else throw err;
      }
    }
  }

  /**
   * Settles a request: adds the actual cost to every scope and releases its
   * reservation. A record is kept per request id; sending it again changes nothing.
   * A cost above the reservation is charged only as far as every budget allows;
   * the rest is kept on the record as `uncharged`, never pushed over a cap.
   * Only the key that authorized the request (or that key regenerated) may settle
   * it or read its record; to any other key the request id does not exist.
   */
  async record(
    secret: string,
    input: { request_id: string; cost: number; model?: string; prompt_tokens?: number | null; completion_tokens?: number | null; details?: Record<string, unknown> },
  ) {
    // One read for the key, the reservation and an earlier record of this request.
    const hash = sha256Hex(secret);
    const found = await this.table.batchGet<Record<string, unknown> & ItemKey>([keys.key(hash), keys.reservation(input.request_id), keys.spendRecord(input.request_id)]);
    const pick = <T>(k: ItemKey) => found.find((i) => i.PK === k.PK && i.SK === k.SK) as T | undefined;
    const key = pick<KeyItem & { regenerated_from?: string[] }>(keys.key(hash));
    const reservation = pick<Reservation>(keys.reservation(input.request_id));
    // The secret that authorized it (even if its key was deleted since), or the key it was regenerated into.
    // Within a regenerate's grace period the old secret also settles what its successor reserved.
    const graced = key ? undefined : await keyForSecret(this.table, secret, this.clock());
    const madeBy = (token: string) => token === hash || token === graced?.token || (key?.regenerated_from ?? []).includes(token);
    // BatchGetItem reads each item on its own: a concurrent record of this request may
    // have settled between the two reads, so look for its record again before refusing.
    const existing =
      pick<SpendRecord>(keys.spendRecord(input.request_id)) ??
      (reservation ? undefined : await this.table.get<SpendRecord>(keys.spendRecord(input.request_id)));
    const owned = existing ? madeBy(existing.token) : reservation ? madeBy(reservation.token) : false;
    if (!key && !owned) throw unauthenticated('Invalid API key: it does not match any key.');
    if (!owned) throw unknownRequest(input.request_id);
    if (existing) return { ...publicSpendRecord(existing), duplicate: true };
    const open = reservation!;
    /** The budgets the committed settlement charged, for the alert check. */
    let settledScopes: ItemKey[] = [];

    const settle = async (charged: number) => {
      const now = this.clock().toISOString();
      const record: SpendRecord = {
        request_id: input.request_id,
        token: open.token,
        user_id: open.user_id !== undefined ? open.user_id : (key?.user_id ?? null),
        team_id: open.team_id !== undefined ? open.team_id : (key?.team_id ?? null),
        model: input.model ?? open.model,
        cost: input.cost,
        charged,
        reserved: open.amount,
        prompt_tokens: input.prompt_tokens ?? null,
        completion_tokens: input.completion_tokens ?? null,
        created_at: now,
        ...(input.details ? { details: input.details } : {}),
      };
      const delta = charged - open.amount;
      const scopes = await this.liveScopes(open.scopes);
      const stored = { ...record, uncharged: money(input.cost - charged) };
      await this.table.transact([
        {
          put: {
            ...keys.spendRecord(input.request_id),
            ...indexKeys.spendRecord(open.token, now, input.request_id),
            ...indexKeys.spendOwners(record.user_id, record.team_id, now, input.request_id),
            type: 'spend_record',
            ...stored,
          },
          condition: mustNotExist(() => new AlreadyRecorded(input.request_id)),
        },
        { delete: keys.reservation(input.request_id), condition: { expression: 'attribute_exists(PK)', onFail: () => notFound(`Reservation ${input.request_id} was released before it was recorded.`, 'request_id') } },
        ...scopes.map((scopeKey) => this.settleOp(scopeKey, charged, open.amount, delta)),
      ]);
      settledScopes = scopes;
      return { ...publicSpendRecord(stored), duplicate: false };
    };

    const result = await this.withRetries(async () => {
      try {
        return await this.settleWithinBudgets(settle, input.cost, open.amount);
      } catch (err) {
        // A concurrent record of the same request won: answer with it.
        if (!(err instanceof AlreadyRecorded)) throw err;
        const record = await this.table.get<SpendRecord>(keys.spendRecord(input.request_id));
        return { ...publicSpendRecord(record!), duplicate: true };
      }
    });
    // After the commit, outside the retried part: records crossed thresholds (one
    // conditional write each) and sends their emails without waiting. Never throws.
    if (!result.duplicate && settledScopes.length > 0) await this.alerts?.afterSettle(settledScopes);
    return result;
  }

  /**
   * The scopes a reservation was made on, as they are now: a regenerated key's
   * budget is followed to its current item; a deleted key, membership, team or
   * user is left out (its counters went with it).
   */
  private async liveScopes(scopes: ItemKey[]): Promise<ItemKey[]> {
    const existing = await this.table.batchGet<ItemKey>(scopes);
    const live: ItemKey[] = [];
    for (const scope of scopes) {
      if (existing.some((e) => e.PK === scope.PK && e.SK === scope.SK)) live.push(scope);
      else if (scope.SK === 'KEY') {
        const current = await this.successorOf(scope.PK.slice('KEY#'.length));
        if (current) live.push(current);
      }
    }
    return live;
  }

  /** The item a regenerated key lives in now, following its forwarding items; undefined once deleted. */
  private async successorOf(token: string): Promise<ItemKey | undefined> {
    let current = token;
    for (let hop = 0; hop < MAX_REGENERATIONS; hop++) {
      const forward = await this.table.get<{ token: string }>(keys.keyForward(current));
      if (!forward) return undefined;
      current = forward.token;
      if (await this.table.get(keys.key(current))) return keys.key(current);
    }
    return undefined;
  }

  /** Charges the actual cost, or only the reservation when the excess does not fit every budget. */
  private async settleWithinBudgets<T>(settle: (charged: number) => Promise<T>, cost: number, reserved: number): Promise<T> {
    if (cost <= reserved) return settle(cost);
    try {
      return await settle(cost);
    } catch (err) {
      if (err instanceof DomainError && err.kind === 'budget_exceeded') return settle(reserved);
      throw err;
    }
  }

  private settleOp(scopeKey: ItemKey, charged: number, reserved: number, delta: number): TransactOp {
    return {
      update: scopeKey,
      change: {
        expression: `SET #spend = #spend + :charged, #reserved = #reserved - :reserved, #used = #used + :delta, #remaining = #remaining - :delta ${COUNTER_VERSION_BUMP.clause}`,
        names: { '#spend': 'spend', '#reserved': 'reserved_spend', '#used': 'used', '#remaining': 'budget_remaining', ...COUNTER_VERSION_BUMP.names },
        values: { ':charged': charged, ':reserved': reserved, ':delta': delta, ...COUNTER_VERSION_BUMP.values },
        condition: {
          expression: delta > 0 ? 'attribute_exists(PK) AND #remaining >= :delta' : 'attribute_exists(PK)',
          onFail: (item) => (item ? new DomainError('budget_exceeded', 'over budget', null) : new ScopeMoved(scopeKey)),
        },
      },
    };
  }

  /**
   * Releases reservations never settled, oldest first (run by the reset job), page
   * by page until none is left. One being settled or released by someone else at
   * this moment is left alone: it is either gone now or released by the next run.
   */
  async releaseExpired(opts: { pageSize?: number } = {}): Promise<number> {
    const now = this.clock().toISOString();
    let released = 0;
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.table.query<Reservation & ItemKey>({ index: 'GSI4', pk: 'RESERVATION', skAtMost: `${now}#\uffff`, limit: opts.pageSize ?? 500, cursor });
      cursor = page.cursor;
      for (const r of page.items.filter((i) => i.expires_at <= now)) {
        const live = await this.liveScopes(r.scopes);
        try {
          await this.table.transact([
            { delete: keys.reservation(r.request_id), condition: { expression: 'attribute_exists(PK)', onFail: () => notFound('already settled', null) } },
            ...live.map((scopeKey) => this.settleOp(scopeKey, 0, r.amount, -r.amount)),
          ]);
          released++;
        } catch (err) {
          if (!(err instanceof DomainError || err instanceof TransactionConflictError)) throw err;
        }
      }
    } while (cursor);
    return released;
  }
}

