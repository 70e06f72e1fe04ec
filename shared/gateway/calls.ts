import { assertKeyMayCall } from '../keys/routes';
import { randomUUID } from 'node:crypto';
import type { Gateway } from '../spend/gateway';
import type { Table } from '../db/table';
import { badRequest, DomainError } from '../core/errors';
import type { Keys } from '../keys/service';
import { logger } from '../core/logger';
import { CredentialUnavailable } from '../models/credentials';
import { splitModel, type ModelItem } from '../models/model';
import { PRICE_DATABASE, priceUsage, type TokenUsage } from '../models/prices';
import { callUpstream, type UpstreamCall } from '../models/upstream';
import type { Models } from '../models/registry';
import { readKeyScope, refusingLevel } from './access';
import { UpstreamFailure } from './errors';
import { readSse, sseData, sseEvent } from './sse';
import { byteLength, fromAnthropic, fromOpenAi, roughTokens } from './usage';

/** The output reserved when neither the request nor the model sets a limit. */
export const DEFAULT_MAX_OUTPUT_TOKENS = 4096;
/** Upstream timeout (to the response headers for streams) when the model sets none. */
export const DEFAULT_TIMEOUT_SECONDS = 600;

export type CallType = 'acompletion' | 'aembedding' | 'anthropic_messages';
type Api = UpstreamCall['api'];

/** What the HTTP layer puts in LiteLLM's `x-litellm-*` headers. */
export type CallMeta = { request_id: string; model_id: string; model_group: string; reserved: number; cost?: number; started: number; upstream_ms?: number };

export type CallResult =
  | { kind: 'json'; body: Record<string, unknown>; meta: CallMeta }
  /** SSE frames to relay; iterating to the end (or stopping early) settles the call before the last frame is written. */
  | { kind: 'stream'; frames: AsyncGenerator<string>; meta: CallMeta };

type Settlement = { usage: TokenUsage | null; estimated: boolean; status: 'success' | 'failure'; error?: string; completionStartTime?: string };

/** One reserved call: knows how to settle itself exactly once. */
class OpenCall {
  private settled = false;
  readonly started = Date.now();

  constructor(
    private readonly calls: ModelCalls,
    readonly secret: string,
    readonly type: CallType,
    readonly model: ModelItem,
    readonly meta: CallMeta,
    readonly promptBytes: number,
  ) {}

  /** Records the call's actual cost (a failure with no usage records $0, releasing the reservation). Never throws. */
  async settle(s: Settlement): Promise<number> {
    if (this.settled) return 0;
    this.settled = true;
    const priced = s.usage ? priceUsage(this.model, s.usage) : null;
    const cost = priced?.cost ?? 0;
    const split = splitModel(this.model.litellm_params.model)!;
    try {
      await this.calls.gateway.record(this.secret, {
        request_id: this.meta.request_id,
        cost,
        model: this.model.model_name,
        prompt_tokens: s.usage?.input_tokens ?? 0,
        completion_tokens: s.usage?.output_tokens ?? 0,
        details: {
          call_type: this.type,
          status: s.status,
          model_id: this.model.model_id,
          model_group: this.model.model_name,
          upstream_model: split.upstreamModel,
          custom_llm_provider: split.provider,
          total_tokens: (s.usage?.input_tokens ?? 0) + (s.usage?.output_tokens ?? 0),
          cached_tokens: s.usage?.cache_read_tokens ?? 0,
          cache_write_tokens: s.usage?.cache_write_tokens ?? 0,
          price_source: priced?.price_source ?? null,
          price_database: PRICE_DATABASE,
          estimated: s.estimated,
          startTime: new Date(this.started).toISOString(),
          endTime: new Date().toISOString(),
          completionStartTime: s.completionStartTime ?? null,
          ...(s.error ? { error: s.error.slice(0, 500) } : {}),
        },
      });
    } catch (err) {
      // The reservation stays held until it expires and is released: the budget stays safe.
      logger.error('could not settle a model call', { requestId: this.meta.request_id, error: err as Error });
    }
    return cost;
  }

  /** Relayed output when the provider gave no usage: ≈4 bytes a token, at least one per content chunk. */
  estimate(outputBytes: number, outputChunks: number): TokenUsage {
    return { input_tokens: roughTokens(this.promptBytes), output_tokens: Math.max(outputChunks, roughTokens(outputBytes)) };
  }
}

/**
 * The model gateway: a call on a virtual key reserves its worst case on every budget
 * that applies (the authorize transaction), goes to the model's provider, and settles
 * the actual cost from the provider's usage — at the end of a stream, when the client
 * leaves (what was relayed, marked estimated), or $0 when the provider failed.
 */
