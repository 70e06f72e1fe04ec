import * as z from 'zod/mini';
import type { Context } from 'hono';
import { deleteCookie } from 'hono/cookie';
import { SESSION_COOKIE } from '../../auth/session';
import { DomainError } from '../../core/errors';
import type { AppEnv } from '../core/env';
import { createRoute, newRouter } from '../core/router';
import { sameOriginPost } from '../core/same-origin';
import { setSessionCookie } from '../core/session-cookie';
import { errorResponses, jsonBody } from '../core/schemas';

const Credentials = z.object({
  username: z.string().check(z.minLength(1), z.maxLength(254), z.meta({ description: 'the email, or "admin" with the master key' })),
  password: z.string().check(z.minLength(1), z.maxLength(1024)),
});

/** Signs the user in: checks the credentials, then sets the session cookie. */
async function startSession(c: Context<AppEnv>, username: string, password: string) {
  const userId = await c.get('deps').logins.verify(username, password);
  return setSessionCookie(c, userId);
}

/**
 * Ends the caller's sessions server-side (every session of that user: the cookie
 * alone could be replayed), clears the cookie and sends the browser to
 * PROXY_LOGOUT_URL when set, else the sign-in page. GET is kept for LiteLLM's UI;
 * a cross-site GET can only sign someone out, never in.
 */
async function logout(c: Context<AppEnv>) {
  const principal = c.get('principal');
  if (principal?.via === 'session') {
    await c
      .get('deps')
      .users.revokeSessions(principal.userId)
      // A user deleted meanwhile has no sessions left to end.
      .catch((err: unknown) => {
        if (!(err instanceof DomainError && err.kind === 'not_found')) throw err;
      });
  }
  deleteCookie(c, SESSION_COOKIE, { path: '/' });
  return c.redirect(c.get('deps').config.proxyLogoutUrl ?? '/ui/login', 303);
}

export const loginRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/login',
      auth: 'public',
      middleware: [sameOriginPost] as const,
      tags: ['auth'],
      summary: 'Sign in with a form (username = email); sets the session cookie and redirects to /ui. Cross-site posts (Origin or Sec-Fetch-Site) are refused',
      request: { body: { required: true, content: { 'application/x-www-form-urlencoded': { schema: Credentials } } } },
      responses: { 303: { description: 'Signed in; redirect to /ui' }, ...errorResponses, 429: { description: 'Locked after repeated failures' } },
    }),
    async (c) => {
      const { username, password } = c.req.valid('form');
      await startSession(c, username, password);
      return c.redirect('/ui', 303);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v2/login',
      auth: 'public',
      tags: ['auth'],
      summary: 'Sign in with JSON; returns the session token (usable as a Bearer token) and sets the cookie',
      request: { body: jsonBody(Credentials) },
      responses: {
        200: {
          description: 'Signed in',
          content: {
            'application/json': {
              schema: z.object({ redirect_url: z.string(), token: z.string(), user_id: z.string(), expires: z.string() }),
            },
          },
        },
        ...errorResponses,
        429: { description: 'Locked after repeated failures' },
      },
    }),
    async (c) => {
      const { username, password } = c.req.valid('json');
      const { token, session } = await startSession(c, username, password);
      return c.json({ redirect_url: '/ui', token, user_id: session.userId, expires: session.expiresAt.toISOString() }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/logout',
      auth: 'anyone',
      tags: ['auth'],
      summary: 'Sign out: clears the session cookie, redirects to PROXY_LOGOUT_URL when set',
      responses: { 303: { description: 'Signed out' } },
    }),
    async (c) => logout(c),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/logout',
      auth: 'anyone',
      tags: ['auth'],
      summary: 'Sign out (form post from the web pages)',
      responses: { 303: { description: 'Signed out' } },
    }),
    async (c) => logout(c),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/sso/get/ui_settings',
      auth: 'anyone',
      tags: ['auth'],
      summary: "The web pages' settings (LiteLLM's route): where logout goes",
      responses: {
        200: {
          description: 'settings',
          content: { 'application/json': { schema: z.object({ PROXY_BASE_URL: z.nullable(z.string()), PROXY_LOGOUT_URL: z.nullable(z.string()) }) } },
        },
      },
    }),
    (c) => {
      const { config } = c.get('deps');
      return c.json({ PROXY_BASE_URL: config.proxyBaseUrl ?? null, PROXY_LOGOUT_URL: config.proxyLogoutUrl ?? null }, 200);
    },
  );
