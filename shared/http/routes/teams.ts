import * as z from 'zod/mini';
import { remainingBudget } from '../../budgets/state';
import { publicKey } from '../../keys/model';
import { publicMembership, publicTeam, TEAM_MEMBER_PERMISSIONS } from '../../teams/model';
import { AddMembers, MemberTarget, NewTeam, UpdateMember, UpdatePermissions, UpdateTeam } from '../../teams/inputs';
import { Id } from '../../core/inputs';
import { publicUser } from '../../users/model';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { refuseFields, UNENFORCED_TEAM_FIELDS } from '../core/unsupported-fields';
import { jsonBody, okJson, requireJsonBody } from '../core/schemas';

const json = { middleware: requireJsonBody };
/** The body may not set a LiteLLM team field onramp does not enforce. */
const teamBody = { middleware: [requireJsonBody, refuseFields(UNENFORCED_TEAM_FIELDS)] as const };

export const teamRoutes = newRouter()
  .openapi(
    createRoute({ method: 'post', ...teamBody, path: '/team/new', tags: ['teams'], summary: 'Create a team (proxy admins); the creator becomes its admin', auth: 'caller', request: { body: jsonBody(NewTeam) }, responses: okJson('The team', 'Team') }),
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
      auth: 'caller',
      request: { query: z.object({ team_id: Id }) },
      responses: okJson('The team', 'TeamInfoResponse'),
    }),
    async (c) => {
      const { team, memberships, keys } = await c.get('deps').teams.info(requirePrincipal(c), c.req.valid('query').team_id);
      return c.json(
        {
          team_id: team.team_id,
          team_info: { ...publicTeam(team), remaining_budget: remainingBudget(team) },
          keys: keys.map(publicKey),
          team_memberships: memberships.map((m) => publicMembership(m, team)),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({ method: 'post', ...teamBody, path: '/team/update', tags: ['teams'], summary: 'Change a team; only the fields given are written (proxy admins)', auth: 'caller', request: { body: jsonBody(UpdateTeam) }, responses: okJson('The team', 'UpdateTeamResponse') }),
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
      auth: 'caller',
      request: { body: jsonBody(z.object({ team_ids: z.array(Id).check(z.minLength(1), z.maxLength(100)) })) },
      responses: okJson('The deleted team ids', 'DeleteTeamResponse'),
    }),
    async (c) => {
      const deleted = await c.get('deps').provisioning.deleteTeams(requirePrincipal(c), c.req.valid('json').team_ids);
      return c.json({ deleted_teams: deleted }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/team/list',
      tags: ['teams'],
      summary: 'Teams: all for admins and viewers, your own otherwise',
      auth: 'caller',
      request: { query: z.object({ user_id: z.optional(Id) }) },
      responses: { 200: { description: 'Teams', content: { 'application/json': { schema: z.array(z.looseObject({})) } } } },
    }),
    async (c) => {
      const teams = await c.get('deps').teams.list(requirePrincipal(c), c.req.valid('query').user_id);
      return c.json(teams.map(publicTeam), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v2/team/list',
      tags: ['teams'],
      summary: "LiteLLM's paginated team list: all for admins and viewers, your own otherwise; team_alias matches part of the alias",
      auth: 'caller',
      request: {
        query: z.object({
          user_id: z.optional(Id),
          team_id: z.optional(Id),
          team_alias: z.optional(z.string().check(z.maxLength(256))),
          organization_id: z.optional(z.string().check(z.maxLength(256))).check(z.meta({ description: 'onramp has no organizations: matches no team' })),
          page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
          page_size: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 10),
          sort_by: z.optional(z.enum(['team_id', 'team_alias', 'created_at'])),
          sort_order: z._default(z.enum(['asc', 'desc']), 'asc'),
        }),
      },
      responses: okJson('A page of teams', 'TeamPageResponse', { teams: z.array(z.looseObject({})), total: z.number(), page: z.number(), page_size: z.number(), total_pages: z.number() }),
    }),
    async (c) => {
      const page = await c.get('deps').teams.listPage(requirePrincipal(c), c.req.valid('query'));
      return c.json({ ...page, teams: page.teams.map(publicTeam) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/team/available',
      tags: ['teams'],
      summary: "Teams you may join yourself (LiteLLM's available_teams). onramp has none: admins add members, and default teams are joined on creation",
      auth: 'caller',
      responses: { 200: { description: 'Teams', content: { 'application/json': { schema: z.array(z.looseObject({})) } } } },
    }),
    (c) => {
      requirePrincipal(c);
      return c.json([], 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/member_add',
      tags: ['teams'],
      summary: 'Add members by user_id or user_email (a new email creates the user); team admins and proxy admins. Someone already in the team: 400 team_member_already_in_team, nothing added',
      auth: 'caller',
      request: {
        body: jsonBody(AddMembers),
      },
      responses: okJson('The team and the new memberships', 'TeamMemberAddResponse'),
    }),
    async (c) => {
      const body = c.req.valid('json');
      const refs = Array.isArray(body.member) ? body.member : [body.member];
      const { team, added, users } = await c.get('deps').provisioning.addMembers(requirePrincipal(c), body.team_id, refs, body.max_budget_in_team ?? null);
      return c.json(
        { ...publicTeam(team), updated_users: users.map(publicUser), updated_team_memberships: added.map((m) => publicMembership(m, team)) },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      ...json,
      path: '/team/member_delete',
      tags: ['teams'],
      summary: "Remove a member and their keys in the team",
      auth: 'caller',
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
      auth: 'caller',
      request: { body: jsonBody(UpdateMember) },
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
      auth: 'caller',
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
      auth: 'caller',
      request: { body: jsonBody(UpdatePermissions) },
      responses: okJson('The team', 'TeamPermissionsUpdateResponse'),
    }),
    async (c) => {
      const { team_id, team_member_permissions } = c.req.valid('json');
      const team = await c.get('deps').teams.updatePermissions(requirePrincipal(c), team_id, team_member_permissions);
      return c.json(publicTeam(team), 200);
    },
  );
