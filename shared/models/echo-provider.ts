/**
 * The local echo model (`onramp-local-echo`): what `npm start` offers when no provider
 * is configured, so a newcomer can try a key at once. It answers with the last user
 * message, in OpenAI's or Anthropic's shape, streaming when asked, with usage counted
 * as one token per 4 characters: budgets and spend logs move as with a real model.
 */
const tokens = (text: string) => Math.max(1, Math.ceil(text.length / 4));

function lastUserText(body: Record<string, unknown>): string {
  const messages = (body.messages as Array<{ role?: string; content?: unknown }> | undefined) ?? [];
  const last = [...messages].reverse().find((m) => m.role === 'user');
  const content = last?.content;
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p: { text?: string }) => p?.text ?? '').join('');
  return '';
}

const sse = (frames: string[]) =>
  new Response(
    new ReadableStream({
      start(controller) {
        const enc = new TextEncoder();
        for (const f of frames) controller.enqueue(enc.encode(f));
        controller.close();
      },
    }),
    { status: 200, headers: { 'content-type': 'text/event-stream' } },
  );

export function echoResponse(api: 'chat' | 'embeddings' | 'messages', body: Record<string, unknown>): Response {
  const model = String(body.model);
  const promptTokens = tokens(JSON.stringify(body.messages ?? body.input ?? ''));
  if (api === 'embeddings') {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: [String(text).length, 0, 1] }));
    return Response.json({ object: 'list', data, model, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } });
  }
  const text = `echo: ${lastUserText(body)}`;
  const words = text.match(/\S+\s*/g) ?? [text];
  const completionTokens = tokens(text);
  const created = Math.floor(Date.now() / 1000);
  const id = `chatcmpl-echo-${created}`;
  if (api === 'messages') {
    const usage = { input_tokens: promptTokens, output_tokens: completionTokens };
    if (!body.stream) return Response.json({ id: `msg_echo_${created}`, type: 'message', role: 'assistant', model, content: [{ type: 'text', text }], stop_reason: 'end_turn', stop_sequence: null, usage });
    const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
    return sse([
      ev('message_start', { message: { id: `msg_echo_${created}`, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: promptTokens, output_tokens: 1 } } }),
      ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }),
      ...words.map((w) => ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: w } })),
      ev('content_block_stop', { index: 0 }),
      ev('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: completionTokens } }),
      ev('message_stop', {}),
    ]);
  }
  const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
  if (!body.stream) {
    return Response.json({ id, object: 'chat.completion', created, model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }], usage });
  }
  const includeUsage = (body.stream_options as { include_usage?: boolean } | undefined)?.include_usage === true;
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...(includeUsage ? { usage: null } : {}) })}\n\n`;
  return sse([
    chunk({ role: 'assistant', content: '' }, null),
    ...words.map((w) => chunk({ content: w }, null)),
    chunk({}, 'stop'),
    ...(includeUsage ? [`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`] : []),
    'data: [DONE]\n\n',
  ]);
}
