import type { TableConfig } from '../table-config';
import { createDocumentClient, Table } from '../db/table';
import { logger } from '../logger';
import { Gateway } from './gateway';
import { BudgetReset, type ResetSummary } from './reset';
import { KeyRotation, type RotationSummary } from '../keys/rotation';

/** What one run of the budget-reset job did. */
export type ResetJobSummary = ResetSummary & { released_reservations: number; key_rotation?: RotationSummary };

/** The services the job uses (a subset of `Deps`, so the API's deps fit too). */
export type ResetJobDeps = { budgetReset: BudgetReset; gateway: Gateway; keyRotation?: KeyRotation };

/**
 * The job's dependencies from the table settings alone: no secrets, no email.
 * Used by the budget-reset Lambda and the local `npm run reset-budgets` CLI.
 */
export function resetJobDeps(config: TableConfig, clock: () => Date = () => new Date()): ResetJobDeps & { table: Table } {
  const table = new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  return { table, budgetReset: new BudgetReset(table, clock), gateway: new Gateway(table, clock), keyRotation: new KeyRotation(table, clock, config.keyRotationGracePeriod) };
}

/**
 * One run of the scheduled job: resets every due budget, then releases the
 * reservations never settled. Reservations are released even when some resets
 * failed; then the reset's error is thrown, so the run fails loudly (a Lambda
 * error, an alarm) instead of reporting a partial success.
 */
export async function runResetJob(deps: ResetJobDeps, opts?: Parameters<BudgetReset['run']>[0]): Promise<ResetJobSummary> {
  let summary: ResetSummary | undefined;
  let failure: unknown;
  try {
    summary = await deps.budgetReset.run(opts);
  } catch (err) {
    failure = err;
  }
  let released = 0;
  try {
    released = await deps.gateway.releaseExpired();
  } catch (err) {
    logger.error('releasing expired reservations failed', { error: err as Error });
    failure ??= err;
  }
  // Scheduled key rotation rides on the same schedule (every 5 minutes).
  let rotation: RotationSummary | undefined;
  try {
    rotation = await deps.keyRotation?.run();
  } catch (err) {
    logger.error('key rotation failed', { error: err as Error });
    failure ??= err;
  }
  if (failure !== undefined) throw failure;
  // Reported only when a key was due, so the summary of an ordinary run keeps its shape.
  const rotatedAny = rotation && rotation.rotated + rotation.skipped + rotation.failed > 0;
  return { ...summary!, released_reservations: released, ...(rotatedAny ? { key_rotation: rotation } : {}) };
}
