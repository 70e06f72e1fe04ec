/**
 * Domain errors. They know nothing of HTTP: `shared/http/core/errors.ts` maps each kind
 * to a status code and LiteLLM's error envelope.
 */
export type ErrorKind =
  | 'bad_request'
  | 'unauthenticated'
  | 'forbidden'
  | 'team_member_permission'
  | 'not_found'
  | 'conflict'
  | 'team_member_already_in_team'
  | 'budget_exceeded'
  | 'rate_limited';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly param: string | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DomainError';
  }
}

export const badRequest = (message: string, param: string | null = null) => new DomainError('bad_request', message, param);
export const unauthenticated = (message: string) => new DomainError('unauthenticated', message);
export const forbidden = (message: string) => new DomainError('forbidden', message);
export const notFound = (message: string, param: string | null = null) => new DomainError('not_found', message, param);
export const conflict = (message: string, param: string | null = null) => new DomainError('conflict', message, param);
export const rateLimited = (message: string) => new DomainError('rate_limited', message);
/** LiteLLM's answer to adding someone already in the team; clients test for this type to treat it as done. */
export const alreadyInTeam = (userId: string, teamId: string) =>
  new DomainError('team_member_already_in_team', `User already in team: user_id=${userId} is already a member of team_id=${teamId}.`, 'member');
