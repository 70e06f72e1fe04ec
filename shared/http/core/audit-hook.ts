import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { matchedRoutes } from 'hono/route';
import { SESSION_COOKIE } from '../../auth/session';
import type { AuditChange } from '../../audit/log';
import { AUDIT_TABLES, type AuditActor } from '../../audit/model';
import { auditValue } from '../../audit/redact';
import { AUDIT_TARGETS, fallbackTarget, NOT_AUDITED, snapshot, type AuditTarget, type RequestFacts } from '../../audit/targets';
import { logger } from '../../core/logger';
import type { AppEnv } from './env';
import { isForm, isJson, isJsonType } from './media-type';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Audits every request that changes something: installed once on the whole app, after
 * authentication, so no route — JSON or page, old or new — can skip it. A POST, PUT,
 * PATCH or DELETE (and the GETs listed in AUDIT_TARGETS, such as /logout) reads the
 * objects it names before the route runs and again after it succeeded, and writes one
 * entry per object (secrets removed). Failed requests changed nothing and write none.
 *
 * The entries are written right after the change, before the answer is sent, not in
 * the change's own transaction: that would mean every service passing its writes
 * here. If writing them fails, the change stands and the entries go to the error
 * log whole, so none is lost.
 */
export const auditMutations = createMiddleware<AppEnv>(async (c, next) => {
  const route = matchedRoutes(c)
    .filter((r) => r.method !== 'ALL')
    .at(-1);
  if (!route || NOT_AUDITED.test(c.req.path)) return next();
  const described = AUDIT_TARGETS[`${c.req.method} ${route.path}`];
  if (!described && SAFE_METHODS.has(c.req.method)) return next();
  const targets = described ? [described].flat() : [fallbackTarget(route.path)];

  const deps = c.get('deps');
  const principal = c.get('principal');
  const facts: RequestFacts = { body: await bodyOf(c), params: paramsOf(route.path, c.req.path), caller: principal?.userId };
  const before = await Promise.all(targets.map((target) => snapshots(c, target, facts)));

  await next();
  if (c.error || c.res.status >= 400) return;

  facts.response = await responseJson(c.res);
  facts.location = c.res.headers.get('location') ?? undefined;
  facts.signedIn = await signedInUser(c);
  // Anonymous and sent elsewhere (a page's redirect to sign in, a sign-out with no session): nothing changed.
  if (!principal && !facts.signedIn && c.res.status >= 300) return;
  const after = await Promise.all(targets.map((target, i) => snapshots(c, target, facts, [...before[i]!.keys()])));
  const actor: AuditActor = {
    changed_by: principal?.userId ?? facts.signedIn ?? 'anonymous',
    changed_by_api_key: principal?.keyHash ?? '',
  };
  const changes = targets.flatMap((target, i) =>
    [...after[i]!.keys()].map((id): AuditChange => changeOf(target, facts, id, before[i]!.get(id) ?? null, after[i]!.get(id) ?? null)),
  );
  // Nothing named: still one entry, so the change is on record.
  if (changes.length === 0) changes.push(changeOf(targets[0]!, facts, '', null, null));
  try {
    await deps.audit.record(actor, changes);
  } catch (error) {
    logger.error('audit entries not written; they are here instead', { requestId: c.get('requestId'), actor, changes, error });
  }
});

function changeOf(target: AuditTarget, facts: RequestFacts, id: string, before: Record<string, unknown> | null, after: Record<string, unknown> | null): AuditChange {
  const fromRequest = 'fromRequest' in target;
  return {
    action: target.action ?? (before && !after ? 'deleted' : !before && after ? 'created' : 'updated'),
    table_name: AUDIT_TABLES[target.object as keyof typeof AUDIT_TABLES] ?? target.object,
    object_id: id,
    before_value: auditValue(before),
    updated_values: auditValue(fromRequest ? facts.body : target.object === 'budget' ? (facts.response ?? null) : after),
  };
}

/** The objects the request names, as they are now (ids already seen are read again too). */
async function snapshots(c: Context<AppEnv>, target: AuditTarget, facts: RequestFacts, also: string[] = []) {
  const deps = c.get('deps');
  let ids: (string | undefined)[] = [];
  try {
    ids = await target.ids(facts, deps);
  } catch (error) {
    // A malformed reference: the route itself will refuse it.
    logger.debug('audit ids not resolved', { error });
  }
  const unique = [...new Set([...also, ...ids.filter((id): id is string => !!id)])];
  const values = await Promise.all(unique.map(async (id) => [id, await snapshot(deps, target.object, id)] as const));
  return new Map(values);
}

/** The request's fields (JSON or form); {} when there are none or they do not parse (the route refuses those). */
async function bodyOf(c: Context<AppEnv>): Promise<Record<string, unknown>> {
  try {
    const body: unknown = isJson(c) ? await c.req.json() : isForm(c) ? await c.req.parseBody({ all: true }) : {};
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** `/key/:key/regenerate` against `/key/abc/regenerate` → { key: 'abc' }. */
function paramsOf(pattern: string, path: string): Record<string, string> {
  const names = pattern.split('/');
  const values = path.split('/');
  const params: Record<string, string> = {};
  names.forEach((name, i) => {
    if (name.startsWith(':') && values[i] !== undefined) params[name.slice(1)] = decodedOrRaw(values[i]!);
  });
  return params;
}

/** A path segment decoded; one that is not valid percent-encoded UTF-8 is kept as sent (the route refuses it, the hook must not fail). */
function decodedOrRaw(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

async function responseJson(res: Response): Promise<Record<string, unknown> | undefined> {
  if (!isJsonType(res.headers.get('content-type') ?? undefined)) return undefined;
  try {
    const body: unknown = await res.clone().json();
    return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The user a sign-in just started a session for, read from the session cookie it set. */
async function signedInUser(c: Context<AppEnv>): Promise<string | undefined> {
  for (const cookie of c.res.headers.getSetCookie()) {
    const [name, ...rest] = cookie.split(';')[0]!.split('=');
    if (name?.trim() !== SESSION_COOKIE) continue;
    const token = rest.join('=').trim();
    if (!token) continue;
    const session = await c.get('deps').sessions.verify(decodeURIComponent(token));
    if (session) return session.userId;
  }
  return undefined;
}