export class ModelCalls {
  constructor(
    private readonly table: Table,
    private readonly keys: Keys,
    private readonly models: Models,
    readonly gateway: Gateway,
    private readonly clock: () => Date,
    private readonly fetchImpl: typeof fetch = (...a) => fetch(...a),
  ) {}

  /** The public model names this key may call: key ∩ team (team keys) or key ∩ user (personal keys). */
  async modelsFor(secret: string, route = '/v1/models'): Promise<string[]> {
    const [scope, all] = await Promise.all([readKeyScope(this.table, secret, this.clock()), this.models.list()]);
    assertKeyMayCall(scope.key, route);
    const names = [...new Set(all.map((m) => m.model_name))];
    return names.filter((name) => refusingLevel(scope, name) === null);
  }

  /** Anthropic's count_tokens, estimated (≈4 bytes a token) for an active key; no cost, nothing reserved. */
  async countTokens(secret: string, body: Record<string, unknown>, route = '/v1/messages/count_tokens'): Promise<{ input_tokens: number }> {
    assertKeyMayCall(await this.keys.authenticate(secret), route);
    return { input_tokens: roughTokens(byteLength([body.system, body.messages, body.tools])) };
  }

  chat(secret: string, body: Record<string, unknown>, signal: AbortSignal, route = '/v1/chat/completions'): Promise<CallResult> {
    return body.stream === true ? this.stream(secret, 'acompletion', 'chat', body, {}, signal, route) : this.once(secret, 'acompletion', 'chat', body, {}, signal, route);
  }

  embeddings(secret: string, body: Record<string, unknown>, signal: AbortSignal, route = '/v1/embeddings'): Promise<CallResult> {
    return this.once(secret, 'aembedding', 'embeddings', body, {}, signal, route);
  }

  messages(secret: string, body: Record<string, unknown>, forward: Record<string, string>, signal: AbortSignal, route = '/v1/messages'): Promise<CallResult> {
    return body.stream === true
      ? this.stream(secret, 'anthropic_messages', 'messages', body, forward, signal, route)
      : this.once(secret, 'anthropic_messages', 'messages', body, forward, signal, route);
  }

  /** Finds the model, then reserves the worst case; refusals say which level or budget refused. */
  private async open(secret: string, type: CallType, api: Api, body: Record<string, unknown>, route: string): Promise<OpenCall> {
    const name = String(body.model ?? '');
    const deployments = await this.models.deploymentsOf(name);
    const model = deployments.find((m) => speaks(m, api));
    if (!model) {
      await this.keys.authenticate(secret); // an unknown key learns nothing about the registry
      if (deployments.length) throw badRequest(`Model ${name} is served by ${deployments[0]!.litellm_params.model.split('/')[0]}, which does not speak ${api === 'messages' ? '/v1/messages' : `the ${api} API`}.`, 'model');
      throw badRequest(`Invalid model name passed in model=${name}. Call GET /v1/models for the models this key can use.`, 'model');
    }
    const promptBytes = byteLength(api === 'embeddings' ? body.input : [body.system, body.messages, body.tools]);
    const maxOutput = api === 'embeddings' ? 0 : outputLimit(body, model);
    const worst = priceUsage(model, { input_tokens: promptBytes, output_tokens: maxOutput });
    if (!worst) throw badRequest(`No price known for ${name}; an admin must set its prices.`, 'model');
    const requestId = randomUUID();
    try {
      await this.gateway.authorize(secret, { model: name, estimated_cost: worst.cost, request_id: requestId, route });
    } catch (err) {
      throw await this.explain(secret, name, err);
    }
    const meta: CallMeta = { request_id: requestId, model_id: model.model_id, model_group: name, reserved: worst.cost, started: Date.now() };
    return new OpenCall(this, secret, type, model, meta, promptBytes);
  }

  /**
   * The authorize transaction reports the first failing condition of its items (a key's
   * budget before its team's model list) and refuses model access as a bare 401: as in
   * LiteLLM's order, a model not allowed is said first, with the level that refused it (403).
   */
  private async explain(secret: string, model: string, err: unknown): Promise<unknown> {
    if (!(err instanceof DomainError) || (err.kind !== 'unauthenticated' && err.kind !== 'budget_exceeded')) return err;
    try {
      return refusingLevel(await readKeyScope(this.table, secret, this.clock()), model) ?? err;
    } catch (precise) {
      return precise;
    }
  }

