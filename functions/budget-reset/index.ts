import type { Context } from 'aws-lambda';
import { resetJobDeps, runResetJob, type ResetJobSummary } from '../../shared/spend/job';
import { loadTableConfig } from '../../shared/config/table-config';
import { logger } from '../../shared/core/logger';

/**
 * The scheduled budget reset, invoked by EventBridge (the monthly rule and the
 * every-5-minutes rule). It needs only the table, so it reads only the table's
 * settings and no secret; with `ONRAMP_SES_SENDER` set (the stack sets it and
 * grants SES sending) it also retries budget alert emails not yet sent. A bad setting
 * fails the cold start; a failed reset throws, so the invocation is an error
 * that the CloudWatch alarm on the function's Errors metric reports.
 */
const sender = process.env.ONRAMP_SES_SENDER;
const deps = resetJobDeps(loadTableConfig(process.env), undefined, sender ? { sender, endpoint: process.env.ONRAMP_SES_ENDPOINT || undefined } : undefined);

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
