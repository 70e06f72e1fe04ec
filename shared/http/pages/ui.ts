import { randomBytes } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HtmlEscapedString } from 'hono/utils/html';
import { constantTimeEqual } from '../../auth/logins';
import type { Principal } from '../../auth/roles';
import { DomainError } from '../../errors';
import type { AppEnv } from '../env';

/** Helpers every page module shares: rendering, the signed-in caller, flash messages, form parsing. */
export type PageContext = Context<AppEnv>;

/** Renders a full HTML document. Pages show per-user data, so nothing is cached. */
export function render(c: PageContext, page: HtmlEscapedString | Promise<HtmlEscapedString>, status: ContentfulStatusCode = 200) {
  c.header('Cache-Control', 'no-store');
  return c.html(html`<!DOCTYPE html>${page}`, status);
}

/** The signed-in caller; the pages gate (index.ts) has already sent everyone else to /ui/login. */
export function actorOf(c: PageContext): Principal {
  const principal = c.get('principal');
  if (!principal) throw new DomainError('unauthenticated', 'Sign in to see this page.');
  return principal;
}

/** HTTP status of a page that re-renders a form after a domain error: the same table as the JSON API's. */
export { statusOf } from '../error-status';

// ---- flash messages (POST → redirect → GET) ----

const FLASH_COOKIE = 'onramp_flash';

/** Redirects after a successful form post, with a one-time message for the next page. */
export function redirectWithFlash(c: PageContext, location: string, message: string) {
  setCookie(c, FLASH_COOKIE, message.slice(0, 500), { path: '/ui', httpOnly: true, sameSite: 'Lax', maxAge: 60 });
  return c.redirect(location, 303);
}

/** The message left by the previous post, shown once. */
export function takeFlash(c: PageContext): string | undefined {
  const message = getCookie(c, FLASH_COOKIE);
  if (message !== undefined) deleteCookie(c, FLASH_COOKIE, { path: '/ui' });
  return message || undefined;
}

// ---- forms that are posted before a session exists (sign-in, onboarding) ----

const FORM_COOKIE = 'onramp_form';
export const FORM_FIELD = 'form_token';

/**
 * Double-submit token for the sign-in and onboarding forms, which are posted
 * without a session (so the session CSRF check cannot protect them): a random
 * value in a SameSite=Strict cookie and in a hidden field; a cross-site form
 * cannot read the cookie nor make the browser send it.
 */
export function issueFormToken(c: PageContext): string {
  const existing = getCookie(c, FORM_COOKIE);
  const token = existing && /^[A-Za-z0-9_-]{22,64}$/.test(existing) ? existing : randomBytes(18).toString('base64url');
  setCookie(c, FORM_COOKIE, token, { path: '/ui', httpOnly: true, sameSite: 'Strict', maxAge: 3600 });
  return token;
}

export function formTokenValid(c: PageContext, sent: string | undefined): boolean {
  const expected = getCookie(c, FORM_COOKIE);
  return !!expected && !!sent && constantTimeEqual(expected, sent);
}

export const FORM_EXPIRED = 'This form has expired (or cookies are blocked). Reload the page and try again.';

// ---- form state ----

/** What a form shows: the values to fill back in, errors by field, and one error for the whole form. */
export type FormState = {
  /** Prefix of the element ids, so several forms can share a page. */
  prefix: string;
  values: Record<string, string | string[]>;
  errors: Record<string, string>;
  general?: string;
};

export const emptyForm = (prefix: string, values: FormState['values'] = {}): FormState => ({ prefix, values, errors: {} });

export const hasErrors = (form: FormState) => Object.keys(form.errors).length > 0 || !!form.general;

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

export const str = (values: FormState['values'], name: string): string => {
  const v = values[name];
  return (Array.isArray(v) ? (v[0] ?? '') : (v ?? '')).trim();
};

export const list = (values: FormState['values'], name: string): string[] => {
  const v = values[name];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

/** Models typed one per line or separated by commas. */
export const splitModels = (text: string): string[] => [...new Set(text.split(/[\n,]/).map((m) => m.trim()).filter(Boolean))];

/** An optional amount in USD: empty is null; anything else must be a non-negative number. */
export function money(form: FormState, name: string): number | null {
  const text = str(form.values, name);
  if (!text) return null;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1e12) {
    form.errors[name] = 'Enter an amount in USD, for example 10 or 12.50, or leave it empty for no limit.';
    return null;
  }
  return n;
}

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

// ---- display ----

const usd = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', minimumFractionDigits: 2, maximumFractionDigits: 4 });
export const formatUsd = (n: number | null | undefined): string => (n === null || n === undefined ? 'no limit' : usd.format(n));
export const formatDate = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '—');

/** Reset periods offered by the forms (LiteLLM's `budget_duration`). */
export const RESET_PERIODS: Array<[string, string]> = [
  ['', 'Never'],
  ['1d', 'Daily (1d)'],
  ['7d', 'Weekly (7d)'],
  ['1mo', 'Monthly (1mo)'],
];
/** How long a new key lives (the API's `duration`); "$10 keys for AI exploration" usually expire. */
export const KEY_LIFETIMES: Array<[string, string]> = [
  ['', 'Never'],
  ['1d', '1 day'],
  ['7d', '7 days'],
  ['30d', '30 days'],
  ['90d', '90 days'],
];
export const resetLabel = (d: string | null | undefined) => RESET_PERIODS.find(([v]) => v === (d ?? ''))?.[1] ?? d ?? 'Never';

/** A redirect target after sign-in: only a page of this site. */
export function safeNext(next: string | undefined): string {
  return next && /^\/ui(?:[/?#]|$)/.test(next) && !next.startsWith('//') ? next : '/ui';
}

/** The statuses a page answers with. */
export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409;
