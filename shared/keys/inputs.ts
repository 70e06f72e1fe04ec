import * as z from 'zod/mini';
import { Alias, DurationString, Id, Limit, Metadata, ModelList, Money } from '../core/inputs';

/**
 * What callers send to create and change keys, typed once: `/key/*` routes validate
 * their bodies with these, the key form of the pages its post, and the service takes
 * the parsed types.
 */

/** A route path in `allowed_routes`; LiteLLM's route group names (llm_api_routes, …) are not supported. */
const RoutePath = z
  .string()
  .check(
    z.maxLength(256),
    z.regex(/^\/[^\s]*$/, { message: 'give route paths such as /key/info or /v1/* (LiteLLM route group names are not supported)' }),
  );
export const KeyRef = z.string().check(z.minLength(1), z.maxLength(512), z.meta({ description: 'the key (sk-…) or its token hash' }));

const keyFields = {
  models: z.optional(ModelList),
  max_budget: z.optional(z.nullable(Money)),
  soft_budget: z.optional(z.nullable(Money)),
  budget_duration: z.optional(z.nullable(DurationString)),
  duration: z.optional(z.nullable(DurationString)).check(z.meta({ description: 'lifetime: 30s, 30m, 30h, 30d, 1mo; null never expires' })),
  key_alias: z.optional(z.nullable(Alias)),
  metadata: z.optional(Metadata),
  tpm_limit: z.optional(z.nullable(Limit)),
  rpm_limit: z.optional(z.nullable(Limit)),
  blocked: z.optional(z.boolean()),
  auto_rotate: z.optional(z.boolean()).check(z.meta({ description: 'give the key a new secret every rotation_interval (read it with POST /key/rotated_secret)' })),
  rotation_interval: z.optional(z.nullable(DurationString)),
  allowed_routes: z.optional(z.array(RoutePath).check(z.maxLength(100))).check(
    z.meta({ description: 'routes the key may call (exact, a route and those below it, or a prefix ending in *); [] = any' }),
  ),
};
const KeyFields = z.object(keyFields);
/** The settings of a key a caller may give (see ./routes.ts for `allowed_routes`, ./rotation.ts for rotation). */
export type KeyFields = z.output<typeof KeyFields>;

// Identifying fields first: zod reports problems in this order, and the first is the error's `param`.
export const GenerateKey = z
  .object({
    team_id: z.optional(z.nullable(Id)),
    user_id: z.optional(z.nullable(Id)),
    key: z.optional(z.string().check(z.startsWith('sk-'), z.minLength(20), z.maxLength(256))).check(z.meta({ description: 'a custom key (proxy admins)' })),
    ...keyFields,
  })
  .check(z.meta({ id: 'GenerateKeyRequest' }));
export type GenerateInput = z.output<typeof GenerateKey>;

/** Names the key by `key` (secret or hash), or by `key_alias` alone (then the alias is not a rename). */
export const UpdateKey = z
  .object({
    key: z.optional(KeyRef).check(z.meta({ description: 'the key to change; without it, key_alias names the key' })),
    team_id: z.optional(z.nullable(Id)),
    user_id: z.optional(z.nullable(Id)),
    ...keyFields,
  })
  .check(
    z.refine((b) => b.key !== undefined || !!b.key_alias, { message: 'give key, or key_alias to name the key', path: ['key'] }),
    z.meta({ id: 'UpdateKeyRequest' }),
  );
export type UpdateInput = z.output<typeof UpdateKey>;

/** What /key/regenerate may change besides the secret. */
export const RegenerateKey = z.object({
  key: KeyRef,
  models: z.optional(ModelList),
  max_budget: z.optional(z.nullable(Money)),
  duration: z.optional(z.nullable(DurationString)),
  grace_period: z.optional(z.nullable(DurationString)).check(z.meta({ description: 'how long the old secret keeps working (e.g. 24h), at most 7d; none = stops at once' })),
});
export type RegenerateInput = Omit<z.output<typeof RegenerateKey>, 'key'>;
