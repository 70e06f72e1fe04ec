import { dueBudgets } from '../db/queries';
import { retryOnConflict, type Table } from '../db/table';
import { logger } from '../core/logger';
import type { DueBudget } from './model';
import { AlreadyMoved, resetUpdate } from './updates';

export type { DueBudget } from './model';
export { nextAfter } from './updates';
/** The reset of one due budget (named `resetOp` since the reset ran in transactions). */
export { resetUpdate as resetOp } from './updates';

export type ResetSummary = { reset: Record<string, number>; skipped: number; failed: number; pages: number };

/** Reset updates in flight at once. Each is one item, so one slow or contended item holds up nothing else. */
export const RESET_CONCURRENCY = 32;
const MAX_ATTEMPTS = 5;

/**
 * A write that met a concurrent transaction on the same item (an authorize or record
 * on this budget): a single UpdateItem gets `TransactionConflictException` from the
 * SDK, a transaction our own error. Both are safe to retry.
 */
const isSdkConflict = (err: unknown) => (err as { name?: string } | null)?.name === 'TransactionConflictException';

/** Runs `work` on every item with at most `limit` in flight. */
async function eachWithLimit<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * The scheduled budget reset: reads only what is due from the sparse reset index,
 * never scans, and resets each due budget with one conditional UpdateItem (1 write
 * unit for an item under 1 KB; a transaction would cost 2 and buys nothing, since
 * each budget resets on its own), {@link RESET_CONCURRENCY} in flight. Safe to kill
 * and rerun at any point: every update is conditional on the reset time it read.
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
  async resetItem(item: DueBudget, now: Date = this.clock()): Promise<boolean> {
    const op = resetUpdate(item, now);
    try {
      await retryOnConflict(() => this.table.update(op.update, op.change), { attempts: MAX_ATTEMPTS, retryAlso: isSdkConflict });
      return true;
    } catch (err) {
      if (err instanceof AlreadyMoved) return false;
      throw err;
    }
  }

  /**
   * Resets everything due now, page by page. `concurrency` (formerly `batchSize`, when
   * items went in transactions of that many) bounds the updates in flight; `maxPages`
   * stops early (tests of a run killed half-way). Fails loudly: when any item failed,
   * throws an AggregateError with the summary after trying every other item.
   */
  async run(opts: { pageSize?: number; concurrency?: number; batchSize?: number; maxPages?: number } = {}): Promise<ResetSummary> {
    const now = this.clock();
    const concurrency = opts.concurrency ?? opts.batchSize ?? RESET_CONCURRENCY;
    const summary: ResetSummary = { reset: { key: 0, user: 0, team: 0, member: 0 }, skipped: 0, failed: 0, pages: 0 };
    const errors: unknown[] = [];
    // Pages forward with the cursor: what was reset has moved past `now`, and a GSI
    // read just after a write may still show the old entry (GSIs are eventually
    // consistent), so re-reading the first page could meet the same items again.
    for await (const page of this.table.pages<DueBudget>({ ...dueBudgets(now), limit: opts.pageSize ?? 1000 })) {
      const due = page.filter((i) => i.budget_reset_at <= now.toISOString());
      if (due.length === 0) continue;
      summary.pages++;
      await eachWithLimit(due, concurrency, async (item) => {
        try {
          if (await this.resetItem(item, now)) summary.reset[item.type] = (summary.reset[item.type] ?? 0) + 1;
          else summary.skipped++;
        } catch (err) {
          summary.failed++;
          errors.push(err);
          logger.error('budget reset failed for an item', { pk: item.PK, sk: item.SK, error: err as Error });
        }
      });
      logger.info('budget reset progress', { page: summary.pages, due: due.length, ...summary.reset });
      if (opts.maxPages && summary.pages >= opts.maxPages) break;
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
