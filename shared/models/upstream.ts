import type { ModelItem } from './model';
import { splitModel } from './model';
import { signBedrockRequest } from './bedrock-signing';
import { echoResponse } from './echo-provider';

/** What a model call sends upstream: onramp's routes speak OpenAI's or Anthropic's API, and so do the providers. */
export type UpstreamCall = {
  api: 'chat' | 'embeddings' | 'messages';
  body: Record<string, unknown>;
  /** Headers forwarded as they came (`anthropic-version`, `anthropic-beta`). */
  forward?: Record<string, string>;
  /** The model's own credential, read from the credential store; null when it has none. */
  secret: string | null;
  signal: AbortSignal;
};

const trimSlash = (s: string) => s.replace(/\/+$/, '');

/**
 * Sends the call to the deployment's provider and returns its raw response (a
 * stream when asked). The upstream gets the model's own credential, never the
 * caller's key. The local echo model answers in-process, through the same path.
 */
export async function callUpstream(model: ModelItem, call: UpstreamCall, fetchImpl: typeof fetch = fetch): Promise<Response> {
  const split = splitModel(model.litellm_params.model)!;
  const p = model.litellm_params;
  const body = { ...call.body, model: split.upstreamModel };
  const secret = call.secret;
  const headers: Record<string, string> = { 'content-type': 'application/json', ...call.forward };
  let url: string;
  switch (split.provider) {
    case 'echo':
      return echoResponse(call.api, body);
    case 'anthropic':
      url = `${trimSlash(p.api_base ?? 'https://api.anthropic.com')}/v1/messages`;
      if (secret) headers['x-api-key'] = secret;
      headers['anthropic-version'] ??= '2023-06-01';
      break;
    case 'azure': {
      const path = call.api === 'embeddings' ? 'embeddings' : 'chat/completions';
      url = `${trimSlash(p.api_base!)}/openai/deployments/${encodeURIComponent(split.upstreamModel)}/${path}?api-version=${encodeURIComponent(p.api_version ?? '2024-10-21')}`;
      if (secret) headers['api-key'] = secret;
      break;
    }
    case 'bedrock':
    case 'openai': {
      const base = p.api_base ?? (split.provider === 'bedrock' ? `https://bedrock-runtime.${p.aws_region_name}.amazonaws.com/openai/v1` : 'https://api.openai.com/v1');
      url = `${trimSlash(base)}/${call.api === 'embeddings' ? 'embeddings' : 'chat/completions'}`;
      if (secret) headers.authorization = `Bearer ${secret}`;
      // Bedrock with no API key: signed with the function's own IAM role (SigV4), below.
      else if (split.provider === 'bedrock') {
        const payload = JSON.stringify(body);
        const signed = await signBedrockRequest(url, bedrockRegion(model), headers, payload);
        return fetchImpl(url, { method: 'POST', headers: signed, body: payload, signal: call.signal });
      }
      break;
    }
  }
  return fetchImpl(url, { method: 'POST', headers, body: JSON.stringify(body), signal: call.signal });
}

/** The region a Bedrock request is signed for: the model's, else its endpoint's, else the function's. */
function bedrockRegion(model: ModelItem): string {
  const p = model.litellm_params;
  if (p.aws_region_name) return p.aws_region_name;
  const fromHost = p.api_base ? /(?:^|\.)bedrock-runtime(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com$/.exec(new URL(p.api_base).hostname)?.[1] : undefined;
  return fromHost ?? process.env.AWS_REGION ?? 'us-east-1';
}
