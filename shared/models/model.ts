import { withoutStorage } from '../db/view';

/** Upstream kinds onramp can call, by LiteLLM's provider prefix (`openai/gpt-4o`). */
export const PROVIDERS = ['openai', 'azure', 'bedrock', 'anthropic', 'echo'] as const;
export type ProviderId = (typeof PROVIDERS)[number];

/** The local model `npm start` offers when no provider is configured: it answers with what it was sent. */
export const LOCAL_ECHO_MODEL = 'onramp-local-echo';

/** The `litellm_params` onramp implements; anything else is refused at registration, naming the field. */
export type LitellmParams = {
  /** `<provider>/<upstream model>` */
  model: string;
  api_base?: string;
  /** Kept apart from the row as a credential: a literal secret or `os.environ/NAME`. Never returned. */
  api_key?: string;
  api_version?: string;
  aws_region_name?: string;
  input_cost_per_token?: number;
  output_cost_per_token?: number;
  cache_read_input_token_cost?: number;
  cache_creation_input_token_cost?: number;
  /** The model's output limit: the worst case reserved when a request sets no `max_tokens`. */
  max_tokens?: number;
  /** Seconds before an upstream call is abandoned (504). */
  timeout?: number;
};

export type ModelInfo = Record<string, unknown> & {
  id: string;
  mode?: string;
  team_id?: string;
  max_output_tokens?: number;
  max_input_tokens?: number;
};

/** A registered model as stored: one deployment of a public `model_name`. */
export type ModelItem = {
  PK: string;
  SK: string;
  type: 'model';
  model_id: string;
  model_name: string;
  /** Without `api_key`: the credential lives in `credential`, which no view returns. */
  litellm_params: Omit<LitellmParams, 'api_key'>;
  credential: string | null;
  model_info: ModelInfo;
  created_at: string;
  created_by: string;
  updated_at: string;
  updated_by: string;
};

/** `openai/gpt-4o` → provider `openai`, upstream model `gpt-4o`. */
export function splitModel(model: string): { provider: ProviderId; upstreamModel: string } | null {
  const slash = model.indexOf('/');
  if (slash <= 0) return null;
  const provider = model.slice(0, slash) as ProviderId;
  const upstreamModel = model.slice(slash + 1);
  if (!PROVIDERS.includes(provider) || !upstreamModel) return null;
  return { provider, upstreamModel };
}

/** Credential-looking query parameters (SAS tokens, `key=`…) are masked in `api_base`, which LiteLLM leaks. */
export function maskSecret(value: string): string {
  return value.length <= 8 ? '****' : `${value.slice(0, 4)}****${value.slice(-4)}`;
}

function maskedApiBase(apiBase: string): string {
  const q = apiBase.indexOf('?');
  if (q < 0) return apiBase;
  const params = new URLSearchParams(apiBase.slice(q + 1));
  const masked = [...params].map(([k, v]) => `${k}=${maskSecret(v)}`).join('&');
  return `${apiBase.slice(0, q)}?${masked}`;
}

/** What the registry routes answer: the row without storage attributes and without any secret. */
export function publicModel(item: ModelItem) {
  const view = withoutStorage(item, ['credential']) as Omit<ModelItem, 'PK' | 'SK' | 'type' | 'credential'>;
  const params = { ...view.litellm_params };
  if (params.api_base) params.api_base = maskedApiBase(params.api_base);
  return { ...view, litellm_params: params };
}
