import * as z from 'zod/mini';
import { createMiddleware } from 'hono/factory';
import { badRequest } from '../../core/errors';
import type { AppEnv } from './env';
import { isJson, JSON_TYPE } from './media-type';
import type { Schema } from './route-definition';

/**
 * Hono's JSON validator reads a body sent without a JSON content type (or none at
 * all) as `{}`, so a bare `POST /team/new` would create an empty team. Every route
 * whose body is all optional fields uses this next to `jsonBody`.
 */
export const requireJsonBody = createMiddleware<AppEnv>(async (c, next) => {
  if (!isJson(c)) throw badRequest('Send a JSON body with Content-Type: application/json.');
  await next();
});

/** A JSON request body that must be present and valid. */
export function jsonBody<T extends Schema>(schema: T) {
  return { required: true, content: { [JSON_TYPE]: { schema } } } as const;
}

export const ErrorSchema = z
  .object({
    error: z.object({ message: z.string(), type: z.string(), param: z.nullable(z.string()), code: z.string() }),
  })
  .check(z.meta({ id: 'Error' }));

/** Responses every authenticated route can give, for the OpenAPI document. */
export const errorResponses = {
  400: { description: 'Invalid request', content: { 'application/json': { schema: ErrorSchema } } },
  401: { description: 'Not authenticated', content: { 'application/json': { schema: ErrorSchema } } },
  403: { description: 'Not allowed for this caller', content: { 'application/json': { schema: ErrorSchema } } },
  404: { description: 'Not found', content: { 'application/json': { schema: ErrorSchema } } },
} as const;

/** A 200 JSON response with a loose object schema (the records carry LiteLLM's many optional fields). */
export function okJson(description: string, name: string, shape: Record<string, Schema> = {}) {
  return {
    200: { description, content: { 'application/json': { schema: z.looseObject(shape).check(z.meta({ id: name })) } } },
    ...errorResponses,
  } as const;
}
