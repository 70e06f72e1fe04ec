import { Logins } from './auth/logins';
import { SessionSigner } from './auth/session';
import { SsoSignIn } from './auth/sso';
import type { Config } from './config';
import { createDocumentClient, Table } from './db/table';
import { SesMailer, type Mailer } from './email/mailer';
import { Gateway } from './budgets/gateway';
import { BudgetReset } from './budgets/reset';
import { Keys } from './keys/service';
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
  /** Scheduled key rotation, run with the budget reset (locally and by POST /budget/reset too). */
  keyRotation: KeyRotation;
  /** Sends the invitation emails (SES). */
  mailer: Mailer;
};

export function buildDeps(config: Config, overrides: { clock?: () => Date; table?: Table; mailer?: Mailer } = {}): Deps {
  const clock = overrides.clock ?? (() => new Date());
  const table =
    overrides.table ??
    new Table(createDocumentClient({ region: config.region, endpoint: config.dynamodbEndpoint }), config.tableName);
  const users = new Users(table, clock);
  const settings = new Settings(table, clock);
  const teams = new Teams(table, users, settings, clock);
  return {
    config,
    table,
    clock,
    sessions: new SessionSigner(config.jwtSecret, config.sessionHours, (userId) => users.sessionStamp(userId)),
    users,
    teams,
    keys: new Keys(table, users, teams, clock, new SecretSeal(config.jwtSecret)),
    settings,
    logins: new Logins(table, users, config.masterKey, clock, config.passwordLogin),
    sso: config.sso ? new SsoSignIn(config.sso, config.jwtSecret, { users, teams, settings, clock }, teams) : undefined,
    gateway: new Gateway(table, clock),
    budgetReset: new BudgetReset(table, clock),
    keyRotation: new KeyRotation(table, clock, process.env.ONRAMP_KEY_ROTATION_GRACE_PERIOD || undefined),
    mailer: overrides.mailer ?? new SesMailer({ region: config.region, sender: config.sesSender, endpoint: config.sesEndpoint }),
  };
}
