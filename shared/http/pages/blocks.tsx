import type { Child } from 'hono/jsx';
import { formatDate, formatUsd, resetLabel } from './format';
import { Csrf } from './forms';

/** Pieces of page several pages show the same way. */

/** An error for the whole page, announced when it loads. */
export const Alert = (p: { children?: Child; id?: string }) => (
  <div class="alert" role="alert" id={p.id}>
    {p.children}
  </div>
);

/** Where a page sends the reader back to. */
export type BackLink = { href: string; text: string };

/** One message and a way back, for what no form can fix (a failure, a dead link). */
export const Message = (p: { message: Child; back: BackLink }) => (
  <>
    <Alert>{p.message}</Alert>
    <p>
      <a href={p.back.href}>{p.back.text}</a>
    </p>
  </>
);

/** A delete that asks first: what it removes (children), a danger button and a way out. */
export function ConfirmDelete(p: { action: string; label: string; csrf: string | undefined; cancel: string; error?: string; children?: Child }) {
  return (
    <>
      {p.error ? <Alert>{p.error}</Alert> : null}
      <form method="post" action={p.action} class="card" aria-label={p.label}>
        <Csrf token={p.csrf} />
        <p>{p.children}</p>
        <button type="submit" class="danger">
          {p.label}
        </button>{' '}
        <a href={p.cancel}>Cancel</a>
      </form>
    </>
  );
}

/** Links to the previous and next page of a long list. */
export function Pager(p: { label: string; page: number; pages: number; href: (page: number) => string; previous: string; next: string }) {
  if (p.pages <= 1) return null;
  return (
    <nav aria-label={p.label}>
      {p.page > 1 ? <a href={p.href(p.page - 1)}>← {p.previous}</a> : null} Page {p.page} of {p.pages}{' '}
      {p.page < p.pages ? <a href={p.href(p.page + 1)}>{p.next} →</a> : null}
    </nav>
  );
}

/** A budget in a facts list: spend against the limit, and when it resets. */
export function BudgetFacts(p: { label: string; spend: number; limit: number | null | undefined; duration: string | null | undefined; resetAt: string | null | undefined }) {
  return (
    <>
      <dt>{p.label}</dt>
      <dd>
        {formatUsd(p.spend)} / {formatUsd(p.limit)}
      </dd>
      <dt>Budget reset</dt>
      <dd>
        {resetLabel(p.duration)}
        {p.resetAt ? `, next at ${formatDate(p.resetAt)}` : ''}
      </dd>
    </>
  );
}
