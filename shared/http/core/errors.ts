import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { TransactionConflictError } from '../../db/table';
import { DomainError } from '../../core/errors';
import { logger } from '../../core/logger';
import { errorTypeOf, statusOf } from './error-status';

/** LiteLLM's error envelope: every failure answers in this shape. */
export type ErrorEnvelope = { error: { message: string; type: string; param: string | null; code: string } };

export function envelope(message: string, type: string, status: number, param: string | null = null): ErrorEnvelope {
  return { error: { message, type, param, code: String(status) } };
}

export function errorResponse(c: Context, message: string, type: string, status: ContentfulStatusCode, param: string | null = null) {
  if (status === 401) c.header('WWW-Authenticate', 'Bearer realm="onramp"');
  return c.json(envelope(message, type, status, param), status);
}

/** The app's single error handler: domain errors, then Hono's, then a logged 500. */
export function handleError(err: Error, c: Context) {
  if (err instanceof DomainError) {
    return errorResponse(c, err.message, errorTypeOf(err), statusOf(err), err.param);
  }
  if (err instanceof TransactionConflictError) {
    return errorResponse(c, 'A concurrent change to the same items conflicted with this request; nothing was written. Retry it.', 'conflict_error', 409);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    return errorResponse(c, err.message || 'Request failed', status === 401 ? 'auth_error' : 'bad_request_error', status);
  }
  const requestId = c.get('requestId' as never) as string | undefined;
  logger.error('unhandled error', { requestId, path: c.req.path, error: err });
  return errorResponse(c, `Internal server error (request id ${requestId ?? 'unknown'}).`, 'internal_server_error', 500);
}
