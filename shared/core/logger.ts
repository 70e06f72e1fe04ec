import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured (JSON) logger for the whole service. Powertools' logger is made for
 * Lambda (request ids, sampling, CloudWatch-friendly JSON) and works the same locally.
 * Level: POWERTOOLS_LOG_LEVEL (default INFO).
 */
export const logger = new Logger({ serviceName: 'onramp' });
