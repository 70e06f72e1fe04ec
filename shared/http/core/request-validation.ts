import type { Context, MiddlewareHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { validator } from 'hono/validator';
import * as z from 'zod/mini';
import '../../core/zod-english';
import type { AppEnv } from './env';
import { errorResponse } from './errors';
import { dropMeaninglessNulls } from './null-fields';
import { acceptsMediaType, FORM_TYPE, isFormType, isJsonType, JSON_TYPE } from './media-type';
import type { RouteDefinition, Schema } from './route-definition';

/**
 * The middlewares that validate a route's request with its schemas, in the order
 * clients have always seen the errors: query, path parameters, then the body.
 */
export function requestValidators(route: RouteDefinition): MiddlewareHandler<AppEnv>[] {
  const { query, params, body } = route.request ?? {};
  const chain: MiddlewareHandler<AppEnv>[] = [];
  if (query) chain.push(validate('query', query));
  if (params) chain.push(validate('param', params));
  if (body) {
    chain.push(refuseOtherMediaTypes(Object.keys(body.content)));
    const json = body.content[JSON_TYPE]?.schema;
    const form = body.content[FORM_TYPE]?.schema;
    if (json) chain.push(body.required ? validate('json', json) : onlyWhen(isJsonType, 'json', validate('json', json)));
    if (form) chain.push(body.required ? validate('form', form) : onlyWhen(isFormType, 'form', validate('form', form)));
  }
  return chain;
}

/**
 * A failed validation: 400 in LiteLLM's envelope, the first offending field as
 * `param` and up to five problems in the message.
 */
export function invalidRequest(c: Context, issues: readonly z.core.$ZodIssue[]) {
  const first = issues[0];
  const param = first && first.path.length ? first.path.join('.') : null;
  const detail = issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
  return errorResponse(c, `Invalid request: ${detail}`, 'bad_request_error', 400, param);
}

type Target = 'json' | 'form' | 'query' | 'param';

/**
 * Hono's validator for one target, parsing with zod; `c.req.valid(target)` then holds
 * the parsed value. A JSON body's `null`s on optional fields count as not given first.
 */
function validate(target: Target, schema: Schema): MiddlewareHandler<AppEnv> {
  return validator(target, async (value, c) => {
    const input = target === 'json' ? dropMeaninglessNulls(schema, value) : value;
    const result = await z.safeParseAsync(schema, input);
    return result.success ? result.data : invalidRequest(c, result.error.issues);
  });
}

/** An optional body is validated only when sent as this type; otherwise the handler sees `{}`. */
function onlyWhen(isType: (type: string | undefined) => boolean, target: Target, check: MiddlewareHandler<AppEnv>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isType(c.req.header('content-type'))) return check(c, next);
    c.req.addValidatedData(target, {});
    await next();
  };
}

/** 415 for a body of a type the route does not declare, or for a body sent without any type. */
function refuseOtherMediaTypes(declared: string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const type = c.req.header('content-type');
    const refused = type ? !acceptsMediaType(declared, type) : c.req.raw.body !== null && (await c.req.arrayBuffer()).byteLength > 0;
    if (refused) throw new HTTPException(415, { message: 'Unsupported Media Type' });
    await next();
  };
}
