import * as z from 'zod/mini';
import '../core/zod-english';

/** The shapes of a model registration, shared by the /model/* routes and the config file `npm start` reads. */
export const ModelName = z.string().check(z.trim(), z.minLength(1), z.maxLength(256));
const PerToken = z.number().check(z.nonnegative(), z.maximum(1));
const Tokens = z.number().check(z.int(), z.positive(), z.maximum(10_000_000));
const paramFields = {
  api_base: z.optional(z.url({ protocol: /^https?$/ })),
  api_key: z.optional(z.string().check(z.minLength(1), z.maxLength(4096))),
  api_version: z.optional(z.string().check(z.maxLength(64))),
  aws_region_name: z.optional(z.string().check(z.regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as us-east-1' }))),
  input_cost_per_token: z.optional(PerToken),
  output_cost_per_token: z.optional(PerToken),
  cache_read_input_token_cost: z.optional(PerToken),
  cache_creation_input_token_cost: z.optional(PerToken),
  max_tokens: z.optional(Tokens),
  timeout: z.optional(z.number().check(z.positive(), z.maximum(900))),
};
// Strict: a LiteLLM parameter onramp does not implement (rpm, tpm, …) is refused, naming it, rather than silently ignored.
export const NewParams = z.strictObject({ model: ModelName, ...paramFields });
export const ChangedParams = z.strictObject({ model: z.optional(ModelName), ...paramFields });
export const Info = z.looseObject({
  id: z.optional(z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9_.:-]+$/))),
  mode: z.optional(z.enum(['chat', 'embedding', 'completion'])),
  max_output_tokens: z.optional(Tokens),
  max_input_tokens: z.optional(Tokens),
});

/** One entry of a config file's `model_list`, as in LiteLLM's config.yaml. */
export const ModelEntry = z.object({ model_name: ModelName, litellm_params: NewParams, model_info: z.optional(Info) });
export const ModelConfigFile = z.object({ model_list: z.array(ModelEntry) });
