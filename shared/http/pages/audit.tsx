import { Hono } from 'hono';
import { MASTER_KEY_USER_ID } from '../../auth/roles';
import type { AuditEntry } from '../../audit/model';
import { AUDIT_TABLES } from '../../audit/model';
import type { AppEnv } from '../core/env';
import { Pager } from './blocks';
import { emptyForm } from './form-state';
import { formatDate } from './format';
import { Input, Select } from './forms';
import { chrome, Layout } from './layout';
import { actorOf, render, type PageContext } from './render';

const PAGE_SIZE = 25;
/** Object kinds in plain words, by table name. */
const KINDS: Record<string, string> = {
  [AUDIT_TABLES.user]: 'user',
  [AUDIT_TABLES.team]: 'team',
  [AUDIT_TABLES.key]: 'key',
  [AUDIT_TABLES.member]: 'team member',
  [AUDIT_TABLES.invitation]: 'invitation',
  [AUDIT_TABLES.settings]: 'default user settings',
  [AUDIT_TABLES.session]: 'sign-in',
  [AUDIT_TABLES.budget]: 'budget reset',
};
const KIND_OPTIONS: Array<[string, string]> = [['', 'Any'], ...Object.entries(KINDS)];
/** Bookkeeping every change touches: listing it would hide what changed. */
const NOISE = new Set(['updated_at', 'updated_by']);

const show = (v: unknown): string => (v === null || v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v));

/** The fields that differ, as [field, before, after]; for a creation or deletion, every field that has a value. */
export function changedFields(e: Pick<AuditEntry, 'before_value' | 'updated_values'>): Array<[string, unknown, unknown]> {
  const before = e.before_value ?? {};
  const after = e.updated_values ?? {};
  const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((f) => !NOISE.has(f)).sort();
  return fields
    .filter((f) => JSON.stringify(before[f] ?? null) !== JSON.stringify(after[f] ?? null))
    .map((f): [string, unknown, unknown] => [f, before[f] ?? null, after[f] ?? null]);
}

/** What the object is called, from its own values where it has a name. */
function objectName(e: AuditEntry): string {
  const v = { ...e.before_value, ...e.updated_values };
  const name = v.team_alias ?? v.user_email ?? v.key_alias ?? v.key_name;
  return typeof name === 'string' && name ? `${name} (${e.object_id})` : e.object_id || '—';
}

async function auditPage(c: PageContext) {
  const actor = actorOf(c);
  const deps = c.get('deps');
  const q = c.req.query();
  const page = Math.max(1, Number.parseInt(q.page ?? '1', 10) || 1);
  const filters = {
    table_name: q.table_name && KINDS[q.table_name] ? q.table_name : undefined,
    action: q.action?.trim() || undefined,
    object_id: q.object_id?.trim() || undefined,
    changed_by: q.changed_by?.trim() || undefined,
  };
  // The "changed by" box takes an email too.
  const changedBy = filters.changed_by?.includes('@') ? ((await deps.users.byEmail(filters.changed_by))?.user_id ?? filters.changed_by) : filters.changed_by;
  const result = await deps.audit.listFor(actor, { page, page_size: PAGE_SIZE, sort_order: 'desc', ...filters, changed_by: changedBy });

  const ids = [...new Set(result.audit_logs.map((e) => e.changed_by))];
  const names = new Map(
    await Promise.all(
      ids.map(async (id) => [id, id === MASTER_KEY_USER_ID ? 'admin (master key)' : ((await deps.users.get(id))?.user_email ?? id)] as const),
    ),
  );
  const form = emptyForm('audit', { table_name: filters.table_name ?? '', action: filters.action ?? '', object_id: filters.object_id ?? '', changed_by: filters.changed_by ?? '' });
  const query = (p: number) => `/ui/audit?${new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), page: String(p) })}`;

  return render(
    c,
    <Layout title="Audit log" {...await chrome(c, '/ui/audit')}>
      <p class="muted">
        Every change made through onramp: who made it, when, and the values before and after (secrets are never recorded). Entries are kept{' '}
        {deps.config.auditRetentionDays} days.
      </p>
      <form method="get" action="/ui/audit" class="card" aria-label="Filter the audit log">
        <div class="inline-fields">
          <Select form={form} name="table_name" label="Kind of object" options={KIND_OPTIONS} />
          <Input form={form} name="action" label="Action" hint="created, updated, deleted, login, …" />
          <Input form={form} name="object_id" label="Object id" />
          <Input form={form} name="changed_by" label="Changed by" hint="a user id or email" />
        </div>
        <button type="submit">Filter</button>{' '}
        <a class="button secondary" href="/ui/audit">
          Clear
        </a>
      </form>
      <p role="status">
        {result.total === 0 ? 'No changes match.' : `${result.total} ${result.total === 1 ? 'change' : 'changes'}, newest first.`}
      </p>
      {result.audit_logs.map((e) => {
        const fields = changedFields(e);
        return (
          <section class="card audit" aria-label={`${e.action} ${KINDS[e.table_name] ?? e.table_name}`}>
            <h2>
              {e.action} {KINDS[e.table_name] ?? e.table_name} <code>{objectName(e)}</code>
            </h2>
            <p class="muted">
              {formatDate(e.updated_at)} by {names.get(e.changed_by) ?? e.changed_by}
              {e.changed_by_api_key ? <> with key <code>{e.changed_by_api_key.slice(0, 12)}…</code></> : null}
            </p>
            {fields.length ? (
              <ul>
                {fields.map(([field, before, after]) => (
                  <li>
                    <strong>{field}</strong>: {e.before_value ? <><code>{show(before)}</code> → </> : null}
                    <code>{show(after)}</code>
                  </li>
                ))}
              </ul>
            ) : null}
          </section>
        );
      })}
      <Pager label="Pages of the audit log" page={page} pages={result.total_pages} href={query} previous="Newer" next="Older" />
    </Layout>,
  );
}

export const auditPages = new Hono<AppEnv>().get('/audit', auditPage);
