import { App, type Environment } from 'aws-cdk-lib';
import { OnrampStatefulStack } from './stateful-stack';
import { OnrampStatelessStack } from './stateless-stack';

/** Deploy-time settings; each can come from CDK context (`-c name=value`) or the environment. */
export interface OnrampSettings {
  /** SES sender / From address. Context `senderEmail`, env `ONRAMP_SES_SENDER`. */
  readonly senderEmail: string;
  /** Context `proxyBaseUrl`, env `PROXY_BASE_URL`. */
  readonly proxyBaseUrl?: string;
  /** Context `proxyLogoutUrl`, env `PROXY_LOGOUT_URL`. */
  readonly proxyLogoutUrl?: string;
  /** Who is emailed when a budget reset fails. Context `alarmEmail`, env `ONRAMP_ALARM_EMAIL`. */
  readonly alarmEmail?: string;
  /** Bedrock model ids the model gateway may invoke. Context `bedrockModels` (comma-separated), env `ONRAMP_BEDROCK_MODELS`. */
  readonly bedrockModels?: string[];
  /** SSO (OpenID Connect), on when set; its client secret goes in the `SsoClientSecret` secret. */
  readonly sso?: SsoSettings;
}

/** The SSO settings the API function gets (see shared/config/config.ts); never the client secret itself. */
export interface SsoSettings {
  /** Context `ssoIssuer`, env `ONRAMP_SSO_ISSUER`. */
  readonly issuer: string;
  /** Context `ssoClientId`, env `GENERIC_CLIENT_ID`. */
  readonly clientId: string;
  /** Context `ssoScope`, env `GENERIC_SCOPE`. @default 'openid email profile' (in the app) */
  readonly scope?: string;
  /** Context `ssoEmailClaim`, env `GENERIC_USER_EMAIL_ATTRIBUTE`. @default 'email' (in the app) */
  readonly emailClaim?: string;
  /** Context `ssoTeamsClaim`, env `ONRAMP_SSO_TEAMS_CLAIM`. */
  readonly teamsClaim?: string;
  /** Context `ssoTeamMap`, env `ONRAMP_SSO_TEAM_MAP` (JSON). */
  readonly teamMap?: string;
  /** Context `disablePasswordLogin`, env `ONRAMP_DISABLE_PASSWORD_LOGIN`: `true` turns password sign-in off. */
  readonly disablePasswordLogin?: boolean;
}

export const DEFAULT_SENDER_EMAIL = 'onramp@example.com';

/** Reads the settings (context wins over environment) and rejects malformed ones at synth time. */
export function readSettings(app: App, env: Record<string, string | undefined> = process.env): OnrampSettings {
  const pick = (contextKey: string, envKey: string): string | undefined => {
    const fromContext: unknown = app.node.tryGetContext(contextKey);
    const value = typeof fromContext === 'string' && fromContext !== '' ? fromContext : env[envKey];
    return value === undefined || value === '' ? undefined : value;
  };
  const email = (name: string, value: string | undefined): string | undefined => {
    if (value !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) {
      throw new Error(`${name} must be an email address, got "${value}"`);
    }
    return value;
  };
  const senderEmail = email('senderEmail', pick('senderEmail', 'ONRAMP_SES_SENDER') ?? DEFAULT_SENDER_EMAIL)!;
  const url = (name: string, value: string | undefined): string | undefined => {
    if (value !== undefined && !/^https?:\/\/[^\s]+$/.test(value)) {
      throw new Error(`${name} must be an http(s) URL, got "${value}"`);
    }
    return value;
  };
  return {
    senderEmail,
    proxyBaseUrl: url('proxyBaseUrl', pick('proxyBaseUrl', 'PROXY_BASE_URL')),
    proxyLogoutUrl: url('proxyLogoutUrl', pick('proxyLogoutUrl', 'PROXY_LOGOUT_URL')),
    alarmEmail: email('alarmEmail', pick('alarmEmail', 'ONRAMP_ALARM_EMAIL')),
    bedrockModels: bedrockModels(pick('bedrockModels', 'ONRAMP_BEDROCK_MODELS')),
    sso: readSsoSettings(pick),
  };
}

function readSsoSettings(pick: (contextKey: string, envKey: string) => string | undefined): SsoSettings | undefined {
  const issuer = pick('ssoIssuer', 'ONRAMP_SSO_ISSUER');
  const clientId = pick('ssoClientId', 'GENERIC_CLIENT_ID');
  const disable = pick('disablePasswordLogin', 'ONRAMP_DISABLE_PASSWORD_LOGIN');
  if (disable !== undefined && disable !== 'true' && disable !== 'false') throw new Error(`disablePasswordLogin must be true or false, got "${disable}"`);
  if (!issuer) {
    if (clientId) throw new Error('ssoClientId is set but ssoIssuer is not: SSO needs the issuer URL');
    if (disable === 'true') throw new Error('disablePasswordLogin=true needs SSO (ssoIssuer and ssoClientId), or nobody but admin could sign in');
    return undefined;
  }
  // The API function only ever talks to a deployed IdP: no plain HTTP here.
  if (!/^https:\/\/[^\s]+$/.test(issuer)) throw new Error(`ssoIssuer must be an https URL, got "${issuer}"`);
  if (!clientId) throw new Error('ssoIssuer is set but ssoClientId is not');
  return {
    issuer,
    clientId,
    scope: pick('ssoScope', 'GENERIC_SCOPE'),
    emailClaim: pick('ssoEmailClaim', 'GENERIC_USER_EMAIL_ATTRIBUTE'),
    teamsClaim: pick('ssoTeamsClaim', 'ONRAMP_SSO_TEAMS_CLAIM'),
    teamMap: pick('ssoTeamMap', 'ONRAMP_SSO_TEAM_MAP'),
    disablePasswordLogin: disable === 'true',
  };
}

function bedrockModels(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const ids = value.split(',').map((v) => v.trim()).filter(Boolean);
  const bad = ids.find((id) => !/^[a-z0-9][a-z0-9.:_-]*$/.test(id));
  if (bad) throw new Error(`bedrockModels must be Bedrock model ids separated by commas, got "${bad}"`);
  return ids;
}

/** Adds both onramp stacks to `app`. Free of side effects, so tests can call it. */
export function buildApp(app: App, settings: OnrampSettings = readSettings(app)) {
  // Environment-agnostic unless the CLI resolved an account/region from credentials.
  const env: Environment = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const stateful = new OnrampStatefulStack(app, 'OnrampStateful', {
    env,
    description: 'onramp: table, secrets, SES identity (retained on delete)',
    senderEmail: settings.senderEmail,
    sso: settings.sso !== undefined,
  });
  const stateless = new OnrampStatelessStack(app, 'OnrampStateless', {
    env,
    description: 'onramp: API function and HTTP API',
    table: stateful.table,
    jwtSecret: stateful.jwtSecret,
    masterKeySecret: stateful.masterKeySecret,
    emailIdentity: stateful.emailIdentity,
    senderEmail: stateful.senderEmail,
    proxyBaseUrl: settings.proxyBaseUrl,
    proxyLogoutUrl: settings.proxyLogoutUrl,
    alarmEmail: settings.alarmEmail,
    sso: settings.sso && stateful.ssoClientSecret ? { ...settings.sso, clientSecret: stateful.ssoClientSecret } : undefined,
    bedrockModels: settings.bedrockModels,
  });
  return { stateful, stateless };
}

// Only synthesize when run as the CDK app (cdk.json), not when imported by tests.
if (require.main === module) {
  const app = new App();
  buildApp(app);
  app.synth();
}
