import { indexKeys } from '../db/keys';
import { TransactionConflictError, type Table, type TransactOp } from '../db/table';
import { DomainError } from '../errors';
import { logger } from '../logger';
import { nextResetAt } from '../budgets/duration';
import { COUNTER_VERSION_BUMP } from '../budgets/state';

/** A budget-bearing item as the reset index (GSI4, projected ALL) returns it. */
export type DueBudget = {
  PK: string;
  SK: string;
  type: 'key' | 'user' | 'team' | 'member';
  budget_duration: string;
  budget_reset_at: string;
  spend?: number;
};

export type ResetSummary = { reset: Record<string, number>; skipped: number; failed: number; pages: number };

/** Raised by a reset condition: the item moved on meanwhile (reset by someone else, or its period changed). */
class AlreadyMoved extends DomainError {
  constructor() {
    super('conflict', 'budget already reset or changed');
  }
}

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
 * concurrently with another run or an inline reset) changes nothing the second time.
 */
export function resetOp(item: DueBudget, now: Date): TransactOp {
  const next = nextAfter(item.budget_duration, new Date(item.budget_reset_at), now).toISOString();
  return {
    update: { PK: item.PK, SK: item.SK },
    change: {
      expression:
        `SET #remaining = #remaining + #spend, #used = #reserved, last_period_spend = #spend, #spend = :zero, last_reset_at = :now, #reset_at = :next, GSI4SK = :gsi ${COUNTER_VERSION_BUMP.clause}`,
      names: { '#remaining': 'budget_remaining', '#spend': 'spend', '#used': 'used', '#reserved': 'reserved_spend', '#reset_at': 'budget_reset_at', ...COUNTER_VERSION_BUMP.names },
      values: { ':zero': 0, ':now': now.toISOString(), ':next': next, ':gsi': indexKeys.budgetReset(next, item.PK, item.SK).GSI4SK, ':old': item.budget_reset_at, ...COUNTER_VERSION_BUMP.values },
      condition: { expression: '#reset_at = :old', onFail: () => new AlreadyMoved() },
    },
  };
}

/**
 * The scheduled budget reset: reads only what is due from the sparse reset index,
 * never scans, resets in transactions of up to 100 conditional updates, and is
 * safe to kill and rerun at any point.
 */
export class BudgetReset {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
  ) {}

  /**
   * Resets one due budget; false when it had already moved on. A conflict with a
   * concurrent authorize/record on the same budget is retried a few times, so one
   * busy key does not fail the whole run.
   */
  async resetItem(item: DueBudget): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.table.transact([resetOp(item, this.clock())]);
        return true;
      } catch (err) {
        if (err instanceof AlreadyMoved) return false;
        if (err instanceof TransactionConflictError && attempt < 5) {
          await new Promise((r) => setTimeout(r, 20 * attempt + Math.random() * 20));
          continue;
        }
        throw err;
      }
    }
  }

  async run(opts: { pageSize?: number; batchSize?: number; maxPages?: number } = {}): Promise<ResetSummary> {
    const now = this.clock();
    const summary: ResetSummary = { reset: { key: 0, user: 0, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 0 };
    const errors: unknown[] = [];
    const until = `${now.toISOString()}#\uffff`;
    let cursor: Record<string, unknown> | undefined;
    for (;;) {
      // Pages forward with the cursor: what was reset has moved past `until`, and a GSI
      // read just after a write may still show the old entry (GSIs are eventually
      // consistent), so re-reading the first page could meet the same items again.
      const page = await this.table.query<DueBudget>({ index: 'GSI4', pk: 'BUDGET_RESET', skAtMost: until, limit: opts.pageSize ?? 1000, cursor });
      cursor = page.cursor;
      const due = page.items.filter((i) => i.budget_reset_at <= now.toISOString());
      if (due.length === 0) {
        if (cursor) continue;
        break;
      }
      summary.pages++;
      const batch = opts.batchSize ?? 100;
      const chunks: DueBudget[][] = [];
      for (let i = 0; i < due.length; i += batch) chunks.push(due.slice(i, i + batch));
      await Promise.all(
        chunks.map(async (chunk) => {
          try {
            await this.table.transact(chunk.map((item) => resetOp(item, now)));
            for (const item of chunk) summary.reset[item.type] = (summary.reset[item.type] ?? 0) + 1;
          } catch {
            // One item moved (or a conflict): fall back to one update each, so one item never blocks the batch.
            for (const item of chunk) {
              try {
                if (await this.resetItem(item)) {
                  summary.reset[item.type] = (summary.reset[item.type] ?? 0) + 1;
                } else summary.skipped++;
              } catch (err) {
                summary.failed++;
                errors.push(err);
                logger.error('budget reset failed for an item', { pk: item.PK, sk: item.SK, error: err as Error });
              }
            }
          }
        }),
      );
      logger.info('budget reset progress', { page: summary.pages, due: due.length, ...summary.reset });
      if (!cursor || (opts.maxPages && summary.pages >= opts.maxPages)) break;
    }
    // A run that found nothing due (most of the 5-minute ones) logs at debug only.
    if (summary.pages > 0) logger.info('budget reset summary', { ...summary, at: now.toISOString() });
    else logger.debug('budget reset summary', { ...summary, at: now.toISOString() });
    if (errors.length > 0) {
      throw new AggregateError(errors, `budget reset: ${summary.failed} item(s) failed; ${JSON.stringify(summary.reset)} were reset. Rerun to retry.`);
    }
    return summary;
  }
}

