import { Hono, type Env, type Handler, type Schema as HonoSchema } from 'hono';
import { mergePath } from 'hono/utils/url';
import { routeAuth } from './auth';
import type { AppEnv } from './env';
import { requestValidators } from './request-validation';
import { honoPath, type RouteDefinition, type RouteInput } from './route-definition';

/**
 * A Hono router whose JSON routes are declared with {@link createRoute}: each is
 * registered with its middleware, request validation and the auth it declares
 * (checked last, right before the handler), and its definition is
 * kept for the OpenAPI document (routers mounted with `route()` bring theirs).
 */
export class ApiRouter extends Hono<AppEnv> {
  readonly definitions: RouteDefinition[] = [];

  openapi<R extends RouteDefinition>(route: R, handler: Handler<AppEnv, string, RouteInput<R>>): this {
    this.definitions.push(route);
    const middleware = [route.middleware ?? []].flat();
    this.on(route.method, [honoPath(route.path)], ...middleware, ...requestValidators(route), routeAuth(route.auth), handler as Handler<AppEnv>);
    return this;
  }

  override route<SubPath extends string, SubEnv extends Env, SubSchema extends HonoSchema, SubBasePath extends string>(
    path: SubPath,
    app: Hono<SubEnv, SubSchema, SubBasePath>,
  ): this {
    super.route(path, app);
    if (app instanceof ApiRouter) {
      this.definitions.push(...app.definitions.map((d) => ({ ...d, path: mergePath(path, d.path) })));
    }
    return this;
  }
}

/** Every JSON router is built here, so every route validates its request the same way. */
export function newRouter() {
  return new ApiRouter();
}

export { createRoute } from './route-definition';
