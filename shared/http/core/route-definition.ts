import type { MiddlewareHandler } from 'hono';
import type * as z from 'zod/mini';
import type { RouteAuth } from './auth';
import type { AppEnv } from './env';
import { FORM_TYPE, JSON_TYPE } from './media-type';

/**
 * What a JSON route is, written once: Hono registers it with the auth it declares
 * (see ./auth.ts) and validates its request with these schemas (see
 * ./request-validation.ts), and the OpenAPI document is built from the same
 * definitions (see ./openapi.ts).
 */

/** Any zod (mini) schema. */
export type Schema = z.core.$ZodType;
/** Query and path parameters: an object schema, one parameter per key. */
export type ParamsSchema = z.ZodMiniObject;

type BodyContent = {
  [JSON_TYPE]?: { schema: Schema };
  [FORM_TYPE]?: { schema: Schema };
};

export type ResponseDefinition = {
  description: string;
  content?: Readonly<Record<string, { schema: Schema }>>;
};

export type RouteDefinition = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** In OpenAPI's form, `/key/{key}/regenerate`; Hono gets `/key/:key/regenerate`. */
  path: string;
  tags?: readonly string[];
  summary?: string;
  /** Who may call it; the router installs the check and OpenAPI's `security` is derived from it (see ./auth.ts). */
  auth: RouteAuth;
  /** Runs before the request is validated (e.g. `requireJsonBody`). */
  middleware?: MiddlewareHandler<AppEnv> | readonly MiddlewareHandler<AppEnv>[];
  request?: {
    params?: ParamsSchema;
    query?: ParamsSchema;
    /** A required body is validated whatever its type; an optional one only when sent as that type. */
    body?: { required?: boolean; content: BodyContent };
  };
  responses: Readonly<Record<number, ResponseDefinition>>;
};

/** Checks a route definition and keeps its literal type, so the handler's `c.req.valid()` is typed. */
export function createRoute<R extends RouteDefinition>(route: R): R {
  return route;
}

/** Hono's path syntax: `{key}` becomes `:key`. */
export function honoPath(path: string): string {
  return path.replaceAll(/\{([^}]+)\}/g, ':$1');
}

type BodySchema<R, Type extends string> = R extends { request: { body: { content: { [K in Type]: { schema: infer S } } } } } ? S : never;

/** The schema behind each validation target of a route (never when the route has none). */
type TargetSchemas<R> = {
  json: BodySchema<R, typeof JSON_TYPE>;
  form: BodySchema<R, typeof FORM_TYPE>;
  query: R extends { request: { query: infer S } } ? S : never;
  param: R extends { request: { params: infer S } } ? S : never;
};

/**
 * Hono's `Input` for a route: what `c.req.valid(target)` returns, the parsed
 * output of the target's schema. Targets the route does not validate are absent,
 * so asking for them does not compile.
 */
export type RouteInput<R> = {
  out: {
    [K in keyof TargetSchemas<R> as [TargetSchemas<R>[K]] extends [never] ? never : K]: TargetSchemas<R>[K] extends Schema
      ? z.output<TargetSchemas<R>[K]>
      : never;
  };
};
