import { createRoute, z } from '@hono/zod-openapi';
import { remainingBudget } from '../../budgets/state';
import { publicKey, type KeyItem } from '../../keys/model';
import { publicMembership, publicTeam, TEAM_MEMBER_PERMISSIONS, TEAM_ROLES } from '../../teams/model';
import { requirePrincipal } from '../auth';
import { newRouter } from '../router';
import { DurationString, Email, Id, jsonBody, requireJsonBody, Limit, Metadata, ModelList, Money, okJson, security } from '../schemas';

const json = { middleware: requireJsonBody };

const Permission = z.enum(TEAM_MEMBER_PERMISSIONS);
const TeamRole = z.enum(TEAM_ROLES);
const MemberRef = z
  .object({ user_id: Id.optional(), user_email: Email.optional(), role: TeamRole.default('user') })
  .refine((m) => m.user_id || m.user_email, { message: 'give user_id or user_email', path: ['user_id'] });

const teamFields = {
  team_alias: z.string().trim().min(1).max(256).nullable().optional(),
  models: ModelList.optional(),
  max_budget: Money.nullable().optional(),
  budget_duration: DurationString.nullable().optional(),
  tpm_limit: Limit.nullable().optional(),
  rpm_limit: Limit.nullable().optional(),
  blocked: z.boolean().optional(),
  metadata: Metadata.optional(),
  team_member_permissions: z.array(Permission).optional(),
  team_member_budget: Money.nullable().optional(),
  team_member_budget_duration: DurationString.nullable().optional(),
  team_member_key_duration: DurationString.nullable().optional(),
};

const NewTeam = z.object({ team_id: Id.optional(), members_with_roles: z.array(MemberRef).max(100).optional(), ...teamFields }).openapi('NewTeamRequest');
const UpdateTeam = z.object({ team_id: Id, ...teamFields }).openapi('UpdateTeamRequest');
const MemberTarget = z
  .object({ team_id: Id, user_id: Id.optional(), user_email: Email.optional() })
  .refine((m) => m.user_id || m.user_email, { message: 'give user_id or user_email', path: ['user_id'] });

