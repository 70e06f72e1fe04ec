import type { Context } from 'hono';
import { html } from 'hono/html';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Principal } from '../../auth/roles';
import { DomainError } from '../../core/errors';
import type { AppEnv } from '../core/env';

/** The request as every page handler sees it. */
export type PageContext = Context<AppEnv>;

/** The statuses a page answers with. */
export type PageStatus = 200 | 400 | 401 | 403 | 404 | 409;

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
export { statusOf } from '../core/error-status';
