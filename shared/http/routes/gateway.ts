import type { Context } from 'hono';
import { stream } from 'hono/streaming';
import * as z from 'zod/mini';
import '../../core/zod-english';
import { unauthenticated } from '../../core/errors';
import type { CallMeta, CallResult } from '../../gateway/calls';
import { routeAuth } from '../core/auth';
import type { AppEnv } from '../core/env';
import { createRoute, newRouter, type ApiRouter } from '../core/router';
import { jsonBody, okJson } from '../core/schemas';
import { anthropicError, modelRouteError, type Flavor } from './gateway-errors';

/** The virtual key, from the headers clients use, in LiteLLM's order of preference. */
function virtualKey(c: Context<AppEnv>): string {
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '')?.[1];
  const key = bearer ?? c.req.header('x-api-key') ?? c.req.header('api-key') ?? c.req.header('x-litellm-api-key');
  if (!key) throw unauthenticated('No API key: send the virtual key as "Authorization: Bearer sk-…" (or x-api-key).');
  if (!key.startsWith('sk-')) throw unauthenticated('Invalid API key: model routes take a virtual key (sk-…).');
  if (key === c.get('deps').config.masterKey) throw unauthenticated('The master key has no budget: call models with a virtual key from /key/generate.');
  return key;
}

const Tokens = z.optional(z.number().check(z.int(), z.positive()));
const ChatBody = z.looseObject({
  model: z.string().check(z.minLength(1), z.maxLength(256)),
  messages: z.array(z.unknown()).check(z.minLength(1)),
  stream: z.optional(z.nullable(z.boolean())),
  stream_options: z.optional(z.nullable(z.looseObject({ include_usage: z.optional(z.boolean()) }))),
  max_tokens: Tokens,
  max_completion_tokens: Tokens,
}).check(z.meta({ id: 'ChatCompletionRequest' }));
const EmbeddingsBody = z.looseObject({
  model: z.string().check(z.minLength(1), z.maxLength(256)),
  input: z.union([z.string(), z.array(z.union([z.string(), z.number(), z.array(z.number())])).check(z.minLength(1))]),
}).check(z.meta({ id: 'EmbeddingsRequest' }));
const MessagesBody = z.looseObject({
  model: z.string().check(z.minLength(1), z.maxLength(256)),
  messages: z.array(z.unknown()).check(z.minLength(1)),
  max_tokens: z.number().check(z.int(), z.positive()),
  stream: z.optional(z.boolean()),
}).check(z.meta({ id: 'AnthropicMessagesRequest' }));

const CountTokensBody = z
  .looseObject({ model: z.string().check(z.minLength(1), z.maxLength(256)), messages: z.array(z.unknown()).check(z.minLength(1)) })
  .check(z.meta({ id: 'AnthropicCountTokensRequest' }));

/** Parses the JSON body; a bad one is a 400 in the route's own envelope, before anything is reserved. */
async function parseBody<S extends z.ZodMiniType>(c: Context<AppEnv>, schema: S, flavor: Flavor): Promise<z.output<S> | Response> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    const message = 'Invalid request: send a JSON body with Content-Type: application/json.';
    return flavor === 'anthropic' ? anthropicError(c, 400, message) : c.json({ error: { message, type: 'bad_request_error', param: null, code: '400' } }, 400);
  }
  const parsed = z.safeParse(schema, raw);
  if (parsed.success) return parsed.data;
  const first = parsed.error.issues[0]!;
  const param = first.path.join('.') || null;
  const message = `Invalid request: ${parsed.error.issues.slice(0, 5).map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message)).join('; ')}`;
  return flavor === 'anthropic' ? anthropicError(c, 400, message) : c.json({ error: { message, type: 'bad_request_error', param, code: '400' } }, 400);
}

/** LiteLLM's response headers; a header with no value is left out rather than sent empty. */
function litellmHeaders(c: Context, meta: CallMeta) {
  c.header('x-litellm-call-id', meta.request_id);
  c.header('x-litellm-model-id', meta.model_id);
  c.header('x-litellm-model-group', meta.model_group);
  if (meta.cost !== undefined) c.header('x-litellm-response-cost', String(meta.cost));
  const total = Date.now() - meta.started;
  c.header('x-litellm-response-duration-ms', String(total));
  if (meta.upstream_ms !== undefined) c.header('x-litellm-overhead-duration-ms', String(Math.max(0, total - meta.upstream_ms)));
}

/** Aborted when the client leaves: the upstream call is aborted with it. */
function clientGone(c: Context): AbortController {
  const gone = new AbortController();
  const req = c.req.raw.signal;
  if (req.aborted) gone.abort(req.reason);
  else req.addEventListener('abort', () => gone.abort(req.reason), { once: true });
  return gone;
}

