import type { Child } from 'hono/jsx';
import { CSRF_FIELD } from '../core/auth';
import type { FormState } from './form-state';

/**
 * Accessible form controls: every control has a <label>, a hint and an error are
 * tied to it with aria-describedby, and an invalid field says so (aria-invalid).
 */

const fieldId = (form: FormState, name: string) => `${form.prefix}-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`;

function described(form: FormState, name: string, hint?: Child) {
  const id = fieldId(form, name);
  const error = form.errors[name];
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  return {
    id,
    error,
    hintId,
    errorId,
    aria: {
      'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') || undefined,
      'aria-invalid': error ? 'true' : undefined,
    },
  };
}

const Hint = (p: { id?: string; children?: Child }) => (p.id ? <p id={p.id} class="hint">{p.children}</p> : null);
const FieldError = (p: { id?: string; message?: string }) =>
  p.id ? (
    <p id={p.id} class="field-error" role="alert">
      {p.message}
    </p>
  ) : null;

const value = (form: FormState, name: string) => {
  const v = form.values[name];
  return Array.isArray(v) ? (v[0] ?? '') : (v ?? '');
};

/** The session's CSRF token (checked by the auth middleware on every cookie-authenticated post). */
export const Csrf = (p: { token: string | undefined }) => (p.token ? <input type="hidden" name={CSRF_FIELD} value={p.token} /> : null);

/** The whole-form error, announced when the page loads. */
export const FormAlert = (p: { form: FormState }) =>
  p.form.general ? (
    <div class="alert" role="alert" id={`${p.form.prefix}-alert`}>
      {p.form.general}
    </div>
  ) : null;

type InputProps = {
  form: FormState;
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'number';
  hint?: Child;
  required?: boolean;
  autocomplete?: string;
  placeholder?: string;
  /** Never fill the value back in (passwords). */
  secret?: boolean;
  step?: string;
  min?: string;
  minlength?: number;
};

export function Input(p: InputProps) {
  const d = described(p.form, p.name, p.hint);
  return (
    <div class={`field${d.error ? ' invalid' : ''}`}>
      <label for={d.id}>
        {p.label}
        {p.required ? null : <span class="optional"> (optional)</span>}
      </label>
      <Hint id={d.hintId}>{p.hint}</Hint>
      <input
        id={d.id}
        name={p.name}
        type={p.type ?? 'text'}
        value={p.secret ? undefined : value(p.form, p.name)}
        required={p.required}
        autocomplete={p.autocomplete}
        placeholder={p.placeholder}
        step={p.step}
        min={p.min}
        minlength={p.minlength}
        {...d.aria}
      />
      <FieldError id={d.errorId} message={d.error} />
    </div>
  );
}

export function TextArea(p: { form: FormState; name: string; label: string; hint?: Child; rows?: number }) {
  const d = described(p.form, p.name, p.hint);
  return (
    <div class={`field${d.error ? ' invalid' : ''}`}>
      <label for={d.id}>
        {p.label} <span class="optional">(optional)</span>
      </label>
      <Hint id={d.hintId}>{p.hint}</Hint>
      <textarea id={d.id} name={p.name} rows={p.rows ?? 3} {...d.aria}>
        {value(p.form, p.name)}
      </textarea>
      <FieldError id={d.errorId} message={d.error} />
    </div>
  );
}

export function Select(p: { form: FormState; name: string; label: string; options: Array<[string, string]>; hint?: Child; required?: boolean }) {
  const d = described(p.form, p.name, p.hint);
  const current = value(p.form, p.name);
  return (
    <div class={`field${d.error ? ' invalid' : ''}`}>
      <label for={d.id}>{p.label}</label>
      <Hint id={d.hintId}>{p.hint}</Hint>
      <select id={d.id} name={p.name} {...d.aria}>
        {p.options.map(([v, text]) => (
          <option value={v} selected={v === current}>
            {text}
          </option>
        ))}
      </select>
      <FieldError id={d.errorId} message={d.error} />
    </div>
  );
}

/** A group of checkboxes with one legend; `checked` lists the values that are on. */
export function Checkboxes(p: { form: FormState; name: string; legend: string; options: Array<[string, string]>; checked: string[]; hint?: Child }) {
  const d = described(p.form, p.name, p.hint);
  return (
    <fieldset class={d.error ? 'invalid' : undefined} {...d.aria}>
      <legend>{p.legend}</legend>
      <Hint id={d.hintId}>{p.hint}</Hint>
      {p.options.length === 0 ? <p class="hint">None available yet.</p> : null}
      {p.options.map(([v, text], i) => (
        <div class="check">
          <input type="checkbox" id={`${d.id}-${i}`} name={p.name} value={v} checked={p.checked.includes(v)} />
          <label for={`${d.id}-${i}`}>{text}</label>
        </div>
      ))}
      <FieldError id={d.errorId} message={d.error} />
    </fieldset>
  );
}

export function Checkbox(p: { form: FormState; name: string; label: string; checked: boolean; hint?: Child }) {
  const d = described(p.form, p.name, p.hint);
  return (
    <div class="check field">
      <input type="checkbox" id={d.id} name={p.name} value="on" checked={p.checked} {...d.aria} />
      <label for={d.id}>{p.label}</label>
      <Hint id={d.hintId}>{p.hint}</Hint>
      <FieldError id={d.errorId} message={d.error} />
    </div>
  );
}

/**
 * A secret shown once (a new key, an invitation link): selectable without
 * JavaScript; the copy button appears when /ui/static/copy.js runs.
 */
export function CopyField(p: { id: string; label: string; value: string; hint?: Child }) {
  return (
    <div class="field copy">
      <label for={p.id}>{p.label}</label>
      {p.hint ? <p id={`${p.id}-hint`} class="hint">{p.hint}</p> : null}
      <div class="copy-row">
        <input id={p.id} type="text" readonly value={p.value} aria-describedby={p.hint ? `${p.id}-hint` : undefined} spellcheck={false} autocomplete="off" />
        <button type="button" class="secondary" data-copy={p.id} data-status={`${p.id}-status`} hidden>
          Copy
        </button>
      </div>
      <p id={`${p.id}-status`} class="hint" role="status" aria-live="polite"></p>
    </div>
  );
}
