import { SETTINGS_FIELD_SCHEMA } from '../../settings/service';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { jsonBody, requireJsonBody, okJson } from '../core/schemas';
import { SettingsPatch } from '../../settings/inputs';

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
      request: { body: jsonBody(SettingsPatch) },
      responses: okJson('The new settings', 'InternalUserSettingsUpdate'),
    }),
    async (c) => {
      const settings = await c.get('deps').settings.update(requirePrincipal(c), c.req.valid('json'));
      return c.json({ message: 'Internal user settings updated successfully', status: 'success', settings }, 200);
    },
  );
