import { createMiddleware } from 'hono/factory';
import { forbidden } from '../../core/errors';
import type { AppEnv } from './env';

/**
 * Refuses a form post that a browser says comes from another site: a page elsewhere
 * could otherwise sign a visitor in to an account of its choosing (login CSRF).
 *
 * Browsers send `Sec-Fetch-Site` and, on every cross-origin POST, `Origin`; either is
 * enough to refuse. `Sec-Fetch-Site` must be `same-origin` or `none` (typed, bookmarked);
 * `Origin` must be this app's: the request's own origin or `PROXY_BASE_URL`'s. A request
 * with neither header is not a browser's cross-site post (curl, LiteLLM scripts) and
 * passes: they cannot be made to carry a victim's cookies anyway.
 */
export const sameOriginPost = createMiddleware<AppEnv>(async (c, next) => {
  const site = c.req.header('sec-fetch-site');
  const origin = c.req.header('origin');
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw forbidden(`Cross-site sign-in refused (Sec-Fetch-Site: ${site}): sign in from this site's own page.`);
  }
  if (origin !== undefined) {
    const base = c.get('deps').config.proxyBaseUrl;
    const own = [new URL(c.req.url).origin, ...(base ? [new URL(base).origin] : [])];
    if (!own.includes(origin)) throw forbidden(`Cross-site sign-in refused (Origin: ${origin.slice(0, 200)}): sign in from this site's own page.`);
  }
  await next();
});
