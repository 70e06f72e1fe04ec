import { AuditLog } from '../audit/log';
import { Logins } from '../auth/logins';
import { SessionSigner } from '../auth/session';
import { SsoSignIn } from '../auth/sso';
import type { Config } from '../config/config';
import type { Deps } from './deps';
import { createDocumentClient, Table } from '../db/table';
import { SesMailer, type Mailer } from '../email/mailer';
import { BudgetAlerts } from '../spend/alerts';
import { Gateway } from '../spend/gateway';
import { Invitations } from '../invitations/service';
import { BudgetReset } from '../spend/reset';
import { Keys } from '../keys/service';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerCredentials, TableCredentials, type CredentialStore } from '../models/credentials';
import { Models } from '../models/registry';
import { ModelCalls } from '../gateway/calls';
import { SpendLogs } from '../spend/logs';
import { Usage } from '../spend/usage';
import { SecretSeal } from '../keys/sealed-secret';
import { KeyRotation } from '../keys/rotation';
import { Provisioning } from '../provisioning/service';
import { Settings } from '../settings/service';
import { Teams } from '../teams/service';
import { Users } from '../users/service';

export type { Deps };

export function buildDeps(config: Config, overrides: { clock?: () => Date; table?: Table; mailer?: Mailer; fetch?: typeof fetch; credentials?: CredentialStore } = {}): Deps {
  const clock = overrides.clock ?? (() => new Date());
  const table =
    overrides.table ??
    new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  const users = new Users(table, clock);
  const settings = new Settings(table, clock);
  const teams = new Teams(table, users, clock);
  const mailer = overrides.mailer ?? new SesMailer({ region: config.region, sender: config.sesSender, endpoint: config.sesEndpoint });
  const budgetAlerts = new BudgetAlerts(table, mailer, clock);
  const keys = new Keys(table, users, teams, clock, new SecretSeal(config.jwtSecret));
  const gateway = new Gateway(table, clock, budgetAlerts);
  const spendLogs = new SpendLogs(table, clock);
  const invitations = new Invitations({ table, clock, users, mailer, jwtSecret: config.jwtSecret });
  const provisioning = new Provisioning({ users, teams, settings, keys, invitations });
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
    sso: config.sso ? new SsoSignIn(config.sso, config.jwtSecret, provisioning) : undefined,
    gateway,
    budgetReset: new BudgetReset(table, clock),
    budgetAlerts,
    keyRotation: new KeyRotation(table, clock, config.keyRotationGracePeriod),
    models,
    modelCalls: new ModelCalls(table, keys, models, gateway, clock, overrides.fetch),
    spendLogs,
    usage: new Usage(users, teams, spendLogs, keys, budgetAlerts, clock),
    invitations,
    provisioning,
    mailer,
    audit: new AuditLog(table, clock, config.auditRetentionDays),
  };
}

/** Secrets Manager on AWS (the stack sets the prefix); locally the credential stays on the model row. */
function modelCredentials(config: Config): CredentialStore {
  if (!config.modelSecretsPrefix) return new TableCredentials();
  return new SecretsManagerCredentials(new SecretsManagerClient({ region: config.region }), { prefix: config.modelSecretsPrefix });
}
