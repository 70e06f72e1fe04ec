import * as z from 'zod/mini';
import { createMiddleware } from 'hono/factory';
import { badRequest } from '../errors';
import type { AppEnv } from './env';
import { USER_ROLES } from '../auth/roles';
import { DURATION_RULE, isDuration } from '../budgets/duration';
import { roundMoney, unstorable } from '../db/limits';
import { isJson, JSON_TYPE } from './media-type';
import type { Schema } from './route-definition';

/** Request fields shared by several routes, with LiteLLM's names. */
export const UserRole = z.enum(USER_ROLES);
/** USD: 0 to 1e12, rounded to 10 decimal places (see roundMoney). */
export const Money = z.number().check(z.nonnegative(), z.maximum(1e12), z.overwrite(roundMoney));
export const DurationString = z.string().check(z.refine(isDuration, { message: DURATION_RULE }), z.meta({ examples: ['1mo'] }));
/** Free-form JSON, within what one DynamoDB item can hold (see db/limits.ts). */
export const Metadata = z.record(z.string(), z.unknown()).check(
  z.superRefine((value, ctx) => {
    const problem = unstorable(value);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: value });
  }),
);
export const Limit = z.number().check(z.int(), z.nonnegative());
export const Email = z.email().check(z.maxLength(254));
export const ModelList = z.array(z.string().check(z.minLength(1), z.maxLength(256))).check(z.maxLength(500));
export const Id = z
  .string()
  .check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_.@:-]+$/, { message: 'may only hold letters, digits and _ . @ : -' }));

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
