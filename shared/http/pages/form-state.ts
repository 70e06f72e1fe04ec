import { DomainError } from '../../core/errors';
import type { PageContext } from './render';

/** What a form shows: the values to fill back in, errors by field, and one error for the whole form. */
export type FormState = {
  /** Prefix of the element ids, so several forms can share a page. */
  prefix: string;
  values: Record<string, string | string[]>;
  errors: Record<string, string>;
  general?: string;
};

export const emptyForm = (prefix: string, values: FormState['values'] = {}): FormState => ({ prefix, values, errors: {} });

/** The posted fields; repeated fields (checkboxes) become arrays. */
export async function readForm(c: PageContext): Promise<Record<string, string | string[]>> {
  const body = await c.req.parseBody({ all: true });
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(body)) {
    if (Array.isArray(v)) out[k] = v.filter((x): x is string => typeof x === 'string');
    else if (typeof v === 'string') out[k] = v;
  }
  return out;
}

/** One posted field, trimmed ('' when absent). */
export const str = (values: FormState['values'], name: string): string => {
  const v = values[name];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
};

/** A repeated field (checkboxes) as a list. */
export const list = (values: FormState['values'], name: string): string[] => {
  const v = values[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** Models typed one per line or separated by commas. */
export const splitModels = (text: string): string[] => [...new Set(text.split(/[\n,]/).map((m) => m.trim()).filter(Boolean))];

/**
 * Puts a domain error next to the field it names (`DomainError.param`), or on the
 * whole form; any other error is re-thrown (the pages' error handler shows it).
 * @param fields the form's field names; `aliases` maps other params onto them.
 */
export function applyError(form: FormState, err: unknown, fields: readonly string[], aliases: Record<string, string> = {}): DomainError {
  if (!(err instanceof DomainError)) throw err;
  const param = err.param ? (aliases[err.param] ?? err.param) : null;
  if (param && fields.includes(param)) form.errors[param] = err.message;
  else form.general = err.message;
  return err;
}
