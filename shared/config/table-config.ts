/**
 * The settings of a job that only touches the table (the scheduled budget reset):
 * the table's name, its region and, locally, the DynamoDB endpoint. The reset
 * reads no secret and sends no email, so it is given (and granted) neither and
 * must not fail for want of them, which {@link loadConfig} would.
 *
 * Validated by the same rules as `shared/config/config.ts`, by hand rather than with zod,
 * so the reset bundle stays small (zod/mini with its English messages is ~55 KB minified).
 */
import type { Config } from './config';
import { isValidGracePeriod, MAX_GRACE_PERIOD } from '../keys/rotation';

export type TableConfig = Pick<Config, 'tableName' | 'dynamodbEndpoint' | 'region'> & {
  /** ONRAMP_KEY_ROTATION_GRACE_PERIOD: how long a rotated key's old secret keeps working (default 24h, at most 7d). */
  keyRotationGracePeriod?: string;
};

export class TableConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`onramp cannot start, its configuration is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (empty strings count as unset). */
export function loadTableConfig(env: Record<string, string | undefined> = process.env): TableConfig {
  const value = (name: string) => (env[name] === undefined || env[name] === '' ? undefined : env[name]);
  const problems: string[] = [];
  const tableName = value('ONRAMP_TABLE_NAME');
  if (tableName === undefined) problems.push('ONRAMP_TABLE_NAME is required');
  else if (!/^[A-Za-z0-9_.-]{3,255}$/.test(tableName)) problems.push('ONRAMP_TABLE_NAME must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)');
  const endpoint = value('ONRAMP_DYNAMODB_ENDPOINT');
  if (endpoint !== undefined && !isHttpUrl(endpoint)) problems.push('ONRAMP_DYNAMODB_ENDPOINT must be an http(s) URL');
  const grace = value('ONRAMP_KEY_ROTATION_GRACE_PERIOD');
  if (grace !== undefined && !isValidGracePeriod(grace)) problems.push(`ONRAMP_KEY_ROTATION_GRACE_PERIOD must be a duration such as 24h, at most ${MAX_GRACE_PERIOD}`);
  if (problems.length > 0) throw new TableConfigError(problems);
  return { tableName: tableName!, dynamodbEndpoint: endpoint, region: value('AWS_REGION') ?? 'us-east-1', ...(grace ? { keyRotationGracePeriod: grace } : {}) };
}

function isHttpUrl(value: string): boolean {
  try {
    return ['http:', 'https:'].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}