/** Sends a call's result: JSON, or its SSE frames (settled before the stream closes, as Lambda requires on Node 24). */
function respond(c: Context, result: CallResult, gone: AbortController): Response {
  litellmHeaders(c, result.meta);
  if (result.kind === 'json') return c.json(result.body, 200);
  c.header('content-type', 'text/event-stream; charset=utf-8');
  c.header('cache-control', 'no-cache');
  c.header('x-accel-buffering', 'no');
  return stream(c, async (s) => {
    s.onAbort(() => gone.abort(new Error('client disconnected')));
    for await (const frame of result.frames) {
      if (s.aborted) {
        gone.abort(new Error('client disconnected'));
        await result.frames.return(undefined);
        break;
      }
      await s.write(frame);
    }
  });
}

type Handler = (c: Context<AppEnv>) => Promise<Response>;

/**
 * Registers a model route and documents it. The body is validated by the handler
 * (not the router's validator) so that /v1/messages answers in Anthropic's envelope.
 */
function modelRoute(router: ApiRouter, method: 'get' | 'post', path: string, summary: string, handler: Handler, body?: z.ZodMiniType) {
  const name = `Gateway${path.replaceAll(/[^A-Za-z]/g, '')}`;
  // Declared `virtualKey`: the key is authenticated by the call itself, in the same read as its budget check.
  const route = createRoute({ method, path, auth: 'virtualKey', tags: ['models (gateway)'], summary, ...(body ? { request: { body: jsonBody(body) } } : {}), responses: okJson(summary, `${name}Response`) });
  router.definitions.push(route);
  router.on(method.toUpperCase(), path, routeAuth(route.auth), handler);
}

const chat = async (c: Context<AppEnv>) => {
  const gone = clientGone(c);
  try {
    const secret = virtualKey(c);
    const body = await parseBody(c, ChatBody, 'openai');
    if (body instanceof Response) return body;
    return respond(c, await c.get('deps').modelCalls.chat(secret, body, gone.signal, c.req.path), gone);
  } catch (err) {
    return modelRouteError(c, err);
  }
};

const embeddings = async (c: Context<AppEnv>) => {
  const gone = clientGone(c);
  try {
    const secret = virtualKey(c);
    const body = await parseBody(c, EmbeddingsBody, 'openai');
    if (body instanceof Response) return body;
    return respond(c, await c.get('deps').modelCalls.embeddings(secret, body, gone.signal, c.req.path), gone);
  } catch (err) {
    return modelRouteError(c, err);
  }
};

const listModels = async (c: Context<AppEnv>) => {
  try {
    const names = await c.get('deps').modelCalls.modelsFor(virtualKey(c), c.req.path);
    const created = Math.floor(c.get('deps').clock().getTime() / 1000);
    return c.json({ object: 'list', data: names.map((id) => ({ id, object: 'model', created, owned_by: 'onramp' })) }, 200);
  } catch (err) {
    return modelRouteError(c, err);
  }
};

const messages = async (c: Context<AppEnv>) => {
  const gone = clientGone(c);
  try {
    const secret = virtualKey(c);
    const body = await parseBody(c, MessagesBody, 'anthropic');
    if (body instanceof Response) return body;
    const forward: Record<string, string> = {};
    for (const h of ['anthropic-version', 'anthropic-beta']) {
      const v = c.req.header(h);
      if (v) forward[h] = v;
    }
    return respond(c, await c.get('deps').modelCalls.messages(secret, body, forward, gone.signal, c.req.path), gone);
  } catch (err) {
    return modelRouteError(c, err, 'anthropic');
  }
};

const countTokens = async (c: Context<AppEnv>) => {
  try {
    const secret = virtualKey(c);
    const body = await parseBody(c, CountTokensBody, 'anthropic');
    if (body instanceof Response) return body;
    return c.json(await c.get('deps').modelCalls.countTokens(secret, body, c.req.path), 200);
  } catch (err) {
    return modelRouteError(c, err, 'anthropic');
  }
};

export const gatewayRoutes = newRouter();
modelRoute(gatewayRoutes, 'post', '/v1/chat/completions', 'OpenAI chat completion (stream or not) on a virtual key, within its budgets', chat, ChatBody);
modelRoute(gatewayRoutes, 'post', '/chat/completions', 'Same as /v1/chat/completions', chat, ChatBody);
modelRoute(gatewayRoutes, 'post', '/v1/embeddings', 'OpenAI embeddings on a virtual key, within its budgets', embeddings, EmbeddingsBody);
modelRoute(gatewayRoutes, 'post', '/embeddings', 'Same as /v1/embeddings', embeddings, EmbeddingsBody);
modelRoute(gatewayRoutes, 'get', '/v1/models', 'The models this key can call (key ∩ team, or key ∩ user)', listModels);
modelRoute(gatewayRoutes, 'get', '/models', 'Same as /v1/models', listModels);
modelRoute(gatewayRoutes, 'post', '/v1/messages', 'Anthropic Messages (stream or not) on a virtual key (x-api-key or Bearer), within its budgets', messages, MessagesBody);
modelRoute(gatewayRoutes, 'post', '/v1/messages/count_tokens', 'Anthropic count_tokens (an estimate; no cost)', countTokens, CountTokensBody);
