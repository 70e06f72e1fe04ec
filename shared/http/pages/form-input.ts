import * as z from 'zod/mini';
import '../../core/zod-english';
import type { Schema } from '../core/route-definition';
import { list, splitModels, str, type FormState } from './form-state';

/**
 * Form posts validated with the same schemas as the JSON API (`shared/<domain>/inputs.ts`):
 * each field says how its text becomes the value the schema checks, and what to tell a
 * person when the schema refuses it. No page keeps its own email or amount rules.
 */

type Values = FormState['values'];
type Issue = z.core.$ZodIssue;

export type FormField = {
  /** The value the schema gets; undefined leaves the field out. */
  read: (values: Values, name: string) => unknown;
  /** What the page says next to the field when the schema refuses it (by default, the schema's own words). */
  message?: string | ((issue: Issue, value: unknown) => string);
};

/** What an empty field means: left out, cleared (null), or sent as typed (so a required field is refused). */
type Empty = undefined | null | '';

/** A line of text, trimmed. */
export const text = (message?: FormField['message'], empty: Empty = undefined): FormField => ({
  read: (values, name) => str(values, name) || empty,
  message,
});

/** An email, trimmed and lowercased as it is stored; empty is sent as typed (refused). */
export const email = (message: string): FormField => ({ read: (values, name) => str(values, name).toLowerCase(), message });

/** A choice of a <select>: empty (the "Never" / "None" option) is null unless told otherwise. */
export const choice = (message: string, empty: Empty = null): FormField => text(message, empty);

export const MONEY = 'Enter an amount in USD, for example 10 or 12.50, or leave it empty for no limit.';

/** An amount in USD: empty means no limit (null); a field the form did not post is left out. */
export const money = (empty: Empty = null): FormField => ({
  read: (values, name) => {
    if (!(name in values)) return undefined;
    const typed = str(values, name);
    return typed ? Number(typed) : empty;
  },
  message: MONEY,
});

/** Models typed one per line or separated by commas; with `omitEmpty`, none typed leaves the field out. */
export const models = (omitEmpty = false): FormField => ({
  read: (values, name) => {
    const typed = splitModels(str(values, name));
    return omitEmpty && typed.length === 0 ? undefined : typed;
  },
  message: 'List at most 500 models, each at most 256 characters.',
});

/** A group of checkboxes: the values that are on. */
export const checked = (message?: FormField['message']): FormField => ({ read: (values, name) => list(values, name), message });

/** A number typed in `scale`s (prices per million tokens, stored per token); empty is left out. */
export const number = (message: string, scale = 1): FormField => ({
  read: (values, name) => {
    const typed = str(values, name);
    // 0.1 / 1e6 is 1.0000000000000001e-7 in floating point: keep the digits typed.
    return typed ? Number((Number(typed) / scale).toPrecision(12)) : undefined;
  },
  message,
});

/** A value the page computes itself (from other fields or the request). */
export const given = (value: unknown, message?: string): FormField => ({ read: () => value, message });

/**
 * The posted form parsed with `schema`: the parsed value, or null with each problem
 * next to its field (a problem with no field of its own goes on the whole form).
 * @param opts.fixed values the page gives itself (the team of the page, …), checked by the schema too.
 * @param opts.build the schema's shape, when it nests the flat form (models' `litellm_params`).
 * @param opts.aliases schema paths (dotted) that belong to another field (e.g. `user_id` → `user_email`).
 */
export function parseForm<S extends Schema>(
  form: FormState,
  schema: S,
  fields: Record<string, FormField>,
  opts: { fixed?: Record<string, unknown>; build?: (flat: Record<string, unknown>) => unknown; aliases?: Record<string, string> } = {},
): z.output<S> | null {
  const input: Record<string, unknown> = { ...opts.fixed };
  for (const [name, field] of Object.entries(fields)) {
    const value = field.read(form.values, name);
    if (value !== undefined) input[name] = value;
  }
  const result = z.safeParse(schema, opts.build ? opts.build(input) : input);
  if (result.success) return result.data;
  for (const issue of result.error.issues) {
    const at = String(issue.path[0] ?? '');
    const name = opts.aliases?.[issue.path.join('.')] ?? opts.aliases?.[at] ?? at;
    const field = fields[name];
    if (!field) form.general ??= issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message;
    else if (!form.errors[name]) form.errors[name] = typeof field.message === 'function' ? field.message(issue, input[name]) : (field.message ?? issue.message);
  }
  return null;
}
