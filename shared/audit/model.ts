/**
 * An audit entry, in LiteLLM's `LiteLLM_AuditLogs` shape: who changed what, when,
 * and the object before and after, with secrets removed (see ./redact.ts).
 */
export type AuditEntry = {
  id: string;
  /** When the change was made (ISO 8601). */
  updated_at: string;
  /** The user id that acted (`default_user_id` for the master key), or `anonymous`. */
  changed_by: string;
  /** SHA-256 of the virtual key that acted; '' when it was the master key or a session. */
  changed_by_api_key: string;
  /** created, updated, deleted, blocked, unblocked, rotated, login, logout, … */
  action: string;
  /** What kind of object: LiteLLM's table name where it has one (see AUDIT_TABLES). */
  table_name: string;
  object_id: string;
  before_value: Record<string, unknown> | null;
  updated_values: Record<string, unknown> | null;
};

/** LiteLLM's table names for the objects it audits too; onramp's own names for the rest. */
export const AUDIT_TABLES = {
  user: 'LiteLLM_UserTable',
  team: 'LiteLLM_TeamTable',
  key: 'LiteLLM_VerificationToken',
  member: 'LiteLLM_TeamMembership',
  invitation: 'LiteLLM_InvitationLink',
  settings: 'LiteLLM_Config',
  session: 'onramp_session',
  budget: 'onramp_budget_reset',
  model: 'LiteLLM_ProxyModelTable',
} as const;
export type AuditObject = keyof typeof AUDIT_TABLES;

/** Who did it, as the request's authentication found them. */
export type AuditActor = { changed_by: string; changed_by_api_key: string };

/** How long entries are kept unless `ONRAMP_AUDIT_RETENTION_DAYS` says otherwise. */
export const DEFAULT_AUDIT_RETENTION_DAYS = 90;
