import * as z from 'zod/mini';
import { badRequest } from '../../core/errors';
import { publicUser } from '../../users/model';
import { isForm, isJson } from '../core/media-type';
import { createRoute, newRouter } from '../core/router';
import { okJson } from '../core/schemas';
import { publicBaseUrl, setSessionCookie } from '../core/session-cookie';
import { ClaimInvitation, InvitationId } from '../../invitations/inputs';

export const onboardingRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/onboarding/get_token',
      auth: 'anyone',
      tags: ['onboarding'],
      summary:
        'Check an invitation link (anonymous) and get a 15-minute token for /onboarding/claim_token. Marks nothing as used',
      request: { query: z.object({ invite_link: InvitationId }) },
      responses: okJson('The invited user and the claim token', 'OnboardingTokenResponse', {
        login_url: z.string(),
        token: z.string(),
        user_email: z.nullable(z.string()),
        user_id: z.string(),
      }),
    }),
    async (c) => {
      const start = await c.get('deps').invitations.onboardingToken(c.req.valid('query').invite_link, publicBaseUrl(c));
      return c.json(start, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/onboarding/claim_token',
      auth: 'claimToken',
      tags: ['onboarding'],
      summary:
        'Set the password through an invitation link (single use) and sign in (sets the session cookie). Send the token ' +
        'from /onboarding/get_token in the body field "token" (JSON or form), or, as LiteLLM\'s UI does, its "key" claim as ' +
        '"Authorization: Bearer <key>" with a body of invitation_link, user_id and password',
      request: {
        body: {
          required: false,
          content: {
            'application/json': { schema: ClaimInvitation },
            'application/x-www-form-urlencoded': { schema: ClaimInvitation },
          },
        },
      },
      responses: okJson('The user, without password', 'ClaimTokenResponse'),
    }),
    async (c) => {
      const body = isJson(c) ? c.req.valid('json') : isForm(c) ? c.req.valid('form') : undefined;
      if (!body) throw badRequest('Send invitation_link, user_id, password and token as JSON or as a form.');
      const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
      const deps = c.get('deps');
      const { user, join_errors } = await deps.provisioning.claimInvitation({ ...body, token: body.token ?? bearer });
      await setSessionCookie(c, user.user_id);
      return c.json({ ...publicUser(user), join_errors }, 200);
    },
  );
