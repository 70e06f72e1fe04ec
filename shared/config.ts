import * as z from 'zod/mini';
import './zod-english';

/**
 * Every setting onramp reads from the environment, validated once at start-up.
 * A missing or malformed value throws a {@link ConfigError} naming the variable,
 * so a misconfigured deploy fails loudly instead of half-working.
 */
const optionalUrl = z.optional(z.url({ protocol: /^https?$/ }));

const envSchema = z.object({
  ONRAMP_MASTER_KEY: z
    .string({ error: 'is required' })
    .check(
      z.startsWith('sk-', { error: 'must start with "sk-"' }),
      z.minLength(19, { error: 'must be "sk-" followed by at least 16 characters' }),
    ),
  ONRAMP_TABLE_NAME: z.string({ error: 'is required' }).check(
    z.regex(/^[A-Za-z0-9_.-]{3,255}$/, { error: 'must be a DynamoDB table name (3-255 of A-Z a-z 0-9 _ . -)' }),
  ),
  ONRAMP_JWT_SECRET: z.string({ error: 'is required' }).check(z.minLength(32, { error: 'must be at least 32 characters' })),
  ONRAMP_SES_SENDER: z.email({ error: 'must be an email address' }),
  PROXY_BASE_URL: optionalUrl,
  PROXY_LOGOUT_URL: optionalUrl,
  ONRAMP_DYNAMODB_ENDPOINT: optionalUrl,
  ONRAMP_SES_ENDPOINT: optionalUrl,
  ONRAMP_SESSION_HOURS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(720)), 12),
  AWS_REGION: z._default(z.string().check(z.minLength(1)), 'us-east-1'),
});

export type Config = {
  masterKey: string;
  tableName: string;
  jwtSecret: string;
  sesSender: string;
  /** Public origin of the app, used in emailed links; when unset the request's own origin is used. */
  proxyBaseUrl: string | undefined;
  proxyLogoutUrl: string | undefined;
  dynamodbEndpoint: string | undefined;
  sesEndpoint: string | undefined;
  sessionHours: number;
  region: string;
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`onramp cannot start, its configuration is invalid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment (empty strings count as unset). */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`));
  }
  const e = parsed.data;
  return {
    masterKey: e.ONRAMP_MASTER_KEY,
    tableName: e.ONRAMP_TABLE_NAME,
    jwtSecret: e.ONRAMP_JWT_SECRET,
    sesSender: e.ONRAMP_SES_SENDER,
    proxyBaseUrl: e.PROXY_BASE_URL?.replace(/\/+$/, ''),
    proxyLogoutUrl: e.PROXY_LOGOUT_URL,
    dynamodbEndpoint: e.ONRAMP_DYNAMODB_ENDPOINT,
    sesEndpoint: e.ONRAMP_SES_ENDPOINT,
    sessionHours: e.ONRAMP_SESSION_HOURS,
    region: e.AWS_REGION,
  };
}
