import type { MiddlewareHandler } from 'hono';
import { badRequest } from '../../core/errors';
import type { AppEnv } from './env';
import { isJson } from './media-type';

/**
 * Fields LiteLLM stores on keys, users and teams that onramp does not enforce.
 * Accepting them would store a promise nothing keeps (a key "limited" to models
 * by `aliases`, a `max_parallel_requests` no one counts), and dropping them
 * silently would let a script believe they were applied. So a request that sets
 * one is refused with a 400 naming it. An empty value (`null`, `[]`, `{}`, `""`,
 * `0`, `false`) asks for nothing and passes, since clients send those as defaults.
 */
export const UNENFORCED_KEY_FIELDS = [
  'aliases', 'config', 'permissions', 'spend', 'max_parallel_requests', 'allowed_cache_controls',
  'model_max_budget', 'model_rpm_limit', 'model_tpm_limit', 'guardrails', 'policies', 'prompts',
  'object_permission', 'organization_id', 'project_id', 'budget_id', 'tags', 'enforced_params',
  'allowed_passthrough_routes', 'allowed_vector_store_indexes', 'access_group_ids',
  'router_settings', 'key_type', 'rpm_limit_type', 'tpm_limit_type',
] as const;

export const UNENFORCED_USER_FIELDS = [
  'aliases', 'config', 'permissions', 'spend', 'max_parallel_requests', 'allowed_cache_controls',
  'model_max_budget', 'model_rpm_limit', 'model_tpm_limit', 'guardrails', 'prompts', 'object_permission',
  'organization_id', 'organizations', 'sso_user_id', 'blocked',
] as const;

export const UNENFORCED_TEAM_FIELDS = [
  'organization_id', 'admins', 'members', 'model_aliases', 'guardrails', 'policies', 'prompts',
  'object_permission', 'team_member_rpm_limit', 'team_member_tpm_limit', 'model_rpm_limit',
  'model_tpm_limit', 'model_max_budget', 'max_parallel_requests', 'allowed_vector_store_indexes',
  'allowed_passthrough_routes', 'router_settings', 'tags', 'secret_manager_settings', 'access_group_ids',
] as const;

const NOT_ENFORCED = 'is a LiteLLM field onramp does not support here, so it is refused rather than stored and ignored. Leave it out (or send null).';

/**
 * Refuses a JSON body that sets any of these fields (see above). Runs before the
 * route's validation; a body that is not a JSON object is left to the validation.
 * @param reason what the message says after the field's name.
 */
export function refuseFields(fields: readonly string[], reason = NOT_ENFORCED): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (isJson(c)) {
      const body: unknown = await c.req.json().catch(() => undefined);
      if (body && typeof body === 'object' && !Array.isArray(body)) {
        const set = fields.find((f) => asksForSomething((body as Record<string, unknown>)[f]));
        if (set) throw badRequest(`${set} ${reason}`, set);
      }
    }
    await next();
  };
}

function asksForSomething(value: unknown): boolean {
  if (value === undefined || value === null || value === '' || value === 0 || value === false) return false;
  if (Array.isArray(value)) return value.length > 0;
  if (typeof value === 'object') return Object.keys(value).length > 0;
  return true;
}
