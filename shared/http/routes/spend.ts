import * as z from 'zod/mini';
import type { Context } from 'hono';
import { isProxyAdmin } from '../../auth/roles';
import { forbidden, unauthenticated } from '../../core/errors';
import { runResetJob } from '../../spend/job';
import { requirePrincipal } from '../core/auth';
import type { AppEnv } from '../core/env';
import { createRoute, newRouter } from '../core/router';
import { jsonBody, okJson } from '../core/schemas';
import { Id, Money } from '../../core/inputs';

/** The gateway routes authenticate with the virtual key itself (their routes declare `auth: 'virtualKey'`). */
function virtualKey(c: Context<AppEnv>): string {
  const key = /^Bearer\s+(sk-\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  if (!key || key === c.get('deps').config.masterKey) throw unauthenticated('Send the virtual key being used: "Authorization: Bearer sk-…".');
  return key;
}

const Cost = Money.check(z.maximum(1e6));

export const spendRoutes = newRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/spend/authorize',
      tags: ['spend (gateway)'],
      summary:
        'Before a model call: may this key call this model now? Reserves the estimated cost on the key, the member, the team and the user budgets at once, or says which budget refuses',
      auth: 'virtualKey',
      request: { body: jsonBody(z.object({ model: z.string().check(z.minLength(1), z.maxLength(256)), estimated_cost: Cost, request_id: z.optional(Id) }).check(z.meta({ id: 'AuthorizeRequest' }))) },
      responses: { ...okJson('Allowed: the reservation', 'AuthorizeResponse'), 429: { description: 'Too much contention on one budget; retry' } },
    }),
    async (c) => c.json(await c.get('deps').gateway.authorize(virtualKey(c), { ...c.req.valid('json'), route: c.req.path }), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/spend/record',
      tags: ['spend (gateway)'],
      summary: "After a model call: settles the request's actual cost (USD) and releases its reservation; idempotent per request_id",
      auth: 'virtualKey',
      request: {
        body: jsonBody(
          z
            .object({
              request_id: Id,
              cost: Cost,
              model: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
              prompt_tokens: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
              completion_tokens: z.optional(z.nullable(z.number().check(z.int(), z.nonnegative()))),
            })
            .check(z.meta({ id: 'RecordRequest' })),
        ),
      },
      responses: okJson('The spend record (duplicate: true when already recorded)', 'RecordResponse'),
    }),
    async (c) => c.json(await c.get('deps').gateway.record(virtualKey(c), c.req.valid('json')), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/budget/reset',
      tags: ['spend (gateway)'],
      summary: 'Run the budget reset now (proxy admins); the schedule runs it on its own',
      auth: 'caller',
      responses: okJson('How many budgets were reset, per kind', 'BudgetResetSummary'),
    }),
    async (c) => {
      if (!isProxyAdmin(requirePrincipal(c))) throw forbidden('Only proxy admins can run the budget reset.');
      return c.json(await runResetJob(c.get('deps')), 200);
    },
  );