export const teamRoutes = newRouter()
  .openapi(
    createRoute({ method: 'post', ...json, path: '/team/new', tags: ['teams'], summary: 'Create a team (proxy admins); the creator becomes its admin', security, request: { body: jsonBody(NewTeam) }, responses: okJson('The team', 'Team') }),
    async (c) => {
      const team = await c.get('deps').teams.create(requirePrincipal(c), c.req.valid('json'));
      return c.json(publicTeam(team), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/team/info',
      tags: ['teams'],
      summary: "A team with its keys and members' budgets (members, admins and viewers)",
      security,
      request: { query: z.object({ team_id: Id }) },
      responses: okJson('The team', 'TeamInfoResponse'),
    }),
    async (c) => {
      const { team, memberships, keys } = await c.get('deps').teams.info(requirePrincipal(c), c.req.valid('query').team_id);
      return c.json(
        {
          team_id: team.team_id,
          team_info: { ...publicTeam(team), remaining_budget: remainingBudget(team) },
          keys: keys.map((k) => publicKey(k as KeyItem)),
          team_memberships: memberships.map((m) => publicMembership(m, team)),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({ method: 'post', ...json, path: '/team/update', tags: ['teams'], summary: 'Change a team; only the fields given are written (proxy admins)', security, request: { body: jsonBody(UpdateTeam) }, responses: okJson('The team', 'UpdateTeamResponse') }),
    async (c) => {
      const { team_id, ...fields } = c.req.valid('json');
      const team = await c.get('deps').teams.update(requirePrincipal(c), team_id, fields);
      return c.json({ team_id: team.team_id, data: publicTeam(team) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/delete',
      tags: ['teams'],
      summary: "Delete teams with their keys and memberships (proxy admins)",
      security,
      request: { body: jsonBody(z.object({ team_ids: z.array(Id).min(1).max(100) })) },
      responses: okJson('The deleted team ids', 'DeleteTeamResponse'),
    }),
    async (c) => {
      const deps = c.get('deps');
      const deleted = await deps.teams.delete(requirePrincipal(c), c.req.valid('json').team_ids);
      await deps.settings.forgetTeams(deleted);
      return c.json({ deleted_teams: deleted }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/team/list',
      tags: ['teams'],
      summary: 'Teams: all for admins and viewers, your own otherwise',
      security,
      request: { query: z.object({ user_id: Id.optional() }) },
      responses: { 200: { description: 'Teams', content: { 'application/json': { schema: z.array(z.looseObject({})) } } } },
    }),
    async (c) => {
      const teams = await c.get('deps').teams.list(requirePrincipal(c), c.req.valid('query').user_id);
      return c.json(teams.map(publicTeam), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/member_add',
      tags: ['teams'],
      summary: 'Add members by user_id or user_email (a new email creates the user); team admins and proxy admins',
      security,
      request: {
        body: jsonBody(z.object({ team_id: Id, member: z.union([MemberRef, z.array(MemberRef).min(1).max(100)]), max_budget_in_team: Money.nullable().optional() })),
      },
      responses: okJson('The team and the new memberships', 'TeamMemberAddResponse'),
    }),
    async (c) => {
      const body = c.req.valid('json');
      const refs = Array.isArray(body.member) ? body.member : [body.member];
      const { team, added } = await c.get('deps').teams.addMembers(requirePrincipal(c), body.team_id, refs, body.max_budget_in_team ?? null);
      return c.json({ ...publicTeam(team), updated_team_memberships: added.map((m) => publicMembership(m, team)) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/member_delete',
      tags: ['teams'],
      summary: "Remove a member and their keys in the team",
      security,
      request: { body: jsonBody(MemberTarget) },
      responses: okJson('The team', 'TeamMemberDeleteResponse'),
    }),
    async (c) => {
      const { team_id, ...ref } = c.req.valid('json');
      const team = await c.get('deps').teams.deleteMember(requirePrincipal(c), team_id, ref);
      return c.json(publicTeam(team), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/member_update',
      tags: ['teams'],
      summary: "Change a member's role (team admins) or budget in the team (proxy admins)",
      security,
      request: { body: jsonBody(z.object({ team_id: Id, user_id: Id.optional(), user_email: Email.optional(), role: TeamRole.optional(), max_budget_in_team: Money.nullable().optional() }).refine((m) => m.user_id || m.user_email, { message: 'give user_id or user_email', path: ['user_id'] })) },
      responses: okJson('The membership', 'TeamMemberUpdateResponse'),
    }),
    async (c) => {
      const { team_id, ...ref } = c.req.valid('json');
      return c.json(await c.get('deps').teams.updateMember(requirePrincipal(c), team_id, ref), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/team/permissions_list',
      tags: ['teams'],
      summary: 'What plain members of a team may do with keys',
      security,
      request: { query: z.object({ team_id: Id }) },
      responses: okJson('Permissions', 'TeamPermissions'),
    }),
    async (c) => {
      const team = await c.get('deps').teams.permissions(requirePrincipal(c), c.req.valid('query').team_id);
      return c.json({ team_id: team.team_id, team_member_permissions: team.team_member_permissions, all_available_permissions: [...TEAM_MEMBER_PERMISSIONS] }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/permissions_update',
      tags: ['teams'],
      summary: 'Set what plain members may do with keys (team admins and proxy admins)',
      security,
      request: { body: jsonBody(z.object({ team_id: Id, team_member_permissions: z.array(Permission) })) },
      responses: okJson('The team', 'TeamPermissionsUpdateResponse'),
    }),
    async (c) => {
      const { team_id, team_member_permissions } = c.req.valid('json');
      const team = await c.get('deps').teams.updatePermissions(requirePrincipal(c), team_id, team_member_permissions);
      return c.json(publicTeam(team), 200);
    },
  );
