import * as z from 'zod/mini';
import '../core/zod-english';
import { isValidGracePeriod, MAX_GRACE_PERIOD } from '../keys/rotation';

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
  ONRAMP_SSO_ISSUER: optionalUrl,
  GENERIC_CLIENT_ID: z.optional(z.string().check(z.maxLength(1024))),
  GENERIC_CLIENT_SECRET: z.optional(z.string().check(z.maxLength(4096))),
  GENERIC_SCOPE: z._default(
    z.string().check(z.refine((s) => s.split(/\s+/).includes('openid'), { error: 'must include "openid"' })),
    'openid email profile',
  ),
  GENERIC_USER_EMAIL_ATTRIBUTE: z._default(z.string().check(z.minLength(1)), 'email'),
  ONRAMP_SSO_TEAMS_CLAIM: z.optional(z.string().check(z.minLength(1))),
  ONRAMP_SSO_TEAM_MAP: z.optional(z.string()),
  ONRAMP_DISABLE_PASSWORD_LOGIN: z._default(z.enum(['true', 'false']), 'false'),
  ONRAMP_KEY_ROTATION_GRACE_PERIOD: z.optional(
    z.string().check(z.refine(isValidGracePeriod, { error: `must be a duration such as 24h, at most ${MAX_GRACE_PERIOD}` })),
  ),
  ONRAMP_AUDIT_RETENTION_DAYS: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(3650)), 90),
  // Set by the CDK stack: model credentials then live in Secrets Manager, one secret per model under this prefix.
  ONRAMP_MODEL_SECRETS_PREFIX: z.optional(
    z.string().check(z.regex(/^[A-Za-z0-9/_+=.@-]{1,200}$/, { error: 'must be a Secrets Manager name prefix (1-200 of A-Z a-z 0-9 / _ + = . @ -)' })),
  ),
  // LiteLLM's manual endpoint settings: onramp reads them from the issuer's discovery document instead.
  GENERIC_AUTHORIZATION_ENDPOINT: z.optional(z.string()),
});

/**
 * OpenID Connect sign-in, on when `ONRAMP_SSO_ISSUER` is set.
 * @example { issuer: 'https://login.example.com', clientId: 'onramp', clientSecret: '…', scope: 'openid email profile', emailClaim: 'email' }
 */
export type SsoConfig = {
  /** The IdP's issuer URL; its `/.well-known/openid-configuration` gives every endpoint. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  scope: string;
  /** The claim holding the user's email (LiteLLM's `GENERIC_USER_EMAIL_ATTRIBUTE`). */
  emailClaim: string;
  /** The claim listing the user's IdP groups, when groups map to teams. */
  teamsClaim: string | undefined;
  /** IdP group → onramp team ids; without it a group value is taken as a team id (LiteLLM's way). */
  teamMap: Record<string, string[]> | undefined;
};

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
  /** OpenID Connect sign-in; undefined when not configured. */
  sso: SsoConfig | undefined;
  /** False when password sign-in is turned off (SSO only; `admin` with the master key still works). */
  passwordLogin: boolean;
  /** Days an audit entry is kept before DynamoDB's TTL removes it. @default 90 */
  auditRetentionDays: number;
  /** How long the old secret of a key rotated by the schedule keeps working (ONRAMP_KEY_ROTATION_GRACE_PERIOD); unset, the default 24h. */
  keyRotationGracePeriod: string | undefined;
  /** On AWS, model credentials are kept in Secrets Manager under this name prefix; unset (locally), on the model row. */
  modelSecretsPrefix: string | undefined;
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
  const problems = ssoProblems(e);
  if (problems.length) throw new ConfigError(problems);
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
    sso: e.ONRAMP_SSO_ISSUER
      ? {
          issuer: e.ONRAMP_SSO_ISSUER.replace(/\/+$/, ''),
          clientId: e.GENERIC_CLIENT_ID!,
          clientSecret: e.GENERIC_CLIENT_SECRET!,
          scope: e.GENERIC_SCOPE,
          emailClaim: e.GENERIC_USER_EMAIL_ATTRIBUTE,
          teamsClaim: e.ONRAMP_SSO_TEAMS_CLAIM,
          teamMap: e.ONRAMP_SSO_TEAM_MAP ? parseTeamMap(e.ONRAMP_SSO_TEAM_MAP) : undefined,
        }
      : undefined,
    passwordLogin: e.ONRAMP_DISABLE_PASSWORD_LOGIN !== 'true',
    auditRetentionDays: e.ONRAMP_AUDIT_RETENTION_DAYS,
    modelSecretsPrefix: e.ONRAMP_MODEL_SECRETS_PREFIX,
    keyRotationGracePeriod: e.ONRAMP_KEY_ROTATION_GRACE_PERIOD,
  };
}

type ParsedEnv = z.infer<typeof envSchema>;

/** The SSO settings only make sense together; each missing piece is named. */
function ssoProblems(e: ParsedEnv): string[] {
  const problems: string[] = [];
  if (e.ONRAMP_SSO_ISSUER) {
    if (!e.GENERIC_CLIENT_ID) problems.push('GENERIC_CLIENT_ID is required when ONRAMP_SSO_ISSUER is set');
    if (!e.GENERIC_CLIENT_SECRET) problems.push('GENERIC_CLIENT_SECRET is required when ONRAMP_SSO_ISSUER is set');
    const url = new URL(e.ONRAMP_SSO_ISSUER);
    // Plain HTTP would let anyone on the path forge sign-ins; only a provider on this machine may use it.
    if (url.protocol === 'http:' && !LOOPBACK.has(url.hostname)) problems.push('ONRAMP_SSO_ISSUER must be https (http only for localhost / 127.0.0.1)');
    if (e.ONRAMP_SSO_TEAM_MAP) {
      try {
        parseTeamMap(e.ONRAMP_SSO_TEAM_MAP);
      } catch (err) {
        problems.push(`ONRAMP_SSO_TEAM_MAP ${(err as Error).message}`);
      }
      if (!e.ONRAMP_SSO_TEAMS_CLAIM) problems.push('ONRAMP_SSO_TEAMS_CLAIM is required when ONRAMP_SSO_TEAM_MAP is set');
    }
  } else {
    if (e.GENERIC_CLIENT_ID || e.GENERIC_AUTHORIZATION_ENDPOINT) {
      problems.push('ONRAMP_SSO_ISSUER is required for SSO: onramp reads the endpoints from the issuer\'s discovery document');
    }
    if (e.ONRAMP_DISABLE_PASSWORD_LOGIN === 'true') problems.push('ONRAMP_DISABLE_PASSWORD_LOGIN=true needs SSO (ONRAMP_SSO_ISSUER), or nobody but admin could sign in');
  }
  return problems;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** `{"group": "team id" | ["team id", …]}` → group → team ids. */
function parseTeamMap(text: string): Record<string, string[]> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error('must be JSON: {"<IdP group>": "<team id>" or ["<team id>", …]}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('must be a JSON object of IdP group → team id(s)');
  const map: Record<string, string[]> = {};
  for (const [group, teams] of Object.entries(value)) {
    const ids = typeof teams === 'string' ? [teams] : teams;
    if (!Array.isArray(ids) || ids.some((t) => typeof t !== 'string' || t === '')) throw new Error(`group "${group}" must map to a team id or a list of team ids`);
    map[group] = ids as string[];
  }
  return map;
}
