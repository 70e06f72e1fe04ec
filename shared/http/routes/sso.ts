import * as z from 'zod/mini';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { IdpUnavailableError, SSO_FLOW_COOKIE, type SsoSignIn } from '../../auth/sso';
import { notFound } from '../../core/errors';
import type { AppEnv } from '../core/env';
import { errorResponse } from '../core/errors';
import { errorPage } from '../pages';
import { safeNext } from '../pages/safe-next';
import { createRoute, newRouter } from '../core/router';
import { errorResponses } from '../core/schemas';
import { publicBaseUrl, setSessionCookie } from '../core/session-cookie';

/** LiteLLM's routes: `/sso/key/generate` sends the browser to the IdP, `/sso/callback` brings it back signed in. */
const CALLBACK_PATH = '/sso/callback';
/** The flow cookie only travels to the callback. */
const FLOW_COOKIE_PATH = '/sso';

function requireSso(c: Context<AppEnv>): SsoSignIn {
  const sso = c.get('deps').sso;
  if (!sso) throw notFound('SSO is not configured: set ONRAMP_SSO_ISSUER, GENERIC_CLIENT_ID and GENERIC_CLIENT_SECRET.');
  return sso;
}

const isHttps = (c: Context<AppEnv>) => publicBaseUrl(c).startsWith('https:') || new URL(c.req.url).protocol === 'https:';
const redirectUri = (c: Context<AppEnv>) => `${publicBaseUrl(c)}${CALLBACK_PATH}`;

/** A browser gets a page it can read; scripts get LiteLLM's envelope. */
async function failure(c: Context<AppEnv>, err: unknown): Promise<Response> {
  const error = err instanceof Error ? err : new Error(String(err));
  if ((c.req.header('accept') ?? '').includes('text/html')) return errorPage(error, c, { href: '/ui/login', text: 'Back to sign in' });
  if (error instanceof IdpUnavailableError) return errorResponse(c, error.message, 'upstream_error', 502);
  throw error;
}

export const ssoRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/sso/key/generate',
      auth: 'anyone',
      tags: ['auth'],
      summary: 'Start SSO (OpenID Connect, authorization code + PKCE): redirects to the identity provider',
      request: { query: z.object({ next: z.optional(z.string().check(z.maxLength(2048), z.meta({ description: 'page to open after sign-in (a /ui path)' }))) }) },
      responses: { 303: { description: 'Redirect to the identity provider' }, ...errorResponses, 502: { description: 'The identity provider could not be reached' } },
    }),
    async (c) => {
      try {
        const sso = requireSso(c);
        const deps = c.get('deps');
        const { url, flowCookie, expires } = await sso.start(redirectUri(c), safeNext(c.req.valid('query').next), deps.clock());
        setCookie(c, SSO_FLOW_COOKIE, flowCookie, { httpOnly: true, sameSite: 'Lax', secure: isHttps(c), path: FLOW_COOKIE_PATH, expires });
        return c.redirect(url.href, 303);
      } catch (err) {
        return failure(c, err);
      }
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: CALLBACK_PATH,
      auth: 'anyone',
      tags: ['auth'],
      summary: "Finish SSO: the identity provider's redirect; signs the user in (created on first sign-in) and redirects to the pages",
      request: {
        query: z.object({
          code: z.optional(z.string()),
          state: z.optional(z.string()),
          iss: z.optional(z.string()),
          error: z.optional(z.string()),
          error_description: z.optional(z.string()),
        }),
      },
      responses: { 303: { description: 'Signed in; redirect to the page asked for (default /ui)' }, ...errorResponses, 502: { description: 'The identity provider could not be reached' } },
    }),
    async (c) => {
      try {
        const sso = requireSso(c);
        const deps = c.get('deps');
        const callbackUrl = new URL(redirectUri(c));
        callbackUrl.search = new URL(c.req.url).search;
        const flowCookie = getCookie(c, SSO_FLOW_COOKIE);
        // One attempt, one use: the cookie goes whatever the outcome.
        deleteCookie(c, SSO_FLOW_COOKIE, { path: FLOW_COOKIE_PATH });
        const { user, next } = await sso.finish(callbackUrl, flowCookie, deps.clock());
        await setSessionCookie(c, user.user_id);
        return c.redirect(next, 303);
      } catch (err) {
        return failure(c, err);
      }
    },
  );
