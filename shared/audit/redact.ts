/**
 * Audit values never hold secrets: password hashes, session stamps, CSRF tokens,
 * key secrets, invitation links (their id is the secret), credentials, or storage
 * attributes. Removed by field name, and any string that looks like a key secret
 * (`sk-…`) or a signed token (JWT) is replaced wherever it appears.
 */
const SECRET_FIELD = /password|secret|credential|session_stamp|csrf|setup_lease|invitation_link|^key$|^new_key$|^token_secret$|^id_hash$|^reset_id$|^api_key$|^master_key$/i;
const STORAGE_FIELD = /^(PK|SK|type|ttl|unique_guards|counter_version|GSI\dP?S?K)$/;
const KEY_SECRET = /^sk-[A-Za-z0-9_-]{16,}$/;
const SIGNED_TOKEN = /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/;
export const REDACTED = '[redacted]';

export function withoutSecrets(value: unknown): unknown {
  if (value instanceof Set) return withoutSecrets([...value].sort());
  if (Array.isArray(value)) return value.map(withoutSecrets);
  if (typeof value === 'string') return KEY_SECRET.test(value) || SIGNED_TOKEN.test(value) ? REDACTED : value;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (SECRET_FIELD.test(k) || STORAGE_FIELD.test(k) || v === undefined) continue;
      out[k] = withoutSecrets(v);
    }
    return out;
  }
  return value;
}

/** An object's audit value, or null. */
export const auditValue = (value: Record<string, unknown> | null | undefined): Record<string, unknown> | null =>
  value ? (withoutSecrets(value) as Record<string, unknown>) : null;
