import * as z from 'zod/mini';
import { MASTER_KEY_USER_ID } from '../../auth/roles';
import { publicKey } from '../../keys/model';
import { publicTeam } from '../../teams/model';
import { publicUser } from '../../users/model';
import { Id, UserRole } from '../../core/inputs';
import { NewUser, UpdateUser } from '../../users/inputs';
import { publicBaseUrl, setSessionCookie } from '../core/session-cookie';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { refuseFields, UNENFORCED_USER_FIELDS } from '../core/unsupported-fields';
import { jsonBody, requireJsonBody, okJson } from '../core/schemas';

const ListQuery = z.object({
  role: z.optional(UserRole),
  user_ids: z.optional(z.string()).check(z.meta({ description: 'comma-separated user ids' })),
  user_email: z.optional(z.string().check(z.maxLength(254))).check(z.meta({ description: 'part of an email' })),
  team: z.optional(z.string()),
  page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
  page_size: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 25),
  sort_by: z._default(z.enum(['created_at', 'user_email', 'user_id', 'spend', 'user_alias']), 'created_at'),
  sort_order: z._default(z.enum(['asc', 'desc']), 'asc'),
});

/** The master key as a user: no stored record, just its id and role. */
const MASTER_KEY_USER = { user_id: MASTER_KEY_USER_ID, user_role: 'proxy_admin', user_email: null, teams: [], models: [] };

export const userRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/new',
      middleware: [requireJsonBody, refuseFields(UNENFORCED_USER_FIELDS)] as const,
      tags: ['users'],
      summary: 'Create a user (proxy admins)',
      auth: 'caller',
      request: { body: jsonBody(NewUser) },
      responses: okJson('The new user', 'NewUserResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const deps = c.get('deps');
      const { auto_create_key, key_alias, duration, send_invite_email, ...input } = c.req.valid('json');
      const { user, join_errors, key, key_error, invitation } = await deps.provisioning.createUser(actor, input, {
        personalKey: auto_create_key ? { key_alias, duration } : undefined,
        invite: send_invite_email ? { sendEmail: true, baseUrl: publicBaseUrl(c) } : undefined,
      });
      if (invitation && 'failed' in invitation) throw invitation.failed;
      return c.json(
        {
          ...publicUser(user),
          key: key?.secret ?? '',
          token: key?.item.token ?? null,
          key_name: key?.item.key_name ?? null,
          expires: key?.item.expires ?? null,
          ...(key_error ? { key_error } : {}),
          ...(invitation ? { invitation: invitation.issued } : {}),
          join_errors,
          ...(join_errors.length ? { warning: `The user was created but could not join: ${join_errors.map((e) => `${e.team_id} (${e.message})`).join('; ')}` } : {}),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/user/info',
      tags: ['users'],
      summary: "A user's record, keys and teams (yours unless you are an admin)",
      auth: 'caller',
      request: { query: z.object({ user_id: z.optional(Id) }) },
      responses: okJson('The user', 'UserInfoResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const userId = c.req.valid('query').user_id ?? actor.userId;
      const deps = c.get('deps');
      if (userId === MASTER_KEY_USER_ID && actor.userId === MASTER_KEY_USER_ID) {
        // The master key is no stored user; like LiteLLM, it gets its role and no keys of its own.
        return c.json({ user_id: userId, user_info: MASTER_KEY_USER, keys: [], teams: [] }, 200);
      }
      const user = await deps.users.info(actor, userId);
      const [keys, teams] = await Promise.all([deps.keys.ofUser(user.user_id), deps.teams.list(actor, user.user_id)]);
      return c.json({ user_id: user.user_id, user_info: publicUser(user), keys: keys.map(publicKey), teams: teams.map(publicTeam) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v2/user/info',
      tags: ['users'],
      summary: "LiteLLM's lightweight user info: the user record alone, teams as ids (yours unless you are an admin)",
      auth: 'caller',
      request: { query: z.object({ user_id: z.optional(Id) }) },
      responses: okJson('The user', 'UserInfoLightResponse', { user_id: z.string(), user_role: z.string(), teams: z.array(z.string()) }),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const userId = c.req.valid('query').user_id ?? actor.userId;
      if (userId === MASTER_KEY_USER_ID && actor.userId === MASTER_KEY_USER_ID) return c.json(MASTER_KEY_USER, 200);
      return c.json(publicUser(await c.get('deps').users.info(actor, userId)), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/update',
      middleware: [requireJsonBody, refuseFields(UNENFORCED_USER_FIELDS)] as const,
      tags: ['users'],
      summary: 'Change a user; only the fields given are written',
      auth: 'caller',
      request: { body: jsonBody(UpdateUser) },
      responses: okJson('The updated user', 'UpdateUserResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const body = c.req.valid('json');
      const user = await c.get('deps').users.update(actor, body);
      // A new password ends every session; the browser that changed it stays signed in.
      if (body.password !== undefined && c.get('session') && actor.userId === user.user_id) await setSessionCookie(c, user.user_id);
      return c.json({ user_id: user.user_id, data: publicUser(user) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/delete',
      middleware: [requireJsonBody] as const,
      tags: ['users'],
      summary: 'Delete users with their memberships, keys and invitations (proxy admins)',
      auth: 'caller',
      request: { body: jsonBody(z.object({ user_ids: z.array(Id).check(z.minLength(1), z.maxLength(100)) })) },
      responses: okJson('The deleted user ids', 'DeleteUserResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const deleted = await c.get('deps').users.delete(actor, c.req.valid('json').user_ids);
      return c.json({ deleted_users: deleted }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/user/list',
      tags: ['users'],
      summary: 'List users, paginated and filtered (admins and admin viewers)',
      auth: 'caller',
      request: { query: ListQuery },
      responses: okJson('A page of users', 'UserListResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const q = c.req.valid('query');
      const page = await c.get('deps').users.list(actor, {
        ...q,
        user_ids: q.user_ids ? q.user_ids.split(',').map((s) => s.trim()).filter(Boolean) : undefined,
      });
      return c.json({ ...page, users: page.users.map(publicUser) }, 200);
    },
  );
