/**
 * The model gateway part of `npm run bench` (issue 12): a chat completion through onramp
 * against the same call straight to a local OpenAI-compatible upstream, in one run,
 * interleaved; the time to first token of a stream both ways; the DynamoDB round trips,
 * their time and the capacity units each call uses (ReturnConsumedCapacity).
 */
import type { Deps } from '../shared/composition/services';
import { startUpstream } from '../test/support/upstream';
import { noUnits, type Meter, type Units } from './capacity';

type Capacity = { commands: string[]; ms: number; measuring: boolean };

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');

/** Counts round trips and their time on the app's own client while `measuring` (units: the bench's meter). */
function installCapacity(deps: Deps): Capacity {
  const cap: Capacity = { commands: [], ms: 0, measuring: false };
  deps.table.doc.middlewareStack.add(
    (next, context) => async (args) => {
      if (!cap.measuring) return next(args);
      const t = nowMs();
      const out = await next(args);
      cap.ms += nowMs() - t;
      cap.commands.push(String(context.commandName ?? '?').replace(/Command$/, ''));
      return out;
    },
    { step: 'initialize', name: 'benchModelCapacity', priority: 'low' },
  );
  return cap;
}

/** What one model call consumed: the report's lines, and the units of one non-stream and one streamed call. */
export type ModelBench = { lines: string[]; perCall: Units; perStream: Units };

