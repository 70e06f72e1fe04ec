import type { ModelItem, ProviderId } from './model';
import { splitModel } from './model';

/**
 * The price database: `@pydantic/genai-prices` (MIT, maintained by Pydantic, prices per
 * provider with cache-read/write rates), pinned in package.json. This string is kept on
 * every spend row; a test checks it matches the installed package.
 */
export const PRICE_DATABASE = '@pydantic/genai-prices@0.1.8';

/** Token counts of one call, in the price database's terms: `input_tokens` is the total input, cache tokens included. */
export type TokenUsage = { input_tokens: number; output_tokens: number; cache_read_tokens?: number; cache_write_tokens?: number };

export type Priced = { cost: number; price_source: string };

/** genai-prices' provider ids for onramp's prefixes (Bedrock is "aws" there). */
const DATABASE_PROVIDER: Record<ProviderId, string | null> = { openai: 'openai', azure: 'azure', bedrock: 'aws', anthropic: 'anthropic', echo: null };

/** Cost in USD of `usage` on `model`: its own prices when set (as in LiteLLM), else the price database; null when neither knows it. */
export function priceUsage(model: Pick<ModelItem, 'litellm_params'>, usage: TokenUsage): Priced | null {
  const p = model.litellm_params;
  if (p.input_cost_per_token !== undefined || p.output_cost_per_token !== undefined) {
    const cacheRead = usage.cache_read_tokens ?? 0;
    const cacheWrite = usage.cache_write_tokens ?? 0;
    const input = p.input_cost_per_token ?? 0;
    const uncached = Math.max(0, usage.input_tokens - cacheRead - cacheWrite);
    const cost =
      uncached * input +
      cacheRead * (p.cache_read_input_token_cost ?? input) +
      cacheWrite * (p.cache_creation_input_token_cost ?? input) +
      usage.output_tokens * (p.output_cost_per_token ?? 0);
    return { cost: round(cost), price_source: 'model' };
  }
  const split = splitModel(p.model);
  const providerId = split ? DATABASE_PROVIDER[split.provider] : null;
  if (!split || !providerId) return null;
  const found = priceDatabase().calcPrice({ ...usage }, split.upstreamModel, { providerId });
  return found ? { cost: round(found.total_price), price_source: `${PRICE_DATABASE}:${found.provider.id}/${found.model.id}` } : null;
}

/** Whether a call on this model can be priced at all: a model nobody can price is refused at registration, never served at $0. */
export function isPriced(model: Pick<ModelItem, 'litellm_params'>): boolean {
  return priceUsage(model, { input_tokens: 1000, output_tokens: 1000 }) !== null;
}

const round = (n: number) => Number(n.toFixed(10));

type PriceDatabase = typeof import('@pydantic/genai-prices');
let database: PriceDatabase | undefined;
/**
 * The price database (about 470 KB of data) is loaded on the first lookup, not at cold
 * start: most API requests never price anything, and models with their own prices never need it.
 */
function priceDatabase(): PriceDatabase {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (database ??= require('@pydantic/genai-prices') as PriceDatabase);
}
