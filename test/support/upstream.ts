/**
 * A local OpenAI-compatible (and Anthropic Messages) upstream for the gateway tests:
 * real HTTP on 127.0.0.1, real SSE, usage chunks when asked. What it does depends on
 * the upstream model name:
 *   mock-chat   answers "hello from upstream" (5 completion tokens; 12 prompt tokens, 4 cached)
 *   mock-hold   streams one chunk, then waits for `release()` before the rest
 *   mock-drip   streams a chunk every 50 ms, 200 chunks (for aborts mid-stream)
 *   mock-fail   answers 500
 *   mock-slow   never answers (for timeouts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Hono } from 'hono';

export type Upstream = Awaited<ReturnType<typeof startUpstream>>;

export async function startUpstream() {
  const stats = { requests: 0, inFlight: 0, maxInFlight: 0, closedEarly: 0, lastBody: null as any, lastHeaders: null as any, lastRawBody: '', lastUrl: '' };
  let releaseHeld: () => void = () => undefined;
  let held = new Promise<void>((r) => (releaseHeld = r));

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const body = JSON.parse(raw || '{}');
    stats.requests++;
    stats.lastRawBody = raw;
    stats.lastUrl = req.url ?? '';
    stats.lastBody = body;
    stats.lastHeaders = req.headers;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let finished = false;
    res.on('close', () => {
      stats.inFlight--;
      if (!finished) stats.closedEarly++;
    });
    const end = (status: number, json: unknown) => {
      finished = true;
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    };
    const model = String(body.model);
    if (model === 'mock-fail') return end(500, { error: { message: 'upstream exploded', type: 'server_error' } });
    if (model === 'mock-slow') return; // never answers
    if (req.url?.endsWith('/v1/messages')) return anthropic(body, res, () => (finished = true));
    if (req.url?.endsWith('/embeddings')) {
      const inputs = Array.isArray(body.input) ? body.input : [body.input];
      return end(200, { object: 'list', model, data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.1, 0.2, 0.3] })), usage: { prompt_tokens: 8, total_tokens: 8 } });
    }
    const usage = { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17, prompt_tokens_details: { cached_tokens: 4 } };
    if (!body.stream) {
      return end(200, { id: 'chatcmpl-up', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message: { role: 'assistant', content: 'hello from upstream' }, finish_reason: 'stop' }], usage });
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const withUsage = body.stream_options?.include_usage === true;
    const chunk = (delta: object, finish: string | null = null) =>
      res.write(`data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(withUsage ? { usage: null } : {}) })}\n\n`);
    chunk({ role: 'assistant', content: '' });
    if (model === 'mock-drip') {
      for (let i = 0; i < 200 && !res.destroyed; i++) {
        chunk({ content: `word${i} ` });
        await new Promise((r) => setTimeout(r, 50));
      }
    } else {
      chunk({ content: 'hello' });
      if (model === 'mock-hold') await held;
      for (const w of [' from', ' up', 'stream']) chunk({ content: w });
    }
    chunk({}, 'stop');
    if (withUsage) res.write(`data: ${JSON.stringify({ id: 'chatcmpl-up', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })}\n\n`);
    res.write('data: [DONE]\n\n');
    finished = true;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    release: () => {
      releaseHeld();
      held = new Promise<void>((r) => (releaseHeld = r));
    },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

/** Anthropic's Messages API: message_start (input usage), deltas, message_delta (cumulative output), message_stop. */
function anthropic(body: any, res: ServerResponse, finish: () => void) {
  const usage = { input_tokens: 10, cache_read_input_tokens: 6, cache_creation_input_tokens: 0, output_tokens: 1 };
  if (!body.stream) {
    finish();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'msg_up', type: 'message', role: 'assistant', model: body.model, content: [{ type: 'text', text: 'hello from claude' }], stop_reason: 'end_turn', stop_sequence: null, usage: { ...usage, output_tokens: 4 } }));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const ev = (type: string, data: object) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev('message_start', { message: { id: 'msg_up', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage } });
  ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  ev('ping', {});
  for (const t of ['hello', ' from', ' claude']) ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: t } });
  ev('content_block_stop', { index: 0 });
  ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } });
  ev('message_stop', {});
  finish();
  res.end();
}

/** Serves the app over real HTTP on 127.0.0.1 (a free port), as `npm start` does. */
export async function serveOverHttp(app: Hono<any>) {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((r) => (server.listening ? r() : server.once('listening', () => r())));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => { (server as any).closeAllConnections?.(); server.close(() => r()); }),
  };
}
