import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env';
import { errorResponse } from './errors';

/**
 * Every router is built here so that request validation failures always answer
 * 400 in LiteLLM's envelope, naming the first offending field.
 */
export function newRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues;
      const first = issues[0];
      const param = first && first.path.length ? first.path.join('.') : null;
      const detail = issues
        .slice(0, 5)
        .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
        .join('; ');
      return errorResponse(c, `Invalid request: ${detail}`, 'bad_request_error', 400, param);
    },
  });
}