export async function benchModelGateway(opts: {
  deps: Deps;
  meter: Meter;
  base: string;
  masterKey: string;
  samples: number;
  warmup: number;
  log: (m: string) => void;
  stops: Array<{ name: string; stop: () => Promise<void> }>;
}): Promise<ModelBench> {
  const { deps, base, masterKey } = opts;
  const upstream = await startUpstream();
  opts.stops.push({ name: 'mock upstream', stop: upstream.close });
  const cap = installCapacity(deps);
  const admin = { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' };
  const post = async (url: string, headers: Record<string, string>, body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
    return res;
  };
  await post(`${base}/model/new`, admin, { model_name: 'bench-chat', litellm_params: { model: 'openai/mock-chat', api_base: `${upstream.url}/v1`, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002 } });
  const team = (await (await post(`${base}/team/new`, admin, { team_alias: 'bench-models', models: ['bench-chat'], max_budget: 1000 })).json()) as { team_id: string };
  const key = (await (await post(`${base}/key/generate`, admin, { team_id: team.team_id, max_budget: 1000 })).json()) as { key: string };
  const asKey = { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' };
  const direct = { authorization: 'Bearer sk-upstream', 'content-type': 'application/json' };
  const chat = { model: 'bench-chat', messages: [{ role: 'user', content: 'hello' }], max_tokens: 16 };
  const upstreamChat = { ...chat, model: 'mock-chat' };

  const once = async (url: string, headers: Record<string, string>, body: unknown) => {
    const t = nowMs();
    await (await post(url, headers, body)).text();
    return nowMs() - t;
  };
  /** Time to the first content chunk of a stream. */
  const ttft = async (url: string, headers: Record<string, string>, body: unknown) => {
    const t = nowMs();
    const res = await post(url, headers, { ...(body as object), stream: true });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let first = NaN;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      if (Number.isNaN(first) && text.includes('"content":"hello"')) first = nowMs() - t;
    }
    return first;
  };

  const series = { onramp: [] as number[], direct: [] as number[], overhead: [] as number[], ttftOnramp: [] as number[], ttftDirect: [] as number[], dynamoMs: [] as number[] };
  for (let i = 0; i < opts.warmup; i++) {
    await once(`${base}/v1/chat/completions`, asKey, chat);
    await once(`${upstream.url}/v1/chat/completions`, direct, upstreamChat);
  }
  opts.log(`model gateway: ${opts.samples} samples per series, interleaved`);
  let perCall = { commands: [] as string[], units: noUnits() };
  let perStream = { commands: [] as string[], units: noUnits() };
  for (let i = 0; i < opts.samples; i++) {
    const d = await once(`${upstream.url}/v1/chat/completions`, direct, upstreamChat);
    cap.commands = [];
    cap.ms = 0;
    cap.measuring = true;
    const { result: o, units } = await opts.meter.measure(() => once(`${base}/v1/chat/completions`, asKey, chat));
    cap.measuring = false;
    perCall = { commands: [...cap.commands], units };
    series.direct.push(d);
    series.onramp.push(o);
    series.overhead.push(o - d);
    series.dynamoMs.push(cap.ms);
    series.ttftDirect.push(await ttft(`${upstream.url}/v1/chat/completions`, direct, upstreamChat));
    cap.commands = [];
    cap.measuring = true;
    const streamed = await opts.meter.measure(async () => {
      series.ttftOnramp.push(await ttft(`${base}/v1/chat/completions`, asKey, chat));
      // the stream settles as it closes: wait for its record before counting
      await new Promise((r) => setTimeout(r, 5));
    });
    cap.measuring = false;
    perStream = { commands: [...cap.commands], units: streamed.units };
  }
  const overheadP50 = pct(series.overhead, 50);
  const dynamoP50 = pct(series.dynamoMs, 50);
  const ratio = overheadP50 / dynamoP50;
  const ttftOverhead = pct(series.ttftOnramp, 50) - pct(series.ttftDirect, 50);
  opts.log(`chat overhead p50 ${f2(overheadP50)} ms over ${perCall.commands.length} DynamoDB round trips (${f2(dynamoP50)} ms) → ${f2(ratio)}×`);
  const breakdown = (cs: string[]) => {
    const m = new Map<string, number>();
    for (const c of cs) m.set(c, (m.get(c) ?? 0) + 1);
    return [...m].map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(', ');
  };
  const unitsOf = (u: Units) => `${f2(u.read)} read + ${f2(u.write)} write units (table ${f2(u.tableRead)} R / ${f2(u.tableWrite)} W, indexes ${f2(u.indexWrite)} W)`;
  const lines = [
    '## Model gateway (issue 12)',
    '',
    '| measure | p50 | p99 |',
    '|---|---|---|',
    `| chat completion straight to the local upstream | ${f2(pct(series.direct, 50))} ms | ${f2(pct(series.direct, 99))} ms |`,
    `| the same through onramp (key, reservation, upstream, settlement) | ${f2(pct(series.onramp, 50))} ms | ${f2(pct(series.onramp, 99))} ms |`,
    `| **overhead** (onramp − direct, per pair) | **${f2(overheadP50)} ms** | **${f2(pct(series.overhead, 99))} ms** |`,
    `| DynamoDB time inside one onramp call (sum of its round trips) | ${f2(dynamoP50)} ms | ${f2(pct(series.dynamoMs, 99))} ms |`,
    `| time to first token, direct | ${f2(pct(series.ttftDirect, 50))} ms | ${f2(pct(series.ttftDirect, 99))} ms |`,
    `| time to first token, through onramp | ${f2(pct(series.ttftOnramp, 50))} ms | ${f2(pct(series.ttftOnramp, 99))} ms |`,
    '',
    `- Overhead p50 / DynamoDB time p50 = **${f2(ratio)}×** (target ≤ 1.5×: ${ratio <= 1.5 ? 'PASS' : 'MISS'}); TTFT overhead p50 ${f2(ttftOverhead)} ms.`,
    `- DynamoDB per non-stream call: ${perCall.commands.length} round trips (${breakdown(perCall.commands)}), ${unitsOf(perCall.units)}, measured (ReturnConsumedCapacity INDEXES).`,
    `- DynamoDB per streamed call: ${perStream.commands.length} round trips (${breakdown(perStream.commands)}), ${unitsOf(perStream.units)}.`,
    `- ${opts.samples} samples per series after ${opts.warmup} warm-up pairs, interleaved (direct, onramp, direct stream, onramp stream), sequential, fetch keep-alive; the upstream is test/support/upstream.ts on 127.0.0.1 (answers at once), prices $1/$2 per million tokens.`,
    '',
  ];
  return { lines, perCall: perCall.units, perStream: perStream.units };
}