  /** Sends the call with a timeout; any failure before a response releases the reservation. */
  private async send(call: OpenCall, api: Api, body: Record<string, unknown>, forward: Record<string, string>, signal: AbortSignal) {
    const timeoutMs = (call.model.litellm_params.timeout ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const upstream = new AbortController();
    const onAbort = () => upstream.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => upstream.abort(new UpstreamFailure(504, `Timeout: ${call.model.model_name} did not answer within ${timeoutMs / 1000} s.`)), timeoutMs);
    const stopTimer = () => clearTimeout(timer);
    const done = () => {
      stopTimer();
      signal.removeEventListener('abort', onAbort);
    };
    let res: Response;
    try {
      const secret = await this.models.credentials.read(call.model.credential);
      res = await callUpstream(call.model, { api, body, forward, secret, signal: upstream.signal }, this.fetchImpl);
    } catch (err) {
      done();
      const reason = upstream.signal.reason;
      if (signal.aborted) {
        // The client left while the provider was working: it may have billed the prompt.
        await call.settle({ usage: call.estimate(0, 0), estimated: true, status: 'failure', error: 'client disconnected' });
        throw new UpstreamFailure(499, 'The client closed the request.', { cause: err });
      }
      const failure =
        reason instanceof UpstreamFailure
          ? reason
          : err instanceof CredentialUnavailable
            ? new UpstreamFailure(502, `${call.model.model_name}: ${err.message}.`, { cause: err })
            : new UpstreamFailure(502, `${call.model.model_name}: the provider could not be reached.`, { cause: err });
      await call.settle({ usage: null, estimated: false, status: 'failure', error: failure.message });
      throw failure;
    }
    if (!res.ok) {
      done();
      const message = upstreamMessage(await res.text().catch(() => ''));
      await call.settle({ usage: null, estimated: false, status: 'failure', error: `${res.status}: ${message}` });
      throw new UpstreamFailure(res.status < 500 ? res.status : 502, `${call.model.model_name}: the provider answered ${res.status}: ${message}`);
    }
    call.meta.upstream_ms = Date.now() - call.started;
    return { res, done, stopTimer };
  }

  private async once(secret: string, type: CallType, api: Api, body: Record<string, unknown>, forward: Record<string, string>, signal: AbortSignal, route: string): Promise<CallResult> {
    const call = await this.open(secret, type, api, body, route);
    const { res, done } = await this.send(call, api, { ...body, stream: api === 'embeddings' ? undefined : false }, forward, signal);
    let json: Record<string, unknown>;
    try {
      json = (await res.json()) as Record<string, unknown>;
    } catch (err) {
      // Cut off mid-answer: the provider may have billed the prompt.
      await call.settle({ usage: call.estimate(0, 0), estimated: true, status: 'failure', error: String(err) });
      throw new UpstreamFailure(502, `${call.model.model_name}: the provider's answer was cut off.`, { cause: err });
    } finally {
      done();
    }
    call.meta.upstream_ms = Date.now() - call.started;
    const usage = api === 'messages' ? fromAnthropic(json.usage as never) : fromOpenAi(json.usage as never);
    const estimated = usage === null;
    call.meta.cost = await call.settle({ usage: usage ?? call.estimate(byteLength(json.choices ?? json.content ?? ''), 0), estimated, status: 'success' });
    return { kind: 'json', body: json, meta: call.meta };
  }

  private async stream(secret: string, type: CallType, api: Api, body: Record<string, unknown>, forward: Record<string, string>, signal: AbortSignal, route: string): Promise<CallResult> {
    const call = await this.open(secret, type, api, body, route);
    const clientOptions = body.stream_options as { include_usage?: boolean } | undefined;
    const upstreamBody = api === 'chat' ? { ...body, stream: true, stream_options: { ...clientOptions, include_usage: true } } : { ...body, stream: true };
    const sent = await this.send(call, api, upstreamBody, forward, signal);
    // No timeout on a long generation once it has started; the client's abort still aborts the upstream request.
    sent.stopTimer();
    const frames = api === 'chat' ? this.relayChat(call, sent.res, clientOptions?.include_usage === true, signal) : this.relayMessages(call, sent.res, signal);
    return { kind: 'stream', frames, meta: call.meta };
  }

