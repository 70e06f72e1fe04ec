import type { TokenUsage } from '../models/prices';

type OpenAiUsage = {
  prompt_tokens?: number;
  completion_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number } | null;
} | null | undefined;

type AnthropicUsage = {
  input_tokens?: number;
  output_tokens?: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
} | null | undefined;

/** OpenAI's usage: `prompt_tokens` already includes the cached ones. */
export function fromOpenAi(usage: OpenAiUsage): TokenUsage | null {
  if (!usage || typeof usage.prompt_tokens !== 'number') return null;
  return { input_tokens: usage.prompt_tokens, output_tokens: usage.completion_tokens ?? 0, cache_read_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 };
}

/** Anthropic's usage: `input_tokens` excludes cache tokens, so the total input adds them. */
export function fromAnthropic(usage: AnthropicUsage): TokenUsage | null {
  if (!usage || typeof usage.input_tokens !== 'number') return null;
  const read = usage.cache_read_input_tokens ?? 0;
  const write = usage.cache_creation_input_tokens ?? 0;
  return { input_tokens: usage.input_tokens + read + write, output_tokens: usage.output_tokens ?? 0, cache_read_tokens: read, cache_write_tokens: write };
}

/** UTF-8 bytes: no tokenizer makes more tokens than bytes, so this bounds the prompt from above. */
export const byteLength = (value: unknown) => Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value ?? ''), 'utf8');

/** A usual count (≈4 bytes a token), for settling what was relayed when the provider sent no usage. */
export const roughTokens = (bytes: number) => Math.ceil(bytes / 4);
