/** Storage-only attributes: table keys, index keys, the entity type, uniqueness guards, secrets and budget bookkeeping (see budgets/state.ts). */
const STORAGE_ONLY = new Set(['PK', 'SK', 'type', 'unique_guards', 'password_hash', 'ttl', 'used', 'budget_remaining', 'counter_version']);

/** An item as the API shows it: without its storage-only attributes; sets become sorted arrays. */
export function withoutStorage(item: Record<string, unknown>, hide: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item)) {
    if (STORAGE_ONLY.has(k) || /^GSI\dP?S?K$/.test(k) || hide.includes(k)) continue;
    out[k] = v instanceof Set ? [...v].sort() : v;
  }
  return out;
}
