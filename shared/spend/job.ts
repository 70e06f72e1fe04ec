import type { TableConfig } from '../config/table-config';
import { createDocumentClient, Table } from '../db/table';
import { logger } from '../core/logger';
import { SesMailer } from '../email/mailer';
import { BudgetAlerts } from './alerts';
import { Gateway } from './gateway';
import { BudgetReset, type ResetSummary } from './reset';
import { KeyRotation, type RotationSummary } from '../keys/rotation';

/** What one run of the budget-reset job did. */
export type ResetJobSummary = ResetSummary & { released_reservations: number; budget_alerts_retried?: number; key_rotation?: RotationSummary };

/** The services the job uses (a subset of `Deps`, so the API's deps fit too). */
export type ResetJobDeps = { budgetReset: BudgetReset; gateway: Gateway; budgetAlerts?: BudgetAlerts; keyRotation?: KeyRotation };

/**
 * The job's dependencies from the table settings alone: no secrets. Given an SES
 * sender (`ONRAMP_SES_SENDER`, and locally `ONRAMP_SES_ENDPOINT`), it also retries
 * budget alert emails not yet sent.
 * Used by the budget-reset Lambda and the local `npm run reset-budgets` CLI.
 */
export function resetJobDeps(
  config: TableConfig,
  clock: () => Date = () => new Date(),
  alertMail?: { sender: string; endpoint?: string },
): ResetJobDeps & { table: Table } {
  const table = new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  const budgetAlerts = alertMail ? new BudgetAlerts(table, new SesMailer({ region: config.region, ...alertMail }), clock) : undefined;
  return {
    table,
    budgetReset: new BudgetReset(table, clock),
    gateway: new Gateway(table, clock),
    keyRotation: new KeyRotation(table, clock, config.keyRotationGracePeriod),
    ...(budgetAlerts ? { budgetAlerts } : {}),
  };
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
  // Budget alert emails whose send failed or was cut short; a failure here fails no reset.
  let alertsRetried: number | undefined;
  if (deps.budgetAlerts) {
    try {
      alertsRetried = (await deps.budgetAlerts.retryPending()).retried;
    } catch (err) {
      logger.error('retrying budget alert emails failed; the next run retries them', { error: err as Error });
    }
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
  // Each part is reported only when it did something, so the summary of an ordinary run keeps its shape.
  const rotatedAny = rotation && rotation.rotated + rotation.skipped + rotation.failed > 0;
  return {
    ...summary!,
    released_reservations: released,
    ...(alertsRetried ? { budget_alerts_retried: alertsRetried } : {}),
    ...(rotatedAny ? { key_rotation: rotation } : {}),
  };
}
