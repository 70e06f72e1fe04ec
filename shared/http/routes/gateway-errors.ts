import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError } from '../../core/errors';
import { KeyExpired, ModelAccessDenied, UpstreamFailure } from '../../gateway/errors';
import { envelope, handleError } from '../core/errors';

export type Flavor = 'openai' | 'anthropic';

/** The model routes' statuses and LiteLLM's types (GATEWAY-CONTRACT.md), which differ from the admin routes'. */
function classify(err: unknown): { status: ContentfulStatusCode; type: string; message: string; param: string | null } | null {
  if (err instanceof ModelAccessDenied) return { status: 403, type: `${err.level}_model_access_denied`, message: err.message, param: 'model' };
  if (err instanceof KeyExpired) return { status: 401, type: 'expired_key', message: err.message, param: null };
  if (err instanceof UpstreamFailure) {
    return { status: err.status as ContentfulStatusCode, type: err.status === 504 ? 'timeout_error' : 'upstream_error', message: err.message, param: null };
  }
  if (err instanceof DomainError) {
    switch (err.kind) {
      case 'budget_exceeded':
        return { status: 429, type: 'budget_exceeded', message: err.message, param: err.param };
      case 'rate_limited':
        return { status: 429, type: 'throttling_error', message: err.message, param: err.param };
      case 'unauthenticated':
        return { status: 401, type: err.message.startsWith('Invalid API key') ? 'token_not_found_in_db' : 'auth_error', message: err.message, param: null };
      case 'forbidden':
      case 'team_member_permission':
        return { status: 403, type: 'auth_error', message: err.message, param: err.param };
      case 'not_found':
        return { status: 404, type: 'not_found_error', message: err.message, param: err.param };
      case 'conflict':
        return { status: 409, type: 'bad_request_error', message: err.message, param: err.param };
      case 'bad_request':
        return { status: 400, type: 'bad_request_error', message: err.message, param: err.param };
    }
  }
  return null;
}

/** Anthropic's error type for a status, as its SDK and Claude Code expect. */
function anthropicType(status: number): string {
  if (status === 400) return 'invalid_request_error';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status === 504) return 'timeout_error';
  return 'api_error';
}

/** A refused or failed model call, in OpenAI's (LiteLLM's) envelope or Anthropic's. */
export function modelRouteError(c: Context, err: unknown, flavor: Flavor = 'openai'): Response {
  const known = classify(err);
  if (!known) {
    const fallback = handleError(err as Error, c);
    return flavor === 'openai' ? fallback : anthropicError(c, 500, 'Internal server error.');
  }
  if (known.status === 401) c.header('WWW-Authenticate', 'Bearer realm="onramp"');
  if (flavor === 'anthropic') return anthropicError(c, known.status, known.message);
  return c.json(envelope(known.message, known.type, known.status, known.param), known.status);
}

export function anthropicError(c: Context, status: ContentfulStatusCode, message: string): Response {
  return c.json({ type: 'error', error: { type: anthropicType(status), message } }, status);
}
