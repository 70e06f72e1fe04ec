import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { declaredAuth, needsCaller, routeAuth, type RouteAuth } from '../core/auth';
import { DomainError } from '../../core/errors';
import { logger } from '../../core/logger';
import type { AppEnv } from '../core/env';
import { auditPages } from './audit';
import { Message, type BackLink } from './blocks';
import { homePages } from './home';
import { chrome, CSS, Layout } from './layout';
import { loginPages } from './login';
import { modelPages } from './models';
import { onboardingPages } from './onboarding';
import { accountPages, passwordPages } from './password';
import { rotatedKeyPages } from './rotated-keys';
import { inPlainWords } from './plain-words';
import { settingsPages } from './settings';
import { staticPages } from './static';
import { teamEditPages } from './team-edit';
import { teamPages } from './teams';
import { render, statusOf, type PageContext } from './render';
import { userEditPages } from './user-edit';
import { usagePages } from './usage';
import { userPages } from './users';

/**
 * The web pages under /ui: server-rendered with hono/jsx, plain HTML forms that
 * post back to these routes (POST → redirect → GET), usable without JavaScript.
 * Handlers call the domain services with the signed-in principal, never the JSON API.
 */

/** The layout's one <style> element, allowed by its hash; no inline script at all. */
const STYLE_HASH = `'sha256-${createHash('sha256').update(CSS).digest('base64')}'`;

function contentSecurityPolicy(logoutUrl: string | undefined): string {
  // Chromium applies form-action to the redirect after a post too: the sign-out form ends at PROXY_LOGOUT_URL.
  const formAction = ["'self'", ...(logoutUrl ? [new URL(logoutUrl).origin] : [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    `style-src 'self' ${STYLE_HASH}`,
    "img-src 'self' data:",
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Under /ui, failures are pages, not JSON (a stale CSRF token is refused before any page route runs). */
export const isPagePath = (path: string) => path === '/ui' || path.startsWith('/ui/');

const BACK_TO_KEYS: BackLink = { href: '/ui', text: 'Back to your keys' };

/** A failure as a page, with the pages' headers (also for errors raised before the pages' own middleware). */
export async function errorPage(err: Error, c: PageContext, back: BackLink = BACK_TO_KEYS) {
  c.header('Content-Security-Policy', contentSecurityPolicy(c.get('deps').config.proxyLogoutUrl));
  if (err instanceof DomainError) {
    const status = statusOf(err);
    const principal = c.get('principal');
    // Teams by name rather than id; if the teams cannot be read, the message as it is.
    const teams = principal ? await c.get('deps').teams.list(principal).catch(() => []) : [];
    const { message } = inPlainWords(err, teams, principal?.userId ?? '') as DomainError;
    const title = err.kind === 'unauthenticated' ? 'Not signed in' : status === 401 || status === 403 ? 'Not allowed' : status === 404 ? 'Not found' : 'Something went wrong';
    return render(
      c,
      <Layout title={title} {...await chrome(c)}>
        <Message message={message} back={back} />
      </Layout>,
      status,
    );
  }
  const requestId = c.get('requestId');
  logger.error('page failed', { requestId, path: c.req.path, error: err });
  return render(
    c,
    <Layout title="Something went wrong" principal={null}>
      <Message message={`The page could not be shown (request id ${requestId ?? 'unknown'}). Try again in a moment.`} back={BACK_TO_KEYS} />
    </Layout>,
    500,
  );
}

/** Any /ui path no page answers: a page that says so, not the API's JSON. */
export const notFoundPage = (c: PageContext) =>
  errorPage(new DomainError('not_found', `There is no page at ${c.req.path}. Check the address, or start again from your keys.`), c);

/** A page module's routes, each running the check of the auth it is declared with before its handler. */
function declared(auth: RouteAuth, pages: Hono<AppEnv>): Hono<AppEnv> {
  const out = new Hono<AppEnv>();
  for (const route of pages.routes) {
    if (route.method === 'ALL') out.all(route.path, route.handler);
    else out.on(route.method, route.path, routeAuth(auth), route.handler);
  }
  return out;
}

const ui = new Hono<AppEnv>();
ui.use('*', async (c, next) => {
  await next();
  if (c.res.headers.get('content-type')?.startsWith('text/html')) {
    c.header('Content-Security-Policy', contentSecurityPolicy(c.get('deps').config.proxyLogoutUrl));
    c.header('Cache-Control', 'no-store');
  }
});
ui.use('*', async (c, next) => {
  // LiteLLM's older invitation links: /ui?invitation_id=…
  const invitationId = c.req.path === '/ui' ? c.req.query('invitation_id') : undefined;
  if (invitationId) return c.redirect(`/ui/onboarding?id=${encodeURIComponent(invitationId)}`, 302);
  // A path no page answers is treated as a signed-in page: signed out, you are asked to sign in first.
  if (needsCaller(declaredAuth(c) ?? 'caller') && !c.get('principal')) {
    const url = new URL(c.req.url);
    const next = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/ui';
    return c.redirect(`/ui/login${next === '/ui' ? '' : `?next=${encodeURIComponent(next)}`}`, 303);
  }
  await next();
});
// Each page module declares who may open it (see RouteAuth in ../auth.ts): `anyone`
// works signed out, `caller` sends a signed-out browser to /ui/login first.
ui.route('/', declared('anyone', staticPages));
// The static folder is open as a whole: a file not in it is a not-found page, signed in or not.
ui.get('/static/*', routeAuth('anyone'), (c) => notFoundPage(c));
ui.route('/', declared('anyone', loginPages));
ui.route('/', declared('anyone', onboardingPages));
ui.route('/', declared('anyone', passwordPages));
ui.route('/', declared('caller', accountPages));
ui.route('/', declared('caller', homePages));
ui.route('/', declared('caller', rotatedKeyPages));
ui.route('/', declared('caller', teamPages));
ui.route('/', declared('caller', userPages));
ui.route('/', declared('caller', teamEditPages));
ui.route('/', declared('caller', userEditPages));
ui.route('/', declared('caller', settingsPages));
ui.route('/', declared('caller', modelPages));
ui.route('/', declared('caller', auditPages));
ui.route('/', declared('caller', usagePages));
ui.onError(errorPage);

/** Mounted by the app at the root: everything under /ui, and the site's root, which sends a browser there. */
export const pageRoutes = new Hono<AppEnv>().get('/', routeAuth('anyone'), (c) => c.redirect('/ui', 302)).route('/ui', ui);
