import type { Context } from 'aws-lambda';
import { resetJobDeps, runResetJob, type ResetJobSummary } from '../../shared/budgets/job';
import { loadTableConfig } from '../../shared/table-config';
import { logger } from '../../shared/logger';

/**
 * The scheduled budget reset, invoked by EventBridge (the monthly rule and the
 * every-5-minutes rule). It needs only the table, so it reads only the table's
 * settings: no secret, no SES (and the stack grants it neither). A bad setting
 * fails the cold start; a failed reset throws, so the invocation is an error
 * that the CloudWatch alarm on the function's Errors metric reports.
 */
const deps = resetJobDeps(loadTableConfig(process.env));

export const handler = async (_event?: unknown, context?: Context): Promise<ResetJobSummary> => {
  if (context) logger.addContext(context);
  try {
    const summary = await runResetJob(deps);
    logger.info('budget reset run done', { ...summary });
    return summary;
  } catch (err) {
    logger.error('budget reset run failed', { error: err as Error });
    throw err;
  }
};
