import { keys as tableKeys } from '../db/keys';
import { keyHashByAlias } from '../db/queries';
import { invitationHash } from '../invitations/model';
import { publicKey, tokenHashOf } from '../keys/model';
import { publicModel } from '../models/model';
import { publicTeam } from '../teams/model';
import { publicUser } from '../users/model';
import type { Table } from '../db/table';
import type { Keys } from '../keys/service';
import type { Models } from '../models/registry';
import type { Settings } from '../settings/service';
import type { Teams } from '../teams/service';
import type { Users } from '../users/service';
import type { AuditObject } from './model';

/**
 * What each mutating route changes, so the audit hook (http/core/audit-hook.ts) can read
 * the objects before and after it runs. Keyed by `METHOD /route/path` as the router
 * matched it. A route missing here is still audited, with the request's fields as
 * its values (see `fallbackTarget`); one listed here gets real before/after values.
 */

/** What the audit hook reads to name and snapshot the objects a request changes. */
export type AuditReaders = {
  table: Pick<Table, 'get'>;
  users: Pick<Users, 'get' | 'byEmail'>;
  teams: Pick<Teams, 'get'>;
  keys: Pick<Keys, 'get'>;
  settings: Pick<Settings, 'internalUser'>;
  models: Pick<Models, 'get'>;
};

/** What the hook knows of a request: its fields, and after it ran, its answer. */
export type RequestFacts = {
  body: Record<string, unknown>;
  params: Record<string, string>;
  /** The JSON answer, after the route ran. */
  response?: Record<string, unknown>;
  /** Where a page sent the browser after a post. */
  location?: string;
  /** The user a sign-in route just started a session for. */
  signedIn?: string;
  /** The caller's user id. */
  caller?: string;
};

export type AuditTarget = {
  object: AuditObject | string;
  /** The ids of the objects the request changes; called before the route (no response yet) and after. */
  ids: (facts: RequestFacts, deps: AuditReaders) => Promise<(string | undefined)[]> | (string | undefined)[];
  /** The action, when it is more than created / updated / deleted (worked out from before and after). */
  action?: string;
};

/** Routes that are not management changes: the gateway's hot path, recorded in spend logs instead. */
export const NOT_AUDITED = /^\/(?:spend\/(?:authorize|record)$|v1\/|chat\/|completions$|embeddings$|responses$|images\/|audio\/|moderations$|rerank$|openai\/)/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const keyHash = (ref: unknown): string | undefined => {
  try {
    return typeof ref === 'string' ? tokenHashOf(ref) : undefined;
  } catch {
    return undefined;
  }
};
const keyByAlias = async (deps: AuditReaders, alias: unknown) => (typeof alias === 'string' ? keyHashByAlias(deps.table, alias) : undefined);
const userByEmail = async (deps: AuditReaders, email: unknown) => (typeof email === 'string' ? (await deps.users.byEmail(email))?.user_id : undefined);
const member = (teamId: unknown, userId: string | undefined) => (typeof teamId === 'string' && userId ? `${teamId}/${userId}` : undefined);
const memberRefs = (v: unknown): Record<string, unknown>[] => (Array.isArray(v) ? v : v && typeof v === 'object' ? [v] : []) as Record<string, unknown>[];
const fromLocation = (location: string | undefined, pattern: RegExp) => (location ? pattern.exec(location)?.[1] : undefined);

const session: AuditTarget['ids'] = (f) => [f.signedIn ?? str(f.response?.user_id)];
const keyRef: AuditTarget['ids'] = (f) => [keyHash(f.body.key), str(f.response?.token)];

