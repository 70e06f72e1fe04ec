import * as z from 'zod/mini';
import { Id, Password } from '../core/inputs';

/** What callers send about invitations, typed once: the routes validate with these, the pages too, and the service takes the parsed types. */

/** The id from an invitation link (the part after `?id=`). */
export const InvitationId = z.string().check(z.minLength(1), z.maxLength(256), z.meta({ description: 'the id in the invitation link' }));

export const NewInvitation = z.object({ user_id: Id, send_email: z._default(z.boolean(), true) }).check(z.meta({ id: 'NewInvitationRequest' }));
/** Without `send_email` the link is emailed. */
export type NewInvitationInput = z.input<typeof NewInvitation>;

/** Setting the password through an invitation link (`/onboarding/claim_token`, the onboarding page). */
export const ClaimInvitation = z
  .object({
    invitation_link: InvitationId,
    user_id: Id,
    password: Password,
    token: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))).check(z.meta({ description: 'the token from /onboarding/get_token' })),
  })
  .check(z.meta({ id: 'ClaimTokenRequest' }));
export type ClaimInput = z.output<typeof ClaimInvitation>;
