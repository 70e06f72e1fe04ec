import { createRoute, z } from '@hono/zod-openapi';
import { publicUser } from '../../users/model';
import { requirePrincipal } from '../auth';
import { newRouter } from '../router';
import { DurationString, Email, Id, jsonBody, Limit, Metadata, ModelList, Money, okJson, security, UserRole } from '../schemas';

const userFields = {
  user_email: Email.nullable().optional(),
  user_alias: z.string().max(256).nullable().optional(),
  user_role: UserRole.optional(),
  max_budget: Money.nullable().optional(),
  soft_budget: Money.nullable().optional(),
  budget_duration: DurationString.nullable().optional(),
  models: ModelList.optional(),
  tpm_limit: Limit.nullable().optional(),
  rpm_limit: Limit.nullable().optional(),
  metadata: Metadata.optional(),
  password: z.string().optional(),
};

const NewUserBody = z.object({ user_id: Id.optional(), ...userFields }).openapi('NewUserRequest');

const UpdateUserBody = z
  .object({ user_id: Id.optional(), ...userFields })
  .refine((b) => b.user_id || b.user_email, { message: 'give user_id or user_email', path: ['user_id'] })
  .openapi('UpdateUserRequest');

const ListQuery = z.object({
  role: UserRole.optional(),
  user_ids: z.string().optional().openapi({ description: 'comma-separated user ids' }),
  user_email: z.string().max(254).optional().openapi({ description: 'part of an email' }),
  team: z.string().optional(),
  page: z.coerce.number().int().min(1).default(1),
  page_size: z.coerce.number().int().min(1).max(100).default(25),
  sort_by: z.enum(['created_at', 'user_email', 'user_id', 'spend', 'user_alias']).default('created_at'),
  sort_order: z.enum(['asc', 'desc']).default('asc'),
});

export const userRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/new',
      tags: ['users'],
      summary: 'Create a user (proxy admins)',
      security,
      request: { body: jsonBody(NewUserBody) },
      responses: okJson('The new user', 'NewUserResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const user = await c.get('deps').users.create(actor, c.req.valid('json'));
      return c.json({ ...publicUser(user), key: '', expires: null }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/user/info',
      tags: ['users'],
      summary: "A user's record, keys and teams (yours unless you are an admin)",
      security,
      request: { query: z.object({ user_id: Id.optional() }) },
      responses: okJson('The user', 'UserInfoResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const userId = c.req.valid('query').user_id ?? actor.userId;
      const user = await c.get('deps').users.info(actor, userId);
      return c.json({ user_id: user.user_id, user_info: publicUser(user), keys: [], teams: [] }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/update',
      tags: ['users'],
      summary: 'Change a user; only the fields given are written',
      security,
      request: { body: jsonBody(UpdateUserBody) },
      responses: okJson('The updated user', 'UpdateUserResponse'),
    }),
    async (c) => {
      const actor = requirePrincipal(c);
      const user = await c.get('deps').users.update(actor, c.req.valid('json'));
      return c.json({ user_id: user.user_id, data: publicUser(user) }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/user/delete',
      tags: ['users'],
      summary: 'Delete users with their memberships, keys and invitations (proxy admins)',
      security,
      request: { body: jsonBody(z.object({ user_ids: z.array(Id).min(1).max(100) })) },
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
      security,
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
