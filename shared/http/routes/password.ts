import * as z from 'zod/mini';
import { RESET_REQUESTED, requestPasswordReset, resetPassword } from '../../auth/password-reset';
import { createRoute, newRouter } from '../core/router';
import { sameOriginPost } from '../core/same-origin';
import { ForgotPassword, ResetPassword } from '../../auth/inputs';
import { jsonBody, okJson } from '../core/schemas';
import { publicBaseUrl } from '../core/session-cookie';

/**
 * Forgot password, anonymous (the emailed link is the credential). Cross-site
 * browser posts are refused: a page elsewhere must not send mail in a visitor's name.
 * Changing a known password is `/user/update` with `current_password`.
 */
export const passwordRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/password/forgot',
      auth: 'public',
      middleware: [sameOriginPost] as const,
      tags: ['auth'],
      summary:
        'Email a single-use password reset link (valid 1 hour) to the account using this email. Answers the same whether ' +
        'or not an account does; at most 3 requests an hour per email (429). 403 when password sign-in is turned off',
      request: { body: jsonBody(ForgotPassword) },
      responses: { ...okJson('Always the same message', 'ForgotPasswordResponse', { message: z.string() }), 429: { description: 'Too many requests for this email' } },
    }),
    async (c) => {
      await requestPasswordReset(c.get('deps'), c.req.valid('json').user_email, publicBaseUrl(c));
      return c.json({ message: RESET_REQUESTED }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/password/reset',
      auth: 'public',
      middleware: [sameOriginPost] as const,
      tags: ['auth'],
      summary:
        'Set a new password through an emailed reset link (single use). Ends every session of the account and clears its ' +
        'sign-in lock; signs nobody in. 401 for an unknown, used, expired or outdated link',
      request: { body: jsonBody(ResetPassword) },
      responses: okJson('The password is set', 'ResetPasswordResponse', { message: z.string(), user_id: z.string(), user_email: z.nullable(z.string()) }),
    }),
    async (c) => {
      const { reset_id, password } = c.req.valid('json');
      const user = await resetPassword(c.get('deps'), reset_id, password);
      return c.json({ message: 'Your password is set. Every earlier session is signed out: sign in with the new password.', user_id: user.user_id, user_email: user.user_email }, 200);
    },
  );
