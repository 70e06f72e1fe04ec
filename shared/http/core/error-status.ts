import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { DomainError, ErrorKind } from '../../core/errors';

/**
 * The HTTP status of each domain error, and its `type` in LiteLLM's envelope: one
 * table for the JSON API and the pages alike, so a refusal reads the same status
 * wherever it is met. Statuses are LiteLLM's where it has the error (a team
 * member without the permission is its 401, an existing member its 400).
 */
export const ERROR_STATUS: Readonly<Record<ErrorKind, readonly [status: ContentfulStatusCode, type: string]>> = {
  bad_request: [400, 'bad_request_error'],
  unauthenticated: [401, 'auth_error'],
  forbidden: [403, 'auth_error'],
  team_member_permission: [401, 'team_member_permission_error'],
  not_found: [404, 'not_found_error'],
  conflict: [409, 'bad_request_error'],
  team_member_already_in_team: [400, 'team_member_already_in_team'],
  budget_exceeded: [400, 'budget_exceeded'],
  rate_limited: [429, 'rate_limit_error'],
};

/** The status a domain error answers with. */
export const statusOf = (err: Pick<DomainError, 'kind'>): ContentfulStatusCode => ERROR_STATUS[err.kind][0];

/** LiteLLM's error `type` for a domain error. */
export const errorTypeOf = (err: Pick<DomainError, 'kind'>): string => ERROR_STATUS[err.kind][1];
