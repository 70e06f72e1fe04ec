/** A redirect target after sign-in: only a page of this site. */
export function safeNext(next: string | undefined): string {
  return next && /^\/ui(?:[/?#]|$)/.test(next) && !next.startsWith('//') ? next : '/ui';
}
