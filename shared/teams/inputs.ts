import * as z from 'zod/mini';
import { Alias, DurationString, Email, Id, Limit, Metadata, ModelList, Money } from '../core/inputs';
import { TEAM_MEMBER_PERMISSIONS, TEAM_ROLES } from './model';

/**
 * What callers send to change teams and their members, typed once: `/team/*` routes
 * validate their bodies with these, the pages their form posts, and the service
 * takes the parsed types.
 */

export const Permission = z.enum(TEAM_MEMBER_PERMISSIONS);
export const TeamRole = z.enum(TEAM_ROLES);

const oneOfUserIdOrEmail = z.refine<{ user_id?: string; user_email?: string }>((m) => !!(m.user_id || m.user_email), {
  message: 'give user_id or user_email',
  path: ['user_id'],
});

/** A member to add, by id or email (a new email creates the user). */
export const MemberRef = z.object({ user_id: z.optional(Id), user_email: z.optional(Email), role: z._default(TeamRole, 'user') }).check(oneOfUserIdOrEmail);
/** Without a role a member joins as `user` (the schema's default). */
export type MemberRefInput = z.input<typeof MemberRef>;

/** A team a user joins (new users, default settings): its id, or the id with the member's budget and role. */
export const TeamChoice = z.union([Id, z.object({ team_id: Id, max_budget_in_team: z.optional(z.nullable(Money)), user_role: z.optional(TeamRole) })]);
export const TeamChoices = z.array(TeamChoice).check(z.maxLength(50));
/** A team to join with the member's budget and role given. */
export type TeamJoin = Exclude<z.output<typeof TeamChoice>, string>;

const teamFields = {
  team_alias: z.optional(z.nullable(Alias)),
  models: z.optional(ModelList),
  max_budget: z.optional(z.nullable(Money)),
  budget_duration: z.optional(z.nullable(DurationString)),
  tpm_limit: z.optional(z.nullable(Limit)),
  rpm_limit: z.optional(z.nullable(Limit)),
  blocked: z.optional(z.boolean()),
  metadata: z.optional(Metadata),
  team_member_permissions: z.optional(z.array(Permission)),
  team_member_budget: z.optional(z.nullable(Money)),
  team_member_budget_duration: z.optional(z.nullable(DurationString)),
  team_member_key_duration: z.optional(z.nullable(DurationString)),
};
const TeamFields = z.object(teamFields);
/** The fields of a team a caller sets (`/team/update` writes only those given). */
export type TeamInput = z.output<typeof TeamFields>;

/**
 * A new team and all its members are written in one transaction (at most 100
 * writes): the team, its alias, and two per member, the creator included.
 */
export const MAX_NEW_TEAM_MEMBERS = 48;

// Identifying fields first: zod reports problems in this order, and the first is the error's `param`.
export const NewTeam = z
  .object({ team_id: z.optional(Id), members_with_roles: z.optional(z.array(MemberRef).check(z.maxLength(MAX_NEW_TEAM_MEMBERS))), ...teamFields })
  .check(z.meta({ id: 'NewTeamRequest' }));
export type NewTeamInput = z.output<typeof NewTeam>;

export const UpdateTeam = z.object({ team_id: Id, ...teamFields }).check(z.meta({ id: 'UpdateTeamRequest' }));
export type UpdateTeamInput = z.output<typeof UpdateTeam>;

export const AddMembers = z.object({
  team_id: Id,
  member: z.union([MemberRef, z.array(MemberRef).check(z.minLength(1), z.maxLength(100))]),
  max_budget_in_team: z.optional(z.nullable(Money)),
});

/** The member a removal or a change is about, by id or email. */
export const MemberTarget = z.object({ team_id: Id, user_id: z.optional(Id), user_email: z.optional(Email) }).check(oneOfUserIdOrEmail);
export type MemberTargetInput = Omit<z.output<typeof MemberTarget>, 'team_id'>;

export const UpdateMember = z
  .object({ team_id: Id, user_id: z.optional(Id), user_email: z.optional(Email), role: z.optional(TeamRole), max_budget_in_team: z.optional(z.nullable(Money)) })
  .check(oneOfUserIdOrEmail);
export type UpdateMemberInput = Omit<z.output<typeof UpdateMember>, 'team_id'>;

export const UpdatePermissions = z.object({ team_id: Id, team_member_permissions: z.array(Permission) });
