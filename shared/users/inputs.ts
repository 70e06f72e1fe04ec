import * as z from 'zod/mini';
import { Alias, DurationString, Email, Id, Limit, Metadata, ModelList, Money, UserRole } from '../core/inputs';
import { TeamChoices } from '../teams/inputs';

/**
 * What callers send to create and change users, typed once: `/user/new` and
 * `/user/update` validate their bodies with these, the pages their form posts
 * (new user, role and budget, password change), and the service takes the parsed types.
 */

const userFields = {
  user_email: z.optional(z.nullable(Email)),
  user_alias: z.optional(z.nullable(z.string().check(z.maxLength(256)))),
  user_role: z.optional(UserRole),
  max_budget: z.optional(z.nullable(Money)),
  soft_budget: z.optional(z.nullable(Money)),
  budget_duration: z.optional(z.nullable(DurationString)),
  models: z.optional(ModelList),
  tpm_limit: z.optional(z.nullable(Limit)),
  rpm_limit: z.optional(z.nullable(Limit)),
  metadata: z.optional(Metadata),
  password: z.optional(z.string()),
};

/** A user's own record, as created (the service's `createRecord`). */
export const UserRecordFields = z.object({ user_id: z.optional(Id), ...userFields });
export type NewUserInput = z.output<typeof UserRecordFields>;

/** A new user with the teams they join. */
export const NewUserFields = z.extend(UserRecordFields, { teams: z.optional(TeamChoices) });
export type NewUserRequest = z.output<typeof NewUserFields>;

/** `/user/new`: the user, and what the route does besides (a personal key, the invitation email). */
export const NewUser = z
  .extend(NewUserFields, {
    auto_create_key: z._default(z.boolean(), true).check(z.meta({ description: 'also create a personal key (not for users with no-default-models)' })),
    key_alias: z.optional(Alias),
    duration: z.optional(DurationString),
    send_invite_email: z.optional(z.boolean()),
  })
  .check(z.meta({ id: 'NewUserRequest' }));

export const UpdateUser = z
  .extend(UserRecordFields, {
    current_password: z.optional(z.string().check(z.maxLength(1024))).check(z.meta({ description: 'your current password: needed to change your own password or email' })),
  })
  .check(z.refine((b) => !!(b.user_id || b.user_email), { message: 'give user_id or user_email', path: ['user_id'] }), z.meta({ id: 'UpdateUserRequest' }));
export type UserUpdateInput = z.output<typeof UpdateUser>;
