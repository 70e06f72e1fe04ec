import * as z from 'zod/mini';
import { requirePrincipal } from '../core/auth';
import { createRoute, newRouter } from '../core/router';
import { errorResponses } from '../core/schemas';

/**
 * Read-only list routes of LiteLLM's that management tools call before anything
 * else (to sync state, fill drop-downs, check what exists), for kinds of thing
 * onramp does not have: budgets as objects of their own (onramp keeps budgets on
 * keys, users, teams and memberships), stored provider credentials, organizations,
 * guardrails and policies. Each answers LiteLLM's shape with nothing in it, so a
 * tool proceeds instead of failing on a 404. Model lists belong to the gateway.
 */
type EmptyList = { path: string; summary: string; body: unknown; schema: z.core.$ZodType };

const EMPTY_LISTS: EmptyList[] = [
  { path: '/budget/list', summary: 'Budgets as objects of their own: none (onramp keeps budgets on keys, users, teams and memberships)', body: [], schema: z.array(z.looseObject({})) },
  { path: '/credentials', summary: 'Stored provider credentials: none in onramp', body: { credentials: [] }, schema: z.object({ credentials: z.array(z.looseObject({})) }) },
  { path: '/organization/list', summary: 'Organizations: none in onramp (teams are the top level)', body: [], schema: z.array(z.looseObject({})) },
  { path: '/guardrails/list', summary: 'Guardrails: none in onramp', body: { guardrails: [] }, schema: z.object({ guardrails: z.array(z.looseObject({})) }) },
  { path: '/v2/guardrails/list', summary: 'Guardrails: none in onramp', body: { guardrails: [] }, schema: z.object({ guardrails: z.array(z.looseObject({})) }) },
  { path: '/policies/list', summary: 'Policies: none in onramp', body: { policies: [], total_count: 0 }, schema: z.object({ policies: z.array(z.looseObject({})), total_count: z.number() }) },
];

export const litellmListRoutes = EMPTY_LISTS.reduce(
  (router, list) =>
    router.openapi(
      createRoute({
        method: 'get',
        path: list.path,
        tags: ['LiteLLM lists'],
        summary: list.summary,
        auth: 'caller',
        responses: { 200: { description: "LiteLLM's shape, empty", content: { 'application/json': { schema: list.schema } } }, 401: errorResponses[401] },
      }),
      (c) => {
        requirePrincipal(c);
        return c.json(list.body as object, 200);
      },
    ),
  newRouter(),
);
