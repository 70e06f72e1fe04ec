import { randomUUID } from 'node:crypto';
import { keys, type ItemKey } from '../db/keys';
import { expiredReservations, keyTokenOf } from '../db/queries';
import { retryOnConflict, TransactionConflictError, type Table } from '../db/table';
import { DomainError, notFound, unauthenticated } from '../core/errors';
import { sha256Hex } from '../core/ids';
import type { KeyItem } from '../keys/model';
import { keyForSecret } from '../keys/rotation';
import { assertKeyMayCall } from '../keys/routes';
import { ALL_MODELS } from '../keys/service';
import { assertUsableKey } from '../keys/usable';
import type { BudgetAlerts } from './alerts';
import { money, publicSpendRecord, RESERVE_MINUTES, type RequestItem, type Reservation, type SpendRecord } from './model';
import { BudgetReset } from './reset';
import {
  AlreadyRecorded,
  recordOps,
  releaseUpdate,
  reservationDelete,
  reservationOps,
  ResetDue,
  reserveUpdate,
  scopesOf,
  ScopeMoved,
  settleUpdate,
  unknownRequest,
} from './updates';

export { publicSpendRecord, RESERVE_MINUTES, type Reservation, type SpendRecord } from './model';

const MAX_ATTEMPTS = 8;
/** How far a chain of regenerations is followed to find a key's current item. */
const MAX_REGENERATIONS = 10;

type RecordInput = { request_id: string; cost: number; model?: string; prompt_tokens?: number | null; completion_tokens?: number | null; details?: Record<string, unknown> };

