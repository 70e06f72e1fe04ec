import { readsEverything, type Principal } from '../auth/roles';
import { forbidden, notFound } from '../core/errors';
import { newUuid } from '../core/ids';
import { indexKeys, keys, TTL_ATTRIBUTE } from '../db/keys';
import { auditEntries, auditEntriesBy, auditEntriesOf } from '../db/queries';
import { pageOf } from '../db/paging';
import type { Table } from '../db/table';
import type { AuditActor, AuditEntry } from './model';

type AuditItem = AuditEntry & { PK: string; SK: string; type: 'audit'; [TTL_ATTRIBUTE]: number };

/** What one change recorded: the object and its values (already without secrets). */
export type AuditChange = Pick<AuditEntry, 'action' | 'table_name' | 'object_id' | 'before_value' | 'updated_values'>;

export const AUDIT_SORT_FIELDS = ['updated_at', 'action', 'table_name', 'object_id', 'changed_by'] as const;

/** LiteLLM's `GET /audit` filters. */
export type AuditQuery = {
  page: number;
  page_size: number;
  changed_by?: string;
  changed_by_api_key?: string;
  action?: string;
  table_name?: string;
  object_id?: string;
  /** ISO dates or date-times, inclusive. */
  start_date?: string;
  end_date?: string;
  sort_by?: (typeof AUDIT_SORT_FIELDS)[number];
  sort_order: 'asc' | 'desc';
};

/**
 * The audit log, kept in the one table: one item per change, found by id, by who
 * acted and by object through the indexes (see db/keys.ts), gone by TTL after the
 * retention period.
 */
export class AuditLog {
  constructor(
    private readonly table: Table,
    private readonly clock: () => Date,
    private readonly retentionDays: number,
  ) {}

  /** Writes the entries of one request together (all or nothing per 100). */
  async record(actor: AuditActor, changes: AuditChange[]): Promise<AuditEntry[]> {
    const now = this.clock();
    const at = now.toISOString();
    const ttl = Math.floor(now.getTime() / 1000) + this.retentionDays * 86_400;
    const entries: AuditEntry[] = changes.map((change) => ({ id: newUuid(), updated_at: at, ...actor, ...change }));
    const items: AuditItem[] = entries.map((e) => ({
      ...keys.auditEntry(e.id),
      ...indexKeys.auditEntry(e.id, at, e.changed_by, e.object_id),
      type: 'audit',
      ...e,
      [TTL_ATTRIBUTE]: ttl,
    }));
    await this.table.transactInChunks(items.map((put) => ({ put })));
    return entries;
  }

  /** {@link get} for a caller: proxy admins and admin viewers only (the JSON route and the page alike). */
  async getFor(actor: Principal, id: string): Promise<AuditEntry> {
    assertAuditReader(actor);
    return this.get(id);
  }

  /** {@link list} for a caller: proxy admins and admin viewers only (the JSON route and the page alike). */
  async listFor(actor: Principal, q: AuditQuery): ReturnType<AuditLog['list']> {
    assertAuditReader(actor);
    return this.list(q);
  }

  /** One entry; one past its retention counts as gone even before DynamoDB's lazy TTL deletes it. */
  async get(id: string): Promise<AuditEntry> {
    const item = await this.table.get<AuditItem>(keys.auditEntry(id));
    if (!item || this.expired(item)) throw notFound(`Audit log with ID ${id} not found`, 'id');
    return entryOf(item);
  }

  /**
   * A page of entries, newest first unless asked otherwise. One Query on the narrowest
   * index the filters allow (by object, else by who acted, else all); the other filters
   * apply to what it returns, so `total` counts every match in the retention period.
   */
  async list(q: AuditQuery): Promise<{ audit_logs: AuditEntry[]; total: number; page: number; page_size: number; total_pages: number }> {
    const narrowest = q.object_id ? auditEntriesOf(q.object_id) : q.changed_by ? auditEntriesBy(q.changed_by) : auditEntries();
    const items = await this.table.queryAll<AuditItem>({ ...narrowest, newestFirst: true });
    const from = q.start_date ? startOf(q.start_date) : undefined;
    const to = q.end_date ? endOf(q.end_date) : undefined;
    const matches = items
      .filter((i) => i.type === 'audit' && !this.expired(i))
      .filter(
        (i) =>
          (!q.changed_by || i.changed_by === q.changed_by) &&
          (!q.changed_by_api_key || i.changed_by_api_key === q.changed_by_api_key) &&
          (!q.action || i.action === q.action) &&
          (!q.table_name || i.table_name === q.table_name) &&
          (!q.object_id || i.object_id === q.object_id) &&
          (!from || i.updated_at >= from) &&
          (!to || i.updated_at <= to),
      )
      .map(entryOf);
    const field = q.sort_by ?? 'updated_at';
    const sign = q.sort_order === 'asc' ? 1 : -1;
    // Stable: ties keep the index's newest-first order.
    matches.sort((a, b) => sign * String(a[field]).localeCompare(String(b[field])));
    const { items: audit_logs, ...paging } = pageOf(matches, q.page, q.page_size);
    return { audit_logs, ...paging };
  }

  private expired(item: AuditItem): boolean {
    return item[TTL_ATTRIBUTE] * 1000 <= this.clock().getTime();
  }
}

function entryOf(item: AuditItem): AuditEntry {
  const { id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, before_value, updated_values } = item;
  return { id, updated_at, changed_by, changed_by_api_key, action, table_name, object_id, before_value: before_value ?? null, updated_values: updated_values ?? null };
}

/** A date alone covers its whole day (UTC). */
const startOf = (d: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T00:00:00.000Z` : d).toISOString();
const endOf = (d: string) => new Date(/^\d{4}-\d{2}-\d{2}$/.test(d) ? `${d}T23:59:59.999Z` : d).toISOString();

function assertAuditReader(actor: Principal): void {
  if (!readsEverything(actor)) throw forbidden('Only proxy admins and admin viewers can read the audit log.');
}
