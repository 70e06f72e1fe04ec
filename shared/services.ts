import { AuditLog } from './audit/log';
import { Logins } from './auth/logins';
import { SessionSigner } from './auth/session';
import { SsoSignIn } from './auth/sso';
import type { Config } from './config';
import { createDocumentClient, Table } from './db/table';
import { SesMailer, type Mailer } from './email/mailer';
import { BudgetAlerts } from './budgets/alerts';
import { Gateway } from './budgets/gateway';
import { BudgetReset } from './budgets/reset';
import { Keys } from './keys/service';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerCredentials, TableCredentials, type CredentialStore } from './models/credentials';
import { Models } from './models/registry';
import { ModelCalls } from './gateway/calls';
import { SpendLogs } from './spend/logs';
import { Usage } from './spend/usage';
import { SecretSeal } from './keys/sealed-secret';
import { KeyRotation } from './keys/rotation';
import { Settings } from './settings/service';
import { Teams } from './teams/service';
import { Users } from './users/service';

/** Everything a request handler or job needs, built once per process (Lambda cold start). */
export type Deps = {
  config: Config;
  table: Table;
  clock: () => Date;
  sessions: SessionSigner;
  users: Users;
  teams: Teams;
  keys: Keys;
  settings: Settings;
  logins: Logins;
  /** OpenID Connect sign-in; undefined unless `ONRAMP_SSO_ISSUER` is set. */
  sso: SsoSignIn | undefined;
  gateway: Gateway;
  budgetReset: BudgetReset;
  /** The model registry (issue 12). */
  models: Models;
  /** Model calls on virtual keys: reserve, call the provider, settle. */
  modelCalls: ModelCalls;
  /** What users and admins see of spend (/spend/logs). */
  spendLogs: SpendLogs;
  /** The usage pages' data: spend by day, model and member, and the budgets that apply. */
  usage: Usage;
  /** Budget alert emails: sent when a settlement crosses a threshold, retried by the reset job. */
  budgetAlerts: BudgetAlerts;
  /** Scheduled key rotation, run with the budget reset (locally and by POST /budget/reset too). */
  keyRotation: KeyRotation;
  /** Sends the invitation emails (SES). */
  mailer: Mailer;
  /** Who changed what: written by the audit hook (http/audit-hook.ts). */
  audit: AuditLog;
};

export function buildDeps(config: Config, overrides: { clock?: () => Date; table?: Table; mailer?: Mailer; fetch?: typeof fetch; credentials?: CredentialStore } = {}): Deps {
  const clock = overrides.clock ?? (() => new Date());
  const table =
    overrides.table ??
    new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  const users = new Users(table, clock);
  const settings = new Settings(table, clock);
  const teams = new Teams(table, users, settings, clock);
  const mailer = overrides.mailer ?? new SesMailer({ region: config.region, sender: config.sesSender, endpoint: config.sesEndpoint });
  const budgetAlerts = new BudgetAlerts(table, mailer, clock);
  const keys = new Keys(table, users, teams, clock, new SecretSeal(config.jwtSecret));
  const gateway = new Gateway(table, clock, budgetAlerts);
  const spendLogs = new SpendLogs(table, clock);
  const models = new Models(table, clock, overrides.credentials ?? modelCredentials(config));
  return {
    config,
    table,
    clock,
    sessions: new SessionSigner(config.jwtSecret, config.sessionHours, (userId) => users.sessionStamp(userId)),
    users,
    teams,
    keys,
    settings,
    logins: new Logins(table, users, config.masterKey, clock, config.passwordLogin),
    sso: config.sso ? new SsoSignIn(config.sso, config.jwtSecret, { users, teams, settings, clock }, teams) : undefined,
    gateway,
    budgetReset: new BudgetReset(table, clock),
    budgetAlerts,
    keyRotation: new KeyRotation(table, clock, process.env.ONRAMP_KEY_ROTATION_GRACE_PERIOD || undefined),
    models,
    modelCalls: new ModelCalls(table, keys, models, gateway, clock, overrides.fetch),
    spendLogs,
    usage: new Usage(users, teams, spendLogs, keys, budgetAlerts, clock),
    mailer,
    audit: new AuditLog(table, clock, config.auditRetentionDays),
  };
}

/** Secrets Manager on AWS (the stack sets the prefix); locally the credential stays on the model row. */
function modelCredentials(config: Config): CredentialStore {
  if (!config.modelSecretsPrefix) return new TableCredentials();
  return new SecretsManagerCredentials(new SecretsManagerClient({ region: config.region }), { prefix: config.modelSecretsPrefix });
}
