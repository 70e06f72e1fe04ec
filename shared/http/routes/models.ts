import type { Context } from 'hono';
import * as z from 'zod/mini';
import { publicModel, splitModel, type ModelItem } from '../../models/model';
import { priceUsage } from '../../models/prices';
import { ChangedParams, Info, ModelName as Name, NewParams } from '../../models/schema';
import { requirePrincipal } from '../core/auth';
import type { AppEnv } from '../core/env';
import { createRoute, newRouter } from '../core/router';
import { jsonBody, okJson, requireJsonBody } from '../core/schemas';

const NewModelBody = z.object({ model_name: Name, litellm_params: NewParams, model_info: z.optional(Info) }).check(z.meta({ id: 'NewModelRequest' }));
const Change = { model_name: z.optional(Name), litellm_params: z.optional(ChangedParams) };
const UpdateBody = z
  .object({ ...Change, model_info: z.looseObject({ ...Info.shape, id: z.string().check(z.minLength(1), z.maxLength(128)) }) })
  .check(z.meta({ id: 'UpdateModelRequest' }));
const PatchBody = z.object({ ...Change, model_info: z.optional(Info) }).check(z.meta({ id: 'PatchModelRequest' }));

/** LiteLLM's `/model/info` row: the public model with the prices and limits it will be served at. */
function modelInfoRow(item: ModelItem) {
  const view = publicModel(item);
  const perMillion = (input: number, output: number) => priceUsage(item, { input_tokens: input, output_tokens: output })?.cost ?? null;
  const input = perMillion(1_000_000, 0);
  const output = perMillion(0, 1_000_000);
  return {
    model_name: view.model_name,
    litellm_params: view.litellm_params,
    model_info: {
      ...view.model_info,
      db_model: true,
      litellm_provider: splitModel(item.litellm_params.model)?.provider ?? null,
      mode: item.model_info.mode ?? 'chat',
      input_cost_per_token: input === null ? null : input / 1_000_000,
      output_cost_per_token: output === null ? null : output / 1_000_000,
      max_tokens: item.litellm_params.max_tokens ?? item.model_info.max_output_tokens ?? null,
      max_output_tokens: item.model_info.max_output_tokens ?? item.litellm_params.max_tokens ?? null,
      max_input_tokens: item.model_info.max_input_tokens ?? null,
    },
    created_at: view.created_at,
    updated_at: view.updated_at,
  };
}

const infoRoute = (path: string) =>
  createRoute({
    method: 'get',
    path,
    tags: ['models'],
    summary: 'Registered models with their prices and limits; credentials are never returned',
    auth: 'caller',
    request: { query: z.object({ litellm_model_id: z.optional(z.string().check(z.maxLength(128))) }) },
    responses: okJson('{data: [...]}', 'ModelInfoResponse'),
  });

export const modelRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      middleware: requireJsonBody,
      path: '/model/new',
      tags: ['models'],
      summary: 'Register a model (proxy admins): public model_name → provider/upstream model, api_base, credential, prices',
      auth: 'caller',
      request: { body: jsonBody(NewModelBody) },
      responses: okJson('The model, without its credential', 'ModelResponse'),
    }),
    async (c) => c.json(publicModel(await c.get('deps').models.create(requirePrincipal(c), c.req.valid('json'))), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      middleware: requireJsonBody,
      path: '/model/update',
      tags: ['models'],
      summary: 'Change a model (proxy admins), named by model_info.id; given fields are merged',
      auth: 'caller',
      request: { body: jsonBody(UpdateBody) },
      responses: okJson('The model, without its credential', 'ModelResponse'),
    }),
    async (c) => {
      const { model_info, ...change } = c.req.valid('json');
      return c.json(publicModel(await c.get('deps').models.update(requirePrincipal(c), model_info.id, { ...change, model_info })), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      middleware: requireJsonBody,
      path: '/model/{model_id}/update',
      tags: ['models'],
      summary: 'Change a model (proxy admins); given fields are merged',
      auth: 'caller',
      request: { params: z.object({ model_id: z.string().check(z.minLength(1), z.maxLength(128)) }), body: jsonBody(PatchBody) },
      responses: okJson('The model, without its credential', 'ModelResponse'),
    }),
    async (c) => c.json(publicModel(await c.get('deps').models.update(requirePrincipal(c), c.req.valid('param').model_id, c.req.valid('json'))), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      middleware: requireJsonBody,
      path: '/model/delete',
      tags: ['models'],
      summary: 'Delete a model (proxy admins)',
      auth: 'caller',
      request: { body: jsonBody(z.object({ id: z.string().check(z.minLength(1), z.maxLength(128)) }).check(z.meta({ id: 'DeleteModelRequest' }))) },
      responses: okJson('{message}', 'DeleteModelResponse'),
    }),
    async (c) => {
      const { id } = c.req.valid('json');
      await c.get('deps').models.delete(requirePrincipal(c), id);
      return c.json({ message: `Model: ${id} deleted successfully` }, 200);
    },
  )
  .openapi(infoRoute('/model/info'), async (c) => listInfo(c))
  .openapi(infoRoute('/v1/model/info'), async (c) => listInfo(c))
  .openapi(
    createRoute({
      method: 'get',
      path: '/v2/model/info',
      tags: ['models'],
      summary: 'Registered models, a page at a time',
      auth: 'caller',
      request: {
        query: z.object({
          page: z._default(z.coerce.number().check(z.int(), z.minimum(1)), 1),
          size: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(100)), 50),
        }),
      },
      responses: okJson('{data, total_count, current_page, total_pages, size}', 'ModelInfoPage'),
    }),
    async (c) => {
      requirePrincipal(c);
      const { page, size } = c.req.valid('query');
      const all = await c.get('deps').models.list();
      const data = all.slice((page - 1) * size, page * size).map(modelInfoRow);
      return c.json({ data, total_count: all.length, current_page: page, total_pages: Math.ceil(all.length / size), size }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/model_group/info',
      tags: ['models'],
      summary: 'Public model names with their providers, limits and prices',
      auth: 'caller',
      responses: okJson('{data: [...]}', 'ModelGroupInfoResponse'),
    }),
    async (c) => {
      requirePrincipal(c);
      const groups = new Map<string, ReturnType<typeof modelInfoRow>[]>();
      for (const m of await c.get('deps').models.list()) groups.set(m.model_name, [...(groups.get(m.model_name) ?? []), modelInfoRow(m)]);
      const data = [...groups].map(([name, rows]) => {
        const first = rows[0]!.model_info;
        return {
          model_group: name,
          providers: [...new Set(rows.map((r) => r.model_info.litellm_provider).filter((p) => p !== null))],
          max_input_tokens: first.max_input_tokens,
          max_output_tokens: first.max_output_tokens,
          input_cost_per_token: first.input_cost_per_token,
          output_cost_per_token: first.output_cost_per_token,
          mode: first.mode,
        };
      });
      return c.json({ data }, 200);
    },
  );

// Any signed-in caller may read the registry (as in LiteLLM); nothing secret is in it.
async function listInfo(c: Context<AppEnv>) {
  requirePrincipal(c);
  const id = c.req.query('litellm_model_id');
  const deps = c.get('deps');
  const items = id ? [await deps.models.get(id)].filter((m): m is ModelItem => !!m) : await deps.models.list();
  return c.json({ data: items.map(modelInfoRow) }, 200);
}
