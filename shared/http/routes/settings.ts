import * as z from 'zod/mini';
import { TEAM_ROLES } from '../../teams/model';
import { SETTINGS_FIELD_SCHEMA } from '../../settings/service';
import { requirePrincipal } from '../auth';
import { createRoute, newRouter } from '../router';
import { DurationString, Id, jsonBody, requireJsonBody, ModelList, Money, okJson, UserRole } from '../schemas';

const Patch = z
  .object({
    user_role: z.optional(UserRole),
    max_budget: z.optional(z.nullable(Money)),
    budget_duration: z.optional(z.nullable(DurationString)),
    models: z.optional(ModelList),
    teams: z.optional(
      z
        .array(z.union([Id, z.object({ team_id: Id, max_budget_in_team: z.optional(z.nullable(Money)), user_role: z.optional(z.enum(TEAM_ROLES)) })]))
        .check(z.maxLength(50)),
    ),
  })
  .check(z.meta({ id: 'InternalUserSettingsPatch' }));

const json = { middleware: requireJsonBody };

export const settingsRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/get/internal_user_settings',
      tags: ['default user settings'],
      summary: 'What every new internal user gets: role, budget, models, default teams',
      auth: 'caller',
      responses: okJson('The settings', 'InternalUserSettings'),
    }),
    async (c) => {
      const values = await c.get('deps').settings.read(requirePrincipal(c));
      return c.json({ values, field_schema: SETTINGS_FIELD_SCHEMA }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      ...json,
      path: '/update/internal_user_settings',
      tags: ['default user settings'],
      summary: 'Change the default user settings (proxy admins); teams must exist',
      auth: 'caller',
      request: { body: jsonBody(Patch) },
      responses: okJson('The new settings', 'InternalUserSettingsUpdate'),
    }),
    async (c) => {
      const settings = await c.get('deps').settings.update(requirePrincipal(c), c.req.valid('json'));
      return c.json({ message: 'Internal user settings updated successfully', status: 'success', settings }, 200);
    },
  );
