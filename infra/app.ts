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
