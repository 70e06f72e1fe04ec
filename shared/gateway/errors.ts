import { DomainError } from '../core/errors';

/** Which level refused a model: LiteLLM's `key_model_access_denied`, `team_…`, `user_…`. */
export type AccessLevel = 'key' | 'team' | 'user';

/** The key may not call this model (403 on the model routes). */
export class ModelAccessDenied extends DomainError {
  constructor(
    readonly level: AccessLevel,
    message: string,
  ) {
    super('forbidden', message, 'model');
    this.name = 'ModelAccessDenied';
  }
}

/** The key has expired (LiteLLM's `expired_key`): raised by the one key check, shared/keys/usable.ts. */
export { KeyExpired } from '../keys/usable';

/**
 * The provider failed: its 4xx is passed on (its message, never its URL or
 * credential); anything else is a 502, a timeout a 504. Nothing was charged.
 */
export class UpstreamFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UpstreamFailure';
  }
}