/** A route that changes several kinds of object lists one target for each. */
export const AUDIT_TARGETS: Record<string, AuditTarget | AuditTarget[]> = {
  // users (a new user may come with a key and an invitation)
  'POST /user/new': [
    { object: 'user', ids: (f) => [str(f.response?.user_id)] },
    { object: 'key', ids: (f) => [str(f.response?.token)] },
    { object: 'invitation', ids: (f) => [hashOf((f.response?.invitation as Record<string, unknown> | undefined)?.id)] },
  ],
  'POST /user/update': { object: 'user', ids: async (f, d) => [str(f.body.user_id) ?? (await userByEmail(d, f.body.user_email)), str(f.response?.user_id)] },
  'POST /user/delete': { object: 'user', ids: (f) => strs(f.body.user_ids) },
  // teams and members
  'POST /team/new': [
    { object: 'team', ids: (f) => [str(f.response?.team_id)] },
    { object: 'member', ids: (f) => strs((f.response?.members_with_roles as { user_id?: string }[] | undefined)?.map((m) => m.user_id)).map((u) => member(f.response?.team_id, u)) },
  ],
  'POST /team/update': { object: 'team', ids: (f) => [str(f.body.team_id)] },
  'POST /team/delete': { object: 'team', ids: (f) => strs(f.body.team_ids) },
  'POST /team/permissions_update': { object: 'team', ids: (f) => [str(f.body.team_id)] },
  'POST /team/member_add': [
    {
      object: 'member',
      ids: async (f, d) => Promise.all(memberRefs(f.body.member).map(async (m) => member(f.body.team_id, str(m.user_id) ?? (await userByEmail(d, m.user_email))))),
    },
    // Members named by email: an email nobody has yet makes a new user.
    { object: 'user', ids: async (f, d) => Promise.all(memberRefs(f.body.member).filter((m) => !m.user_id).map((m) => userByEmail(d, m.user_email))) },
  ],
  'POST /team/member_delete': { object: 'member', ids: async (f, d) => [member(f.body.team_id, str(f.body.user_id) ?? (await userByEmail(d, f.body.user_email)))] },
  'POST /team/member_update': { object: 'member', ids: async (f, d) => [member(f.body.team_id, str(f.body.user_id) ?? (await userByEmail(d, f.body.user_email)))] },
  // default user settings
  'PATCH /update/internal_user_settings': { object: 'settings', ids: () => ['internal_user'] },
  // keys
  'POST /key/generate': { object: 'key', ids: (f) => [str(f.response?.token)] },
  'POST /key/update': { object: 'key', ids: async (f, d) => [keyHash(f.body.key) ?? (await keyByAlias(d, f.body.key_alias))] },
  'POST /key/delete': { object: 'key', ids: async (f, d) => [...strs(f.body.keys).map(keyHash), ...(await Promise.all(strs(f.body.key_aliases).map((a) => keyByAlias(d, a))))] },
  'POST /key/regenerate': { object: 'key', action: 'rotated', ids: keyRef },
  'POST /key/rotated_secret': { object: 'key', action: 'secret_revealed', ids: keyRef },
  'POST /key/:key/regenerate': { object: 'key', action: 'rotated', ids: (f) => [keyHash(f.params.key), str(f.response?.token)] },
  'POST /key/block': { object: 'key', action: 'blocked', ids: keyRef },
  'POST /key/unblock': { object: 'key', action: 'unblocked', ids: keyRef },
  // invitations: the id is the secret in the link, so entries name its hash
  'POST /invitation/new': { object: 'invitation', ids: (f) => [hashOf(f.response?.id)] },
  'POST /invitation/update': { object: 'invitation', ids: (f) => [hashOf(f.body.invitation_id)] },
  'POST /invitation/delete': { object: 'invitation', ids: (f) => [hashOf(f.body.invitation_id)] },
  'POST /invitation/resend': { object: 'invitation', action: 'resent', ids: (f) => [hashOf(f.body.invitation_id), hashOf(f.response?.id)] },
  // models
  'POST /model/new': { object: 'model', ids: (f) => [str(f.response?.model_id)] },
  'POST /model/update': { object: 'model', ids: (f) => [str((f.body.model_info as Record<string, unknown> | undefined)?.id)] },
  'PATCH /model/:model_id/update': { object: 'model', ids: (f) => [f.params.model_id] },
  'POST /model/delete': { object: 'model', ids: (f) => [str(f.body.id)] },
  'POST /ui/models': { object: 'model', ids: () => [] },
  'POST /ui/models/:id': { object: 'model', ids: (f) => [f.params.id] },
  'POST /ui/models/:id/delete': { object: 'model', ids: (f) => [f.params.id] },
  // passwords: a request names no user (it must not tell whether the email has an account), and
  // the reset link's id is a secret, so neither route may fall back to its request fields
  'POST /password/forgot': { object: 'user', action: 'password_reset_requested', ids: () => [] },
  'POST /ui/forgot-password': { object: 'user', action: 'password_reset_requested', ids: () => [] },
  'POST /password/reset': { object: 'user', action: 'password_reset', ids: (f) => [str(f.response?.user_id)] },
  'POST /ui/reset-password': { object: 'user', action: 'password_reset', ids: () => [] },
  'POST /ui/account': { object: 'user', action: 'password_changed', ids: (f) => [f.caller] },
  // sign-in, onboarding, sign-out
  'POST /login': { object: 'session', action: 'login', ids: session },
  'POST /v2/login': { object: 'session', action: 'login', ids: session },
  'GET /sso/callback': { object: 'session', action: 'login', ids: session },
  'POST /logout': { object: 'session', action: 'logout', ids: (f) => [f.caller] },
  'GET /logout': { object: 'session', action: 'logout', ids: (f) => [f.caller] },
  'POST /onboarding/claim_token': { object: 'user', action: 'onboarded', ids: (f) => [str(f.body.user_id), f.signedIn] },
  // the budget reset job, run by hand
  'POST /budget/reset': { object: 'budget', action: 'reset', ids: () => ['budget_reset'] },
  // web pages
  'POST /ui/login': { object: 'session', action: 'login', ids: session },
  'POST /ui/onboarding': { object: 'user', action: 'onboarded', ids: (f) => [f.signedIn] },
  'POST /ui/keys': { object: 'key', action: 'created', ids: async (f, d) => [await keyByAlias(d, f.body.key_alias)] },
  'POST /ui/keys/:token/delete': { object: 'key', ids: (f) => [keyHash(f.params.token)] },
  'POST /ui/settings': { object: 'settings', ids: () => ['internal_user'] },
  'POST /ui/teams': { object: 'team', ids: (f) => [fromLocation(f.location, /^\/ui\/teams\/([^/?#]+)/)] },
  'POST /ui/teams/:id/permissions': { object: 'team', ids: (f) => [f.params.id] },
  'POST /ui/teams/:id/members': { object: 'member', ids: async (f, d) => [member(f.params.id, await userByEmail(d, f.body.user_email))] },
  'POST /ui/teams/:id/members/remove': { object: 'member', ids: (f) => [member(f.params.id, str(f.body.user_id))] },
  'POST /ui/users': { object: 'user', ids: async (f, d) => [await userByEmail(d, f.body.user_email)] },
  'POST /ui/users/:id/resend': { object: 'user', action: 'invited', ids: (f) => [f.params.id] },
  'POST /ui/users/:id': { object: 'user', ids: (f) => [f.params.id] },
  'POST /ui/users/:id/delete': { object: 'user', ids: (f) => [f.params.id] },
  'POST /ui/teams/:id/edit': { object: 'team', ids: (f) => [f.params.id] },
  'POST /ui/teams/:id/delete': { object: 'team', ids: (f) => [f.params.id] },
  'POST /ui/teams/:id/members/:userId/edit': { object: 'member', ids: (f) => [member(f.params.id, f.params.userId)] },
};

function hashOf(id: unknown): string | undefined {
  return typeof id === 'string' && id ? invitationHash(id) : undefined;
}

/**
 * A route no one described: audited anyway, its object named by its path and the
 * first id-like field of its request, its values the request's fields (without secrets).
 */
export function fallbackTarget(path: string): AuditTarget & { fromRequest: true } {
  const segments = path.split('/').filter((s) => s && s !== 'ui' && s !== 'v1' && s !== 'v2' && !s.startsWith(':'));
  return {
    object: segments[0] ?? 'unknown',
    action: segments.at(-1) ?? 'changed',
    fromRequest: true,
    ids: (f) => {
      const idField = Object.entries({ ...f.params, ...f.body }).find(([k, v]) => (k === 'id' || k.endsWith('_id')) && typeof v === 'string');
      return [(idField?.[1] as string | undefined) ?? str(f.response?.id)];
    },
  };
}

/** The object as it is stored now, without storage attributes; null when there is none. */
export async function snapshot(deps: AuditReaders, object: string, id: string): Promise<Record<string, unknown> | null> {
  switch (object) {
    case 'user': {
      const user = await deps.users.get(id);
      return user ? publicUser(user) : null;
    }
    case 'team': {
      const team = await deps.teams.get(id);
      return team ? publicTeam(team) : null;
    }
    case 'key': {
      const key = await deps.keys.get(id);
      return key ? publicKey(key) : null;
    }
    case 'member': {
      const [teamId, userId] = id.split('/') as [string, string];
      const [team, membership] = await Promise.all([deps.teams.get(teamId), deps.table.get<Record<string, unknown>>(tableKeys.member(teamId, userId))]);
      const summary = team?.members?.[userId];
      return summary || membership ? { team_id: teamId, ...membership, ...summary } : null;
    }
    case 'invitation':
      return (await deps.table.get<Record<string, unknown>>(tableKeys.invitation(id))) ?? null;
    case 'settings':
      return (await deps.settings.internalUser()) as unknown as Record<string, unknown>;
    case 'model': {
      const model = await deps.models.get(id);
      return model ? publicModel(model) : null;
    }
    default:
      return null;
  }
}

