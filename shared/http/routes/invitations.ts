import * as z from 'zod/mini';
import type { IssuedInvitation } from '../../invitations/service';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { jsonBody, okJson } from '../core/schemas';
import { InvitationId, NewInvitation } from '../../invitations/inputs';
import { publicBaseUrl } from '../core/session-cookie';

const invitationFields = {
  id: z.string(),
  user_id: z.string(),
  is_accepted: z.boolean(),
  accepted_at: z.nullable(z.string()),
  expires_at: z.string(),
  created_at: z.string(),
  created_by: z.string(),
  updated_at: z.string(),
  updated_by: z.string(),
};

const issuedFields = {
  ...invitationFields,
  invitation_link: z.string().check(z.meta({ examples: ['https://onramp.example.com/ui/onboarding?id=…'] })),
  email_sent: z.boolean(),
  email_error: z.nullable(z.string()).check(z.meta({ description: 'why the email was not sent, when it was not' })),
};

const ById = z.object({ invitation_id: InvitationId });

/** The flat response LiteLLM scripts expect, plus the link and the email's fate. */
const issuedBody = (r: IssuedInvitation) => ({
  ...r.invitation,
  invitation_link: r.invitation_link,
  email_sent: r.email_sent,
  email_error: r.email_error,
});

export const invitationRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/invitation/new',
      tags: ['invitations'],
      summary:
        "Invite a user (proxy admins): a link valid 7 days, emailed to the user's user_email unless send_email is false. " +
        'The link is shown only here. A failed email keeps the invitation (email_sent false, email_error says why).',
      auth: 'caller',
      request: {
        body: jsonBody(NewInvitation),
      },
      responses: okJson('The invitation, its link and whether it was emailed', 'NewInvitationResponse', issuedFields),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const issued = await c.get('deps').invitations.create(actor, c.req.valid('json'), publicBaseUrl(c));
      return c.json(issuedBody(issued), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/invitation/info',
      tags: ['invitations'],
      summary: 'An invitation by the id in its link (admins and admin viewers)',
      auth: 'caller',
      request: { query: ById },
      responses: okJson('The invitation', 'InvitationInfoResponse', invitationFields),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      return c.json(await c.get('deps').invitations.info(actor, c.req.valid('query').invitation_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/invitation/update',
      tags: ['invitations'],
      summary: 'Set is_accepted (proxy admins). Accepting revokes the link; an accepted invitation cannot be re-opened',
      auth: 'caller',
      request: { body: jsonBody(z.extend(ById, { is_accepted: z.boolean() }).check(z.meta({ id: 'UpdateInvitationRequest' }))) },
      responses: okJson('The updated invitation', 'UpdateInvitationResponse', invitationFields),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const { invitation_id, is_accepted } = c.req.valid('json');
      return c.json(await c.get('deps').invitations.update(actor, invitation_id, is_accepted), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/invitation/delete',
      tags: ['invitations'],
      summary: 'Delete an invitation (proxy admins); its link stops working at once',
      auth: 'caller',
      request: { body: jsonBody(ById.check(z.meta({ id: 'DeleteInvitationRequest' }))) },
      responses: okJson('The deleted invitation', 'DeleteInvitationResponse', invitationFields),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      return c.json(await c.get('deps').invitations.delete(actor, c.req.valid('json').invitation_id), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/invitation/resend',
      tags: ['invitations'],
      summary:
        'Email an open invitation again (proxy admins). Links are not stored, so this rotates it: a NEW id and link, ' +
        'valid a fresh 7 days, replace the old one (which stops working) and are emailed',
      auth: 'caller',
      request: { body: jsonBody(ById.check(z.meta({ id: 'ResendInvitationRequest' }))) },
      responses: okJson('The new invitation, its link and whether it was emailed', 'ResendInvitationResponse', issuedFields),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const issued = await c.get('deps').invitations.resend(actor, c.req.valid('json').invitation_id, publicBaseUrl(c));
      return c.json(issuedBody(issued), 200);
    },
  );
