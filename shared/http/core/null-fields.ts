import type { Schema } from './route-definition';

/**
 * LiteLLM's request models are pydantic models whose optional fields accept
 * `null` as "not given", and its clients send it that way (its own client posts
 * `{"keys": [...], "key_aliases": null}` to /key/delete). This is the one rule that
 * makes onramp read them alike: before a JSON body is validated, every `null` on
 * an optional field whose schema gives null no meaning of its own is dropped.
 *
 * Where a schema does accept null (`z.nullable`, e.g. `max_budget: null` on an
 * update, which lifts the budget) the value is kept and means what the route says.
 * Required fields keep their null, so it is still refused. Nested objects and
 * arrays (`member: {user_id, user_email: null}`) follow the same rule; free-form
 * values such as `metadata` are left as sent.
 */
export function dropMeaninglessNulls(schema: Schema, value: unknown): unknown {
  if (Array.isArray(value)) {
    const list = structural(schema, 'array');
    const element = list ? (def(list).element as Schema) : undefined;
    return element ? value.map((v) => dropMeaninglessNulls(element, v)) : value;
  }
  if (!isPlainObject(value)) return value;
  const object = structural(schema, 'object');
  if (!object) return value;
  const shape = def(object).shape as Record<string, Schema>;
  const out: Record<string, unknown> = {};
  // defineProperty, not assignment: a JSON key named `__proto__` stays a plain (unknown) field.
  const keep = (name: string, v: unknown) => Object.defineProperty(out, name, { value: v, enumerable: true, writable: true, configurable: true });
  for (const [name, v] of Object.entries(value)) {
    const field = Object.hasOwn(shape, name) ? shape[name] : undefined;
    if (!field) {
      keep(name, v);
    } else if (v === null) {
      if (!(isOptional(field) && !acceptsNull(field))) keep(name, v);
    } else {
      keep(name, dropMeaninglessNulls(field, v));
    }
  }
  return out;
}

type Def = { type: string; innerType?: Schema; in?: Schema; options?: Schema[]; element?: Schema; shape?: Record<string, Schema> };
const def = (s: Schema) => (s as unknown as { _zod: { def: Def } })._zod.def;
const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

/** The schema of the given kind behind wrappers and pipes (or one option of a union), if any. */
function structural(schema: Schema, kind: 'object' | 'array'): Schema | undefined {
  const d = def(schema);
  if (d.type === kind) return schema;
  if (WRAPPERS.has(d.type) && d.innerType) return structural(d.innerType, kind);
  if (d.type === 'pipe' && d.in) return structural(d.in, kind);
  if (d.type === 'union') {
    for (const option of d.options ?? []) {
      const found = structural(option, kind);
      if (found) return found;
    }
  }
  return undefined;
}

/** Absent is allowed (`z.optional`, `z._default`). */
const isOptional = (schema: Schema) => (schema as unknown as { _zod: { optin?: string } })._zod.optin !== undefined;

/** Null is a value the schema itself accepts, so it carries a meaning. */
function acceptsNull(schema: Schema): boolean {
  const d = def(schema);
  if (d.type === 'nullable' || d.type === 'null' || d.type === 'unknown' || d.type === 'any') return true;
  if (WRAPPERS.has(d.type) && d.innerType) return acceptsNull(d.innerType);
  if (d.type === 'pipe' && d.in) return acceptsNull(d.in);
  if (d.type === 'union') return (d.options ?? []).some(acceptsNull);
  return false;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}