  /** OpenAI SSE: takes the usage chunk (dropping it unless the client asked, adding `usage.cost` when it did), counts what was relayed. */
  private async *relayChat(call: OpenCall, res: Response, clientWantsUsage: boolean, signal: AbortSignal): AsyncGenerator<string> {
    let usage: TokenUsage | null = null;
    let bytes = 0;
    let chunks = 0;
    let firstToken: string | undefined;
    let failure: string | undefined;
    try {
      for await (const ev of readSse(res.body!)) {
        if (signal.aborted) break;
        if (ev.data === '[DONE]') {
          yield sseData('[DONE]');
          continue;
        }
        let chunk: Record<string, any>;
        try {
          chunk = JSON.parse(ev.data);
        } catch {
          yield sseData(ev.data);
          continue;
        }
        if (chunk.error) failure = JSON.stringify(chunk.error).slice(0, 500);
        const reported = fromOpenAi(chunk.usage);
        if (reported) usage = reported;
        if (Array.isArray(chunk.choices) && chunk.choices.length === 0 && chunk.usage) {
          if (!clientWantsUsage) continue;
          chunk.usage = { ...chunk.usage, cost: reported ? (priceUsage(call.model, reported)?.cost ?? 0) : 0 };
        } else if (!clientWantsUsage) delete chunk.usage;
        for (const choice of (chunk.choices as Array<{ delta?: Record<string, unknown> }> | undefined) ?? []) {
          const delta = choice.delta ?? {};
          const text = [delta.content, delta.reasoning_content, delta.tool_calls].filter((v) => v !== undefined && v !== null && v !== '');
          if (text.length) {
            bytes += byteLength(text);
            chunks++;
            firstToken ??= new Date().toISOString();
          }
        }
        yield sseData(chunk);
      }
    } catch (err) {
      if (!signal.aborted) {
        failure = `the provider's stream broke: ${String(err)}`;
        yield sseData({ error: { message: `${call.model.model_name}: the provider's stream broke off.`, type: 'upstream_error', param: null, code: '502' } });
      }
    } finally {
      await call.settle({
        usage: usage ?? call.estimate(bytes, chunks),
        estimated: usage === null,
        status: failure || signal.aborted ? 'failure' : 'success',
        error: signal.aborted ? 'client disconnected' : failure,
        completionStartTime: firstToken,
      });
    }
  }

  /** Anthropic SSE: input from `message_start`, output from the last `message_delta` (cumulative). */
  private async *relayMessages(call: OpenCall, res: Response, signal: AbortSignal): AsyncGenerator<string> {
    let start: TokenUsage | null = null;
    let output: number | null = null;
    let bytes = 0;
    let chunks = 0;
    let firstToken: string | undefined;
    let failure: string | undefined;
    try {
      for await (const ev of readSse(res.body!)) {
        if (signal.aborted) break;
        let data: Record<string, any>;
        try {
          data = JSON.parse(ev.data);
        } catch {
          continue;
        }
        const type = ev.event ?? data.type;
        if (type === 'message_start') start = fromAnthropic(data.message?.usage);
        if (type === 'message_delta' && typeof data.usage?.output_tokens === 'number') output = data.usage.output_tokens;
        if (type === 'content_block_delta') {
          bytes += byteLength(data.delta?.text ?? data.delta?.partial_json ?? data.delta?.thinking ?? '');
          chunks++;
          firstToken ??= new Date().toISOString();
        }
        if (type === 'error') failure = JSON.stringify(data.error ?? data).slice(0, 500);
        yield sseEvent(type, data);
      }
    } catch (err) {
      if (!signal.aborted) {
        failure = `the provider's stream broke: ${String(err)}`;
        yield sseEvent('error', { type: 'error', error: { type: 'api_error', message: `${call.model.model_name}: the provider's stream broke off.` } });
      }
    } finally {
      const rough = call.estimate(bytes, chunks);
      const complete = start !== null && output !== null;
      const usage: TokenUsage = start ? { ...start, output_tokens: output ?? rough.output_tokens } : rough;
      await call.settle({
        usage,
        estimated: !complete,
        status: failure || signal.aborted ? 'failure' : 'success',
        error: signal.aborted ? 'client disconnected' : failure,
        completionStartTime: firstToken,
      });
    }
  }
}

/** Which APIs a provider speaks: OpenAI-compatible ones chat and embed; Anthropic speaks Messages; the echo model all three. */
function speaks(model: ModelItem, api: Api): boolean {
  const provider = splitModel(model.litellm_params.model)?.provider;
  if (provider === 'echo') return true;
  if (provider === 'anthropic') return api === 'messages';
  return api !== 'messages';
}

/** The most output a request can produce: its own limit, else the model's, else a default. */
function outputLimit(body: Record<string, unknown>, model: ModelItem): number {
  const asked = [body.max_completion_tokens, body.max_tokens].find((v) => typeof v === 'number' && v > 0) as number | undefined;
  return asked ?? model.litellm_params.max_tokens ?? model.model_info.max_output_tokens ?? DEFAULT_MAX_OUTPUT_TOKENS;
}

/** The provider's error message, without anything else it sent. */
function upstreamMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    const msg = typeof parsed.error === 'string' ? parsed.error : (parsed.error?.message ?? parsed.message);
    if (msg) return String(msg).slice(0, 500);
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || 'no details';
}