/**
 * What a gateway calls around each model request: `authorize` reserves the
 * estimated cost on every budget on the key's path (key, membership, team, user)
 * in one conditional transaction; `record` settles the actual cost, once per
 * request id. The writes and their conditions are built in ./updates.ts.
 *
 * Round trips: authorize reads the key (GetItem) and writes one transaction;
 * record reads the reservation (GetItem), writes one transaction, then reads the
 * charged budgets once for the alert check.
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

  /** `route`: the path the key is calling through, checked against the key's `allowed_routes`. */
  async authorize(secret: string, input: { model: string; estimated_cost: number; request_id?: string; route?: string }) {
    // Within a regenerate's grace period the old secret stands for the new key item.
    // The team's `blocked` is checked by the transaction's condition, not read here.
    const key = assertUsableKey(await keyForSecret(this.table, secret, this.clock()), this.clock());
    if (input.route) assertKeyMayCall(key, input.route);
    if (key.models.length > 0 && !key.models.includes(input.model) && !key.models.includes(ALL_MODELS)) {
      throw unauthenticated(`key not allowed to access model. This key can only access models=${JSON.stringify(key.models)}. Tried to access ${input.model}.`);
    }
    const requestId = input.request_id ?? randomUUID();
    const scopes = scopesOf(key);
    const reservation = await this.withRetries(async () => {
      const now = this.clock();
      const res: Reservation = {
        request_id: requestId,
        amount: input.estimated_cost,
        model: input.model,
        token: key.token,
        user_id: key.user_id,
        team_id: key.team_id,
        scopes: scopes.map((s) => s.key),
        expires_at: new Date(now.getTime() + RESERVE_MINUTES * 60_000).toISOString(),
      };
      await this.table.transact([...reservationOps(res), ...scopes.map((scope) => reserveUpdate(scope, input.estimated_cost, input.model, now))]);
      return res;
    });
    return { allowed: true, request_id: requestId, reserved: input.estimated_cost, expires_at: reservation.expires_at, key: key.token, user_id: key.user_id, team_id: key.team_id, model: input.model };
  }

  /** Retries what a budget past its reset time or a concurrent transaction interrupted. */
  private withRetries<T>(attempt: () => Promise<T>): Promise<T> {
    return retryOnConflict(
      async () => {
        try {
          return await attempt();
        } catch (err) {
          // Until the job runs, a budget past its reset time is treated as reset: reset it now, then retry.
          if (err instanceof ResetDue) await this.resets.resetItem(err.item);
          throw err;
        }
      },
      {
        attempts: MAX_ATTEMPTS,
        backoffMs: 10,
        retryAlso: (err) => err instanceof ScopeMoved || err instanceof ResetDue,
        exhausted: (err) => (err instanceof TransactionConflictError ? new DomainError('rate_limited', 'Too many concurrent requests on the same budget; retry shortly.') : (err as Error)),
      },
    );
  }

  /**
   * Settles a request: adds the actual cost to every scope and releases its
   * reservation. A record is kept per request id; sending it again changes nothing.
   * A cost above the reservation is charged only as far as every budget allows;
   * the rest is kept on the record as `uncharged`, never pushed over a cap.
   * Only the key that authorized the request (or that key regenerated) may settle
   * it or read its record; to any other key the request id does not exist.
   */
  async record(secret: string, input: RecordInput) {
    const hash = sha256Hex(secret);
    // The common case: the request's item is its open reservation, naming this very key
    // (and who it was for); recording replaces it with the record: one GetItem decides.
    const item = await this.table.get<RequestItem>(keys.request(input.request_id));
    const reservation = item?.type === 'reservation' ? item : undefined;
    const own = reservation && reservation.token === hash && reservation.user_id !== undefined;
    const found = own ? { open: reservation } : await this.findSettlement(hash, secret, input.request_id);
    if ('done' in found) return found.done;
    const open = found.open;
    const keyOwner = 'key' in found ? found.key : undefined;
    /** The budgets the committed settlement charged, for the alert check. */
    let settledScopes: ItemKey[] = [];
    /** The reservation's scopes are tried as they are; only once one has moved (or gone) are they resolved again. */
    let resolveScopes = false;

    const settle = async (charged: number) => {
      const now = this.clock().toISOString();
      const record: SpendRecord = {
        request_id: input.request_id,
        token: open.token,
        user_id: open.user_id !== undefined ? open.user_id : (keyOwner?.user_id ?? null),
        team_id: open.team_id !== undefined ? open.team_id : (keyOwner?.team_id ?? null),
        model: input.model ?? open.model,
        cost: input.cost,
        charged,
        reserved: open.amount,
        prompt_tokens: input.prompt_tokens ?? null,
        completion_tokens: input.completion_tokens ?? null,
        created_at: now,
        ...(input.details ? { details: input.details } : {}),
      };
      const scopes = resolveScopes ? await this.liveScopes(open.scopes) : open.scopes;
      const stored = { ...record, uncharged: money(input.cost - charged) };
      try {
        await this.table.transact([...recordOps(stored), ...scopes.map((scopeKey) => settleUpdate(scopeKey, charged, open.amount))]);
      } catch (err) {
        if (err instanceof ScopeMoved) resolveScopes = true;
        throw err;
      }
      settledScopes = scopes;
      return { ...publicSpendRecord(stored), duplicate: false };
    };

    const result = await this.withRetries(async () => {
      try {
        return await this.settleWithinBudgets(settle, input.cost, open.amount);
      } catch (err) {
        // A concurrent record of the same request won: answer with it.
        if (!(err instanceof AlreadyRecorded)) throw err;
        const record = await this.table.get<SpendRecord>(keys.request(input.request_id));
        return { ...publicSpendRecord(record!), duplicate: true };
      }
    });
    // After the commit, outside the retried part: records crossed thresholds (one
    // conditional write each) and sends their emails without waiting. Never throws.
    if (!result.duplicate && settledScopes.length > 0) await this.alerts?.afterSettle(settledScopes);
    return result;
  }

  /**
   * The rarer cases of a record, when the reservation alone does not decide: already
   * recorded (a replay), made by the key this secret was regenerated from (or into,
   * within its grace period), an old reservation without its owner, or no such request.
   * One BatchGetItem for the key and the request's item (its reservation or its record).
   */
  private async findSettlement(hash: string, secret: string, requestId: string): Promise<{ open: Reservation; key?: KeyItem } | { done: Record<string, unknown> }> {
    const found = await this.table.batchGet<Record<string, unknown> & ItemKey>([keys.key(hash), keys.request(requestId)]);
    const pick = <T>(k: ItemKey) => found.find((i) => i.PK === k.PK && i.SK === k.SK) as T | undefined;
    const key = pick<KeyItem & { regenerated_from?: string[] }>(keys.key(hash));
    const request = pick<RequestItem>(keys.request(requestId));
    const reservation = request?.type === 'reservation' ? request : undefined;
    // The secret that authorized it (even if its key was deleted since), or the key it was regenerated into.
    // Within a regenerate's grace period the old secret also settles what its successor reserved.
    const graced = key ? undefined : await keyForSecret(this.table, secret, this.clock());
    const madeBy = (token: string) => token === hash || token === graced?.token || (key?.regenerated_from ?? []).includes(token);
    const existing = request?.type === 'spend_record' ? request : undefined;
    const owned = existing ? madeBy(existing.token) : reservation ? madeBy(reservation.token) : false;
    if (!key && !owned) throw unauthenticated('Invalid API key: it does not match any key.');
    if (!owned) throw unknownRequest(requestId, RESERVE_MINUTES);
    if (existing) return { done: { ...publicSpendRecord(existing), duplicate: true } };
    return { open: reservation!, ...(key ? { key } : {}) };
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
      else {
        const token = keyTokenOf(scope);
        const current = token ? await this.successorOf(token) : undefined;
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

  /**
   * Releases reservations never settled, oldest first (run by the reset job), page
   * by page until none is left. One being settled or released by someone else at
   * this moment is left alone: it is either gone now or released by the next run.
   */
  async releaseExpired(opts: { pageSize?: number } = {}): Promise<number> {
    const now = this.clock();
    let released = 0;
    for await (const page of this.table.pages<Reservation & ItemKey>({ ...expiredReservations(now), limit: opts.pageSize ?? 500 })) {
      for (const r of page.filter((i) => i.expires_at <= now.toISOString())) {
        const live = await this.liveScopes(r.scopes);
        try {
          await this.table.transact([reservationDelete(r.request_id, () => notFound('already settled', null)), ...live.map((scopeKey) => releaseUpdate(scopeKey, r.amount))]);
          released++;
        } catch (err) {
          if (!(err instanceof DomainError || err instanceof TransactionConflictError)) throw err;
        }
      }
    }
    return released;
  }
}
