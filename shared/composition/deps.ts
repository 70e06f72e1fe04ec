import type { AuditLog } from '../audit/log';
import type { Logins } from '../auth/logins';
import type { SessionSigner } from '../auth/session';
import type { SsoSignIn } from '../auth/sso';
import type { BudgetAlerts } from '../spend/alerts';
import type { Gateway } from '../spend/gateway';
import type { BudgetReset } from '../spend/reset';
import type { Config } from '../config/config';
import type { Table } from '../db/table';
import type { Mailer } from '../email/mailer';
import type { ModelCalls } from '../gateway/calls';
import type { Invitations } from '../invitations/service';
import type { Keys } from '../keys/service';
import type { KeyRotation } from '../keys/rotation';
import type { Models } from '../models/registry';
import type { Provisioning } from '../provisioning/service';
import type { Settings } from '../settings/service';
import type { SpendLogs } from '../spend/logs';
import type { Usage } from '../spend/usage';
import type { Teams } from '../teams/service';
import type { Users } from '../users/service';

/**
 * Everything a request handler or job needs, built once per process (Lambda cold start)
 * by `buildDeps` (shared/composition/services.ts). Types only, so the HTTP edge can name it without
 * importing the composition root.
 */
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
  /** Invitations and onboarding links. */
  invitations: Invitations;
  /** The flows that span services (creating users, member_add by email, claims, SSO sign-ups, team deletion). */
  provisioning: Provisioning;
  /** Sends the invitation emails (SES). */
  mailer: Mailer;
  /** Who changed what: written by the audit hook (http/core/audit-hook.ts). */
  audit: AuditLog;
};
