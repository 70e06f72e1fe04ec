/**
 * `npm run bench`: the budgets benchmark of issue 5 (not a test).
 *
 * Starts its own DynamoDB Local (in memory) and the real app on @hono/node-server,
 * both on 127.0.0.1 and free ports, sets up a team, a user and a key through the
 * HTTP API, then measures in one run:
 *
 *   1. authorize over HTTP (p50/p99), interleaved with the bare DynamoDB calls it
 *      cannot avoid (one GetItem of the key, one TransactWriteItems of the shape
 *      authorize sends), through the same DynamoDB client: ratio = authorize p50 /
 *      (GetItem p50 + TransactWriteItems p50);
 *   2. DynamoDB round trips and capacity units per route, counted by SDK middlewares
 *      on the app's own client (product code unchanged; ./capacity.ts asks each call
 *      for ReturnConsumedCapacity), and authorize + record against the floor the
 *      hard cap needs, computed from item sizes;
 *   3. the reset of N due budgets (BudgetReset.run) against a bare BatchWriteItem
 *      of the same items: wall clock and capacity units per item;
 *   4. minified bundle sizes (esbuild with the CDK's options) and the biggest inputs;
 *   5. cold initialisation of the API bundle in fresh `node` processes.
 *
 * Prints a markdown table and writes it to bench/results/latest.md (gitignored).
 * Everything is bounded (counts and time budgets) and every child process is
 * stopped at the end, on error and on Ctrl-C.
 *
 * Knobs (environment): BENCH_N (authorize samples, default 300), BENCH_WARMUP (30),
 * BENCH_RESET_ITEMS (5000: DynamoDB Local spends CPU per request, and the reset sends one per item), BENCH_RESET_REPS (1), BENCH_COLD_RUNS (5).
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Agent, request as httpRequest, type Server } from 'node:http';
import * as os from 'node:os';
import { join, relative, resolve } from 'node:path';
import { BatchWriteCommand, GetCommand, type BatchWriteCommandOutput, TransactWriteCommand, UpdateCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { serve } from '@hono/node-server';
import { build, type Metafile } from 'esbuild';
import { API_UNBUNDLED } from '../infra/stateless-stack';
import { ensureTable, localClient, startDynamoDb, type LocalDynamo } from '../local/dynamodb';
import { freePort } from '../local/ports';
import { resetOp, type DueBudget } from '../shared/spend/reset';
import { initialBudgetState } from '../shared/budgets/state';
import { loadConfig } from '../shared/config/config';
import { indexKeys, keys, type ItemKey } from '../shared/db/keys';
import type { TransactOp } from '../shared/db/table';
import { createApp } from '../shared/http/core/app';
import { logger } from '../shared/core/logger';
import { buildDeps, type Deps } from '../shared/composition/services';
import { installMeter, itemSize, noUnits, readUnits, writeUnits, type Units } from './capacity';
import { benchModelGateway } from './model-gateway';

const REPO = resolve(__dirname, '..');
const env = process.env;
const int = (name: string, dflt: number) => {
  const v = Number(env[name]);
  return Number.isFinite(v) && v > 0 ? Math.floor(v) : dflt;
};
const N = int('BENCH_N', 300);
const WARMUP = int('BENCH_WARMUP', 30);
const RESET_ITEMS = int('BENCH_RESET_ITEMS', 5_000);
const RESET_REPS = int('BENCH_RESET_REPS', 1);
const COLD_RUNS = int('BENCH_COLD_RUNS', 5);
/** The whole run is killed past this, whatever it is doing. */
const HARD_LIMIT_MS = 9 * 60_000;
/** Time budgets per section: a section stops sampling early (and says so) past its budget. */
const LATENCY_BUDGET_MS = 90_000;

const MASTER_KEY = 'sk-bench-master-key-0123456789abcdef';
const JWT_SECRET = 'bench-jwt-secret-that-is-long-enough-0123456789';
const TABLE = 'onramp-bench';
const MODEL = 'gpt-4o';

// ---------------------------------------------------------------- small helpers

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
/** Nearest-rank percentile. */
function pct(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = sorted(xs);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}
const median = (xs: number[]) => pct(xs, 50);
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
const verdict = (ok: boolean | null) => (ok === null ? 'n/a' : ok ? 'PASS' : 'MISS');
const log = (msg: string) => process.stderr.write(`[bench] ${msg}\n`);

/** Runs `tasks` with at most `concurrency` in flight. */
async function pool<T>(tasks: Array<() => Promise<T>>, concurrency: number): Promise<T[]> {
  const out: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        out[i] = await tasks[i]!();
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------- cleanup

const stops: Array<{ name: string; stop: () => Promise<void> }> = [];
let stopping: Promise<void> | null = null;
function stopAll(): Promise<void> {
  stopping ??= (async () => {
    for (const { name, stop } of stops.reverse()) {
      await Promise.race([stop(), new Promise((r) => setTimeout(r, 10_000))]).catch((err) => log(`stopping ${name}: ${(err as Error).message}`));
    }
  })();
  return stopping;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    log(`${signal}: stopping`);
    void stopAll().then(() => process.exit(130));
  });
}
setTimeout(() => {
  log(`hard limit of ${HARD_LIMIT_MS / 60_000} minutes reached: stopping`);
  void stopAll().then(() => process.exit(2));
}, HARD_LIMIT_MS).unref();

// ---------------------------------------------------------------- HTTP client (keep-alive, one socket)

type Reply = { status: number; body: any };
function makeClient(base: string) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  stops.push({ name: 'http agent', stop: async () => agent.destroy() });
  const url = new URL(base);
  return function call(method: string, path: string, token: string | null, body?: unknown): Promise<Reply> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    return new Promise((done, fail) => {
      const req = httpRequest({ host: url.hostname, port: url.port, path, method, headers, agent, timeout: 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            /* keep the text */
          }
          done({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', fail);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', fail);
      req.end(payload);
    });
  };
}
type Call = ReturnType<typeof makeClient>;

function expectOk(r: Reply, what: string): any {
  if (r.status !== 200) throw new Error(`${what} answered ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

// ---------------------------------------------------------------- round-trip counter (SDK middleware)

type Counter = { commands: string[]; durations: Array<[string, number]>; lastTransact: TransactWriteCommandInput | null; capture: boolean };

/**
 * Counts every HTTP round trip the app's DynamoDB client makes (the deserialize
 * step runs once per attempt, retries included) and can capture the input of the
 * next TransactWriteItems (before marshalling), to replay its exact shape.
 */
function installCounter(deps: Deps): Counter {
  const counter: Counter = { commands: [], durations: [], lastTransact: null, capture: false };
  const stack = deps.table.doc.middlewareStack;
  stack.add(
    (next, context) => async (args) => {
      const name = String(context.commandName ?? '?').replace(/Command$/, '');
      counter.commands.push(name);
      const t = nowMs();
      try {
        return await next(args);
      } finally {
        counter.durations.push([name, nowMs() - t]);
      }
    },
    { step: 'deserialize', name: 'benchRoundTripCounter', priority: 'low' },
  );
  stack.add(
    (next, context) => async (args) => {
      if (counter.capture && context.commandName === 'TransactWriteItemsCommand') {
        counter.lastTransact = structuredClone(args.input as TransactWriteCommandInput);
      }
      return next(args);
    },
    { step: 'initialize', name: 'benchTransactCapture', priority: 'high' },
  );
  return counter;
}

function breakdown(commands: string[]): string {
  const counts = new Map<string, number>();
  for (const c of commands) counts.set(c, (counts.get(c) ?? 0) + 1);
  return [...counts].map(([c, n]) => (n > 1 ? `${c}×${n}` : c)).join(', ') || '—';
}

/** Per command: calls, summed latency and mean latency (concurrent calls overlap, so sums exceed wall time). */
function timeBreakdown(durations: Array<[string, number]>): string {
  const by = new Map<string, number[]>();
  for (const [c, ms] of durations) by.set(c, [...(by.get(c) ?? []), ms]);
  return [...by]
    .map(([c, xs]) => `${c} ×${xs.length}: Σ ${f1(xs.reduce((a, b) => a + b, 0) / 1000)} s, mean ${f1(xs.reduce((a, b) => a + b, 0) / xs.length)} ms, p50 ${f1(median(xs))} ms`)
    .join('; ');
}

/**
 * CPU seconds the DynamoDB Local process has used so far (Linux /proc; null elsewhere).
 * It shows where a phase's time goes: the server's work per item, not the client's.
 */
function serverCpuSeconds(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

// ---------------------------------------------------------------- bundles

type BundleResult = { entry: string; kb: number | null; mapKb: number | null; file: string | null; top: Array<[string, number]>; detail: Array<[string, number]>; note?: string };

/** esbuild with the options infra/onramp-function.ts gives the CDK (sourcemap linked, like `sourceMap: true`). */
async function bundle(entry: string, outDir: string, unbundled: readonly string[] = []): Promise<BundleResult> {
  const abs = join(REPO, entry);
  if (!existsSync(abs)) return { entry, kb: null, mapKb: null, file: null, top: [], detail: [], note: `${entry} does not exist` };
  const outfile = join(outDir, `${entry.replace(/[/\\]/g, '_').replace(/\.ts$/, '')}.js`);
  const result = await build({
    entryPoints: [abs],
    outfile,
    bundle: true,
    minify: true,
    sourcemap: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    charset: 'utf8',
    external: ['@aws-sdk/*', ...unbundled],
    tsconfig: join(REPO, 'tsconfig.json'),
    metafile: true,
    logLevel: 'silent',
  });
  const kb = statSync(outfile).size / 1024;
  const mapKb = existsSync(`${outfile}.map`) ? statSync(`${outfile}.map`).size / 1024 : null;
  return { entry, kb, mapKb, file: outfile, top: biggestInputs(result.metafile, 0, 12), detail: biggestInputs(result.metafile, 2, 8) };
}

/**
 * Bytes in the output per package (node_modules/<pkg>, plus `depth` folders below it)
 * or per source folder.
 */
function biggestInputs(meta: Metafile, depth: number, count: number): Array<[string, number]> {
  const by = new Map<string, number>();
  for (const out of Object.values(meta.outputs)) {
    for (const [path, { bytesInOutput }] of Object.entries(out.inputs)) {
      const m = /node_modules\/((?:@[^/]+\/)?[^/]+)((?:\/[^/]+)*)\/[^/]+$/.exec(path) ?? /node_modules\/((?:@[^/]+\/)?[^/]+)()/.exec(path);
      const group = m ? [m[1]!, ...m[2]!.split('/').filter(Boolean).slice(0, depth)].join('/') : path.split('/').slice(0, 2 + depth).join('/');
      by.set(group, (by.get(group) ?? 0) + bytesInOutput);
    }
  }
  return [...by].sort((a, b) => b[1] - a[1]).slice(0, count);
}

// ---------------------------------------------------------------- cold init

/** Run in a fresh `node`: require the bundle, then invoke the handler as API Gateway (HTTP API v2) would. */
const COLD_SCRIPT = `
const ms = (a, b) => Number(b - a) / 1e6;
const ev = (p) => ({ version: '2.0', routeKey: '$default', rawPath: p, rawQueryString: '', headers: { host: 'bench.local', accept: 'application/json' },
  requestContext: { accountId: '123456789012', apiId: 'bench', domainName: 'bench.local', domainPrefix: 'bench', requestId: 'r-' + p,
    http: { method: 'GET', path: p, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bench' }, routeKey: '$default', stage: '$default', time: new Date().toUTCString(), timeEpoch: Date.now() },
  isBase64Encoded: false });
const ctx = { awsRequestId: 'bench', functionName: 'onramp-api', getRemainingTimeInMillis: () => 10000, callbackWaitsForEmptyEventLoop: true };
const t0 = process.hrtime.bigint();
const mod = require(process.env.BENCH_BUNDLE);
const t1 = process.hrtime.bigint();
(async () => {
  const a = await mod.handler(ev('/health/liveliness'), ctx);
  const t2 = process.hrtime.bigint();
  const b = await mod.handler(ev('/health/readiness'), ctx);
  const t3 = process.hrtime.bigint();
  const c = await mod.handler(ev('/health/readiness'), ctx);
  const t4 = process.hrtime.bigint();
  console.log(JSON.stringify({ require: ms(t0, t1), first: ms(t1, t2), firstDb: ms(t2, t3), warmDb: ms(t3, t4),
    status: [a.statusCode, b.statusCode, c.statusCode] }));
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
`;

type ColdSample = { require: number; first: number; firstDb: number; warmDb: number; wall: number; status: number[] };

function coldRun(bundleFile: string, dynamoEndpoint: string, sourceMaps: boolean): Promise<ColdSample> {
  const childEnv: Record<string, string> = {
    PATH: env.PATH ?? '/usr/bin:/bin',
    HOME: env.HOME ?? '/tmp',
    // The bundle leaves @aws-sdk/* external (the Lambda runtime provides it); here it comes from the repo.
    NODE_PATH: join(REPO, 'node_modules'),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
    ONRAMP_MASTER_KEY: MASTER_KEY,
    ONRAMP_JWT_SECRET: JWT_SECRET,
    ONRAMP_TABLE_NAME: TABLE,
    ONRAMP_SES_SENDER: 'onramp@example.com',
    ONRAMP_DYNAMODB_ENDPOINT: dynamoEndpoint,
    BENCH_BUNDLE: bundleFile,
    ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
  };
  return new Promise((done, fail) => {
    const started = nowMs();
    const child = spawn(process.execPath, ['-e', COLD_SCRIPT], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.once('error', fail);
    child.once('exit', (code) => {
      clearTimeout(kill);
      const wall = nowMs() - started;
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) return fail(new Error(`cold init child exited ${code}: ${err || out}`));
      try {
        done({ ...(JSON.parse(line) as Omit<ColdSample, 'wall'>), wall });
      } catch {
        fail(new Error(`cold init child printed no result: ${out} ${err}`));
      }
    });
  });
}

// ---------------------------------------------------------------- main

async function main() {
  const started = nowMs();
  const runDate = new Date();
  logger.setLogLevel('WARN'); // the reset logs progress per page at INFO; keep stdout for the table

  // --- the stack
  const dynamo: LocalDynamo = await startDynamoDb({ port: await freePort() });
  stops.push({ name: 'DynamoDB Local', stop: dynamo.stop });
  log(`DynamoDB Local at ${dynamo.endpoint}`);
  await ensureTable(localClient(dynamo.endpoint), TABLE);
  const config = loadConfig({
    ONRAMP_MASTER_KEY: MASTER_KEY,
    ONRAMP_JWT_SECRET: JWT_SECRET,
    ONRAMP_TABLE_NAME: TABLE,
    ONRAMP_SES_SENDER: 'onramp@example.com',
    ONRAMP_DYNAMODB_ENDPOINT: dynamo.endpoint,
    // Nothing here sends email; an endpoint on loopback that nothing listens on keeps it local anyway.
    ONRAMP_SES_ENDPOINT: 'http://127.0.0.1:9',
    PROXY_BASE_URL: 'http://127.0.0.1',
    AWS_REGION: 'us-east-1',
  });
  const deps = buildDeps(config);
  const counter = installCounter(deps);
  const meter = installMeter(deps.table.doc);
  const app = createApp(deps);
  const appPort = await freePort();
  const server = serve({ fetch: app.fetch, port: appPort, hostname: '127.0.0.1' }) as Server;
  stops.push({
    name: 'app server',
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections?.();
        server.close(() => done());
      }),
  });
  await new Promise<void>((done, fail) => {
    if (server.listening) return done();
    server.once('listening', done);
    server.once('error', fail);
  });
  const base = `http://127.0.0.1:${appPort}`;
  log(`app at ${base}`);
  const call: Call = makeClient(base);

  // --- a team, a user in it and a team key for that user, through the API
  const team = expectOk(
    await call('POST', '/team/new', MASTER_KEY, { team_alias: 'bench', models: [MODEL], max_budget: 1000, budget_duration: '30d', team_member_budget: 100 }),
    '/team/new',
  );
  const user = expectOk(
    await call('POST', '/user/new', MASTER_KEY, { user_email: 'bench-user@example.com', user_role: 'internal_user', auto_create_key: false, max_budget: 1000 }),
    '/user/new',
  );
  expectOk(await call('POST', '/team/member_add', MASTER_KEY, { team_id: team.team_id, member: { user_id: user.user_id } }), '/team/member_add');
  const key = expectOk(
    await call('POST', '/key/generate', MASTER_KEY, { team_id: team.team_id, user_id: user.user_id, max_budget: 100, budget_duration: '1d' }),
    '/key/generate',
  );
  const secret = key.key as string;
  const tokenHash = key.token as string;
  const teamId = team.team_id as string;
  const userId = user.user_id as string;

  let seq = 0;
  const authorize = (id = `bench-${++seq}`, cost = 0.0001) => call('POST', '/spend/authorize', secret, { model: MODEL, estimated_cost: cost, request_id: id });
  const record = (id: string, cost = 0.00005) => call('POST', '/spend/record', secret, { request_id: id, cost, model: MODEL, prompt_tokens: 10, completion_tokens: 5 });

  // --- capture the exact TransactWriteItems authorize sends, and check it is the expected shape
  counter.capture = true;
  expectOk(await authorize(), '/spend/authorize');
  counter.capture = false;
  const captured = counter.lastTransact;
  if (!captured?.TransactItems) throw new Error('could not capture the TransactWriteItems authorize sends');
  const shape = captured.TransactItems.map((t) => Object.keys(t)[0]).join(' + ');

  // Throwaway copies of the four budget items (same attributes and indexes, other partition keys),
  // so the bare transactions do the same work without touching the real budgets.
  const COPY = 'BENCHCOPY#';
  const scopeKeys: ItemKey[] = [keys.key(tokenHash), keys.member(teamId, userId), keys.team(teamId), keys.user(userId)];
  for (const k of scopeKeys) {
    const item = await deps.table.get<Record<string, unknown>>(k);
    if (!item) throw new Error(`missing ${k.PK} ${k.SK}`);
    const copy: Record<string, unknown> = { ...item, PK: `${COPY}${k.PK}` };
    for (const attr of ['GSI1PK', 'GSI2PK', 'GSI3PK', 'GSI4PK']) if (typeof copy[attr] === 'string') copy[attr] = `${COPY}${copy[attr]}`;
    await deps.table.doc.send(new BatchWriteCommand({ RequestItems: { [TABLE]: [{ PutRequest: { Item: copy } }] } }));
  }
  let bareSeq = 0;
  const bareTransact = () => {
    const id = `bare-${++bareSeq}`;
    const input = structuredClone(captured) as TransactWriteCommandInput;
    for (const t of input.TransactItems!) {
      if (t.Put) {
        const item = t.Put.Item as Record<string, unknown>;
        Object.assign(item, keys.request(id), { request_id: id, GSI4SK: `${item.expires_at as string}#${id}` });
      } else if (t.Update) {
        t.Update.Key = { ...t.Update.Key, PK: `${COPY}${t.Update.Key!.PK as string}` };
      }
    }
    return deps.table.doc.send(new TransactWriteCommand(input));
  };
  const bareGet = () => deps.table.doc.send(new GetCommand({ TableName: TABLE, Key: keys.key(tokenHash), ConsistentRead: true }));

  // --- 1. latency, interleaved in rounds so drift hits every series alike
  log(`latency: ${WARMUP} warm-up + ${N} samples per series, interleaved`);
  const series = { inProcess: [] as number[], authorize: [] as number[], get: [] as number[], transact: [] as number[], pairAuthorize: [] as number[], pairRecord: [] as number[], pair: [] as number[] };
  const timeIt = async (fn: () => Promise<unknown>) => {
    const t = nowMs();
    await fn();
    return nowMs() - t;
  };
  const checkAuth = async () => {
    const r = await authorize();
    if (r.status !== 200) throw new Error(`authorize answered ${r.status}: ${JSON.stringify(r.body)}`);
  };
  /** The same authorize through app.request (no socket, no node-server): what HTTP adds. */
  const inProcess = async () => {
    const res = await app.request('http://127.0.0.1/spend/authorize', {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, estimated_cost: 0.0001, request_id: `inproc-${++seq}` }),
    });
    if (res.status !== 200) throw new Error(`in-process authorize answered ${res.status}: ${await res.text()}`);
    await res.text();
  };
  const pairOnce = async () => {
    const id = `pair-${++seq}`;
    const t0 = nowMs();
    expectOk(await authorize(id), '/spend/authorize');
    const t1 = nowMs();
    expectOk(await record(id), '/spend/record');
    const t2 = nowMs();
    return [t1 - t0, t2 - t1] as const;
  };
  for (let i = 0; i < WARMUP; i++) {
    await checkAuth();
    await inProcess();
    await bareGet();
    await bareTransact();
    await pairOnce();
  }
  const ROUND = 30;
  const latencyStart = nowMs();
  let latencyCut = false;
  for (let done = 0; done < N; done += ROUND) {
    if (nowMs() - latencyStart > LATENCY_BUDGET_MS) {
      latencyCut = true;
      break;
    }
    const n = Math.min(ROUND, N - done);
    for (let i = 0; i < n; i++) series.authorize.push(await timeIt(checkAuth));
    for (let i = 0; i < n; i++) series.inProcess.push(await timeIt(inProcess));
    for (let i = 0; i < n; i++) series.get.push(await timeIt(bareGet));
    for (let i = 0; i < n; i++) series.transact.push(await timeIt(bareTransact));
    for (let i = 0; i < n; i++) {
      const [a, r] = await pairOnce();
      series.pairAuthorize.push(a);
      series.pairRecord.push(r);
      series.pair.push(a + r);
    }
  }
  const authP50 = median(series.authorize);
  const authP99 = pct(series.authorize, 99);
  const getP50 = median(series.get);
  const twP50 = median(series.transact);
  const latencyRatio = authP50 / (getP50 + twP50);
  log(`authorize p50 ${f2(authP50)} ms, GetItem p50 ${f2(getP50)} ms, TransactWriteItems p50 ${f2(twP50)} ms → ratio ${f2(latencyRatio)}`);

  // --- 1b. the model gateway: a chat completion through onramp vs straight to the upstream
  const modelBench = await benchModelGateway({ deps, meter, base, masterKey: MASTER_KEY, samples: int('BENCH_MODEL_N', 100), warmup: 10, log, stops });

  // --- 2. round trips per route (sequential requests, counter reset per request)
  log('round trips per route');
  const counted = async (fn: () => Promise<Reply>) => {
    counter.commands = [];
    const { result: r, units } = await meter.measure(fn);
    return { status: r.status, commands: [...counter.commands], units };
  };
  const REPEAT = 3;
  /** `units`: what the last of the calls consumed (ReturnConsumedCapacity). */
  type RouteCount = { route: string; caller: string; counts: number[]; commands: string[]; statuses: number[]; units: Units; note?: string };
  const routes: RouteCount[] = [];
  const measureRoute = async (route: string, caller: string, fn: (i: number) => Promise<{ status: number; commands: string[]; units: Units }>, note?: string) => {
    let units = noUnits();
    const counts: number[] = [];
    const statuses: number[] = [];
    let commands: string[] = [];
    for (let i = 0; i < REPEAT; i++) {
      const r = await fn(i);
      counts.push(r.commands.length);
      statuses.push(r.status);
      commands = r.commands;
      units = r.units;
    }
    routes.push({ route, caller, counts, commands, statuses, units, note });
  };
  let userSeq = 0;
  await measureRoute('POST /spend/authorize', 'virtual key', () => counted(() => authorize()));
  await measureRoute('POST /spend/record', 'virtual key', async () => {
    const id = `rt-${++seq}`;
    expectOk(await authorize(id), '/spend/authorize');
    return counted(() => record(id));
  });
  await measureRoute('POST /spend/record (same request_id again)', 'virtual key', async () => {
    const id = `rt-dup-${seq}`;
    if ((await deps.table.get<{ type: string }>(keys.request(id)))?.type !== 'spend_record') {
      expectOk(await authorize(id), '/spend/authorize');
      expectOk(await record(id), '/spend/record');
    }
    return counted(() => record(id));
  }, 'idempotent replay');
  await measureRoute('POST /key/generate', 'master key', () => counted(() => call('POST', '/key/generate', MASTER_KEY, { team_id: teamId, user_id: userId, max_budget: 1 })), 'team key for a member');
  await measureRoute('GET /key/info', 'master key', () => counted(() => call('GET', `/key/info?key=${tokenHash}`, MASTER_KEY)));
  await measureRoute('GET /key/info', 'virtual key', () => counted(() => call('GET', '/key/info', secret)), 'its own key');
  await measureRoute('GET /user/info', 'master key', () => counted(() => call('GET', `/user/info?user_id=${userId}`, MASTER_KEY)));
  await measureRoute('GET /user/info', 'virtual key', () => counted(() => call('GET', '/user/info', secret)), 'its own user');
  await measureRoute('GET /team/info', 'master key', () => counted(() => call('GET', `/team/info?team_id=${teamId}`, MASTER_KEY)));
  await measureRoute('GET /team/info', 'virtual key', () => counted(() => call('GET', `/team/info?team_id=${teamId}`, secret)), 'a member');
  await measureRoute('POST /user/new', 'master key', () =>
    counted(() => call('POST', '/user/new', MASTER_KEY, { user_email: `rt-${++userSeq}@example.com`, user_role: 'internal_user' })),
    'default auto_create_key: true (creates a personal key too)',
  );
  await measureRoute('POST /user/new', 'master key', () =>
    counted(() => call('POST', '/user/new', MASTER_KEY, { user_email: `rt-nokey-${++userSeq}@example.com`, user_role: 'internal_user', auto_create_key: false })),
    'auto_create_key: false',
  );
  for (const [route, units, note] of [
    ['POST /v1/chat/completions', modelBench.perCall, 'a model call, not streamed (model gateway section): model lookup, authorize, settle'],
    ['POST /v1/chat/completions (stream)', modelBench.perStream, 'a streamed model call'],
  ] as const) {
    routes.push({ route, caller: 'virtual key', counts: [units.calls.length], commands: [...units.calls], statuses: [200], units, note });
  }
  const authRoute = routes.find((r) => r.route === 'POST /spend/authorize')!;
  const recordRoute = routes.find((r) => r.route === 'POST /spend/record')!;

  // --- 2b. the floor of authorize + record: the writes the hard cap needs, computed from item sizes
  const floorId = `floor-${++seq}`;
  expectOk(await authorize(floorId), '/spend/authorize');
  const reservationItem = await deps.table.get<Record<string, unknown>>(keys.request(floorId));
  expectOk(await record(floorId), '/spend/record');
  const recordItem = await deps.table.get<Record<string, unknown>>(keys.request(floorId));
  const budgetItems = await Promise.all(scopeKeys.map((k) => deps.table.get<Record<string, unknown>>(k)));
  if (!reservationItem || !recordItem || budgetItems.some((i) => !i)) throw new Error('could not read the items the floor is computed from');
  const budgetSizes = budgetItems.map((i) => itemSize(i!));
  const reserveFloor = budgetSizes.reduce((sum, b) => sum + writeUnits(b, true), 0) + writeUnits(itemSize(reservationItem), true);
  const settleFloor = budgetSizes.reduce((sum, b) => sum + writeUnits(b, true), 0) + writeUnits(itemSize(recordItem), true);
  const readFloor = readUnits(itemSize(budgetItems[0]!)) + readUnits(itemSize(reservationItem));
  const pairUnits: Units = { ...noUnits() };
  for (const u of [authRoute.units, recordRoute.units]) {
    for (const f of ['read', 'write', 'tableRead', 'tableWrite', 'indexRead', 'indexWrite'] as const) pairUnits[f] += u[f];
    pairUnits.unreported.push(...u.unreported);
  }
  const pairFloor = reserveFloor + settleFloor;
  const authTrips = Math.max(...authRoute.counts);

  // --- 3. reset of N due budgets vs a bare BatchWrite of the same items
  log(`reset: ${RESET_ITEMS} due budgets, ${RESET_REPS} rep(s)`);
  const due = new Date(Date.now() - 36 * 3_600_000).toISOString();
  const resetItems = Array.from({ length: RESET_ITEMS }, (_, i) => {
    const k = keys.key(`benchreset${String(i).padStart(6, '0')}`);
    return {
      ...k,
      ...indexKeys.budgetReset(due, k.PK, k.SK),
      type: 'key',
      token: k.PK.slice(4),
      key_name: `sk-...${String(i).padStart(4, '0').slice(-4)}`,
      key_alias: null,
      user_id: null,
      team_id: null,
      models: [],
      max_budget: 10,
      soft_budget: null,
      ...initialBudgetState(10),
      // some settled spend, so the reset has something to zero
      spend: 1.25,
      used: 1.25,
      budget_remaining: 8.75,
      budget_duration: '1d',
      budget_reset_at: due,
      expires: null,
      blocked: false,
      metadata: {},
      tpm_limit: null,
      rpm_limit: null,
      created_at: due,
      updated_at: due,
      created_by: 'bench',
      updated_by: 'bench',
    };
  });
  const batches: Array<typeof resetItems> = [];
  for (let i = 0; i < resetItems.length; i += 25) batches.push(resetItems.slice(i, i + 25));
  const batchWrite = async (batch: typeof resetItems) => {
    let request: Record<string, any> | undefined = { [TABLE]: batch.map((Item) => ({ PutRequest: { Item } })) };
    for (let attempt = 0; request && Object.keys(request).length > 0; attempt++) {
      if (attempt >= 10) throw new Error('BatchWriteItem left items unprocessed after 10 attempts');
      const out: BatchWriteCommandOutput = await deps.table.doc.send(new BatchWriteCommand({ RequestItems: request }));
      request = out.UnprocessedItems;
    }
  };
  // The bare writes: 10 BatchWriteItem calls in flight, 25 items each (BatchWriteItem's maximum), as
  // before; the reset now sends one UpdateItem per item, 32 in flight (RESET_CONCURRENCY).
  const RESET_IN_FLIGHT = 10;
  const bareAll = (inFlight: number) => pool(batches.map((b) => () => batchWrite(b)), inFlight);
  /** Like the reset: waves of 1000 items, all of a wave in flight at once (40 × 25). */
  const bareWaves = async () => {
    for (let i = 0; i < batches.length; i += 40) await Promise.all(batches.slice(i, i + 40).map(batchWrite));
  };
  /**
   * Reference, not a target: the reset's own updates (resetOp: same expression, condition and
   * ALL_OLD) sent as bare TransactWriteItems of 100, 10 in flight, without reading the index.
   * Separates what the reset adds (queries, page barriers) from what transactions cost.
   */
  const resetUpdate = (item: (typeof resetItems)[number], now: Date) => {
    const op = resetOp(item as DueBudget, now) as Extract<TransactOp, { update: ItemKey }>;
    const { names, values, condition } = op.change;
    return {
      TableName: TABLE,
      Key: op.update,
      UpdateExpression: op.change.expression,
      ConditionExpression: condition!.expression,
      ExpressionAttributeNames: { ...names, ...condition!.names },
      ExpressionAttributeValues: { ...values, ...condition!.values },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
  };
  const bareTransacts = async () => {
    const now = new Date();
    const chunks: Array<typeof resetItems> = [];
    for (let i = 0; i < resetItems.length; i += 100) chunks.push(resetItems.slice(i, i + 100));
    await pool(
      chunks.map((chunk) => () => deps.table.doc.send(new TransactWriteCommand({ TransactItems: chunk.map((item) => ({ Update: resetUpdate(item, now) })) }))),
      RESET_IN_FLIGHT,
    );
  };
  /** Reference, not a target: the same conditional updates as single UpdateItem calls, 40 in flight. */
  const UPDATE_IN_FLIGHT = 40;
  const bareUpdates = async () => {
    const now = new Date();
    await pool(
      resetItems.map((item) => () => deps.table.doc.send(new UpdateCommand(resetUpdate(item, now)))),
      UPDATE_IN_FLIGHT,
    );
  };
  const seedStart = nowMs();
  await bareAll(RESET_IN_FLIGHT); // seeding (untimed for the figure; also warms the path)
  log(`seeded in ${f1((nowMs() - seedStart) / 1000)} s`);
  /** One timed phase of the comparison: wall times, DynamoDB calls and server CPU, one entry per rep. */
  type Phase = { times: number[]; calls: string[]; cpu: number[]; units: Units[] };
  const newPhase = (): Phase => ({ times: [], calls: [], cpu: [], units: [] });
  const phases = { reset: newPhase(), bare: newPhase(), transact: newPhase(), wave: newPhase(), update: newPhase() };
  const timed = async <T>(phase: Phase, run: () => Promise<T>): Promise<T> => {
    counter.durations = [];
    const cpuStart = serverCpuSeconds(dynamo.process.pid);
    const t = nowMs();
    const { result, units } = await meter.measure(run);
    phase.times.push(nowMs() - t);
    phase.units.push(units);
    const cpuEnd = serverCpuSeconds(dynamo.process.pid);
    if (cpuStart !== null && cpuEnd !== null) phase.cpu.push(cpuEnd - cpuStart);
    phase.calls.push(timeBreakdown(counter.durations));
    return result;
  };
  const { times: resetTimes, calls: resetCalls } = phases.reset;
  const { times: bareTimes, calls: bareCalls } = phases.bare;
  const { times: transactTimes, calls: transactCalls } = phases.transact;
  const { times: updateTimes, calls: updateCalls } = phases.update;
  const waveTimes = phases.wave.times;
  const summaries: string[] = [];
  for (let rep = 0; rep < RESET_REPS; rep++) {
    const summary = await timed(phases.reset, () => deps.budgetReset.run());
    summaries.push(`${summary.reset.key} keys reset in ${summary.pages} pages (skipped ${summary.skipped}, failed ${summary.failed})`);
    if (summary.reset.key !== RESET_ITEMS) throw new Error(`the reset reset ${summary.reset.key} of ${RESET_ITEMS} due budgets`);
    // The bare writes put the items back as they were (due again), ready for the next rep.
    await timed(phases.bare, () => bareAll(RESET_IN_FLIGHT));
    // Items are due again: the reset's updates as bare transactions (reference), then the
    // wave-shaped bare BatchWrite, which puts them back due for the next rep.
    await timed(phases.transact, () => bareTransacts());
    await timed(phases.wave, () => bareWaves());
    // Due again: the same updates as single conditional UpdateItem calls (reference), then put back due (untimed).
    await timed(phases.update, () => bareUpdates());
    log(
      `rep ${rep + 1}: reset ${f1(resetTimes[rep]! / 1000)} s, bare BatchWrite (10 in flight) ${f1(bareTimes[rep]! / 1000)} s, ` +
        `bare TransactWrite of the reset's updates ${f1(transactTimes[rep]! / 1000)} s, bare BatchWrite (waves of 40) ${f1(waveTimes[rep]! / 1000)} s, ` +
        `bare UpdateItem (${UPDATE_IN_FLIGHT} in flight) ${f1(updateTimes[rep]! / 1000)} s`,
    );
    await bareAll(RESET_IN_FLIGHT);
  }
  const resetMs = median(resetTimes);
  const bareMs = median(bareTimes);
  const waveMs = median(waveTimes);
  const transactMs = median(transactTimes);
  const updateMs = median(updateTimes);
  const resetRatio = resetMs / bareMs;
  // Capacity units per item, medians over the reps (the same items each time).
  const perItem = (phase: Phase, f: 'read' | 'write' | 'tableWrite' | 'indexWrite') => median(phase.units.map((u) => u[f])) / RESET_ITEMS;
  const resetWrite = perItem(phases.reset, 'write');
  const bareWrite = perItem(phases.bare, 'write');
  const resetUnitRatio = resetWrite / bareWrite;
  const computedItemUnits = writeUnits(itemSize(resetItems[0]!));
  const unreportedIn = (phase: Phase) => phase.units.reduce((n, u) => n + u.unreported.length, 0);

  // --- 4. bundles
  log('bundles');
  const outDir = mkdtempSync(join(os.tmpdir(), 'onramp-bench-'));
  stops.push({ name: 'bundle dir', stop: async () => rmSync(outDir, { recursive: true, force: true }) });
  const apiBundle = await bundle('functions/api/index.ts', outDir, [...API_UNBUNDLED.shippedBeside, ...API_UNBUNDLED.runtimeProvided]);
  const resetBundle = await bundle('functions/budget-reset/index.ts', outDir);

  // --- 5. cold init of the API bundle
  log(`cold init: ${COLD_RUNS} runs without and with --enable-source-maps`);
  const cold: Record<'plain' | 'maps', ColdSample[]> = { plain: [], maps: [] };
  if (apiBundle.file) {
    await coldRun(apiBundle.file, dynamo.endpoint, false); // warms the OS file cache, not counted
    for (let i = 0; i < COLD_RUNS; i++) {
      cold.plain.push(await coldRun(apiBundle.file, dynamo.endpoint, false));
      cold.maps.push(await coldRun(apiBundle.file, dynamo.endpoint, true));
    }
  }
  const coldMed = (which: 'plain' | 'maps', f: (s: ColdSample) => number) => median(cold[which].map(f));

  // --- the report
  const cpus = os.cpus();
  const totalS = (nowMs() - started) / 1000;
  const lines: string[] = [];
  const p = (s = '') => lines.push(s);
  p(`# onramp benchmark — ${runDate.toISOString()}`);
  p();
  p(`Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}; Node ${process.version}; DynamoDB Local (in memory) and the app on 127.0.0.1, same process for app and bare calls. Run took ${f1(totalS)} s.`);
  p();
  p('| Figure | Value | Target | Result |');
  p('|---|---|---|---|');
  p(`| authorize over HTTP, p50 / p99 (n=${series.authorize.length}) | ${f2(authP50)} / ${f2(authP99)} ms | — | |`);
  p(`| (reference) the same authorize in-process via app.request, no socket, p50 / p99 (n=${series.inProcess.length}) | ${f2(median(series.inProcess))} / ${f2(pct(series.inProcess, 99))} ms | — | |`);
  p(`| bare GetItem of the key, p50 / p99 (n=${series.get.length}) | ${f2(getP50)} / ${f2(pct(series.get, 99))} ms | — | |`);
  p(`| bare TransactWriteItems (${shape}), p50 / p99 (n=${series.transact.length}) | ${f2(twP50)} / ${f2(pct(series.transact, 99))} ms | — | |`);
  p(`| (reference, wall clock) authorize p50 / (GetItem p50 + TransactWriteItems p50) | ${f2(latencyRatio)} | ≤ 1.5 | ${verdict(latencyRatio <= 1.5)} |`);
  p(`| authorize + record pair over HTTP, p50 / p99 (n=${series.pair.length}) | ${f2(median(series.pair))} / ${f2(pct(series.pair, 99))} ms (record alone p50 ${f2(median(series.pairRecord))} ms) | — | |`);
  p(`| **authorize DynamoDB round trips** (counted) | **${authTrips}** (${breakdown(authRoute.commands)}) | ≤ 2 | ${verdict(authTrips <= 2)} |`);
  p(`| **authorize + record: table write units / the hard cap's floor** (measured / computed) | **${f2(pairUnits.tableWrite)} / ${pairFloor} = ${f2(pairUnits.tableWrite / pairFloor)}** | ≤ 1.0 | ${verdict(pairUnits.tableWrite <= pairFloor + 1e-9)} |`);
  p(`| authorize + record: all units (measured) | ${f2(pairUnits.read)} read + ${f2(pairUnits.write)} write (of which index copies ${f2(pairUnits.indexWrite)} W) | — | |`);
  p(`| **reset write units per item / bare BatchWrite's** (measured) | **${f2(resetWrite)} / ${f2(bareWrite)} = ${f2(resetUnitRatio)}** | ≤ 1.0 | ${verdict(resetUnitRatio <= 1 + 1e-9)} |`);
  p(`| (reference, wall clock) reset of ${RESET_ITEMS.toLocaleString('en')} due budgets (BudgetReset.run), median of ${resetTimes.length} | ${f2(resetMs / 1000)} s | — | |`);
  p(`| bare BatchWriteItem of the same items (25 per call, ${RESET_IN_FLIGHT} in flight), median of ${bareTimes.length} | ${f2(bareMs / 1000)} s | — | |`);
  p(`| (reference, wall clock) reset / bare BatchWrite | ${f2(resetRatio)} | ≤ 1.5 | ${verdict(resetRatio <= 1.5)} |`);
  p(`| (alt.) bare BatchWriteItem in waves of 1000 items (40 calls in flight) | ${f2(waveMs / 1000)} s → reset / bare ${f2(resetMs / waveMs)} | — | |`);
  p(`| (reference) bare TransactWriteItems of the reset's own updates (100 per call, 10 in flight, no index reads) | ${f2(transactMs / 1000)} s → reset / this ${f2(resetMs / transactMs)}; this / bare BatchWrite ${f2(transactMs / bareMs)} | — | |`);
  p(`| (reference) the same conditional updates as single UpdateItem calls (${UPDATE_IN_FLIGHT} in flight, no index reads) | ${f2(updateMs / 1000)} s → this / bare BatchWrite ${f2(updateMs / bareMs)} | — | |`);
  if (phases.bare.cpu.length && phases.transact.cpu.length) {
    const [resetCpu, bareCpu, transactCpu, updateCpu] = (['reset', 'bare', 'transact', 'update'] as const).map((k) => median(phases[k].cpu));
    p(`| (reference) DynamoDB Local CPU: reset / bare TransactWrite / bare UpdateItem / bare BatchWrite | ${f2(resetCpu!)} / ${f2(transactCpu!)} / ${f2(updateCpu!)} / ${f2(bareCpu!)} s → a conditional update costs the server ${f2(transactCpu! / bareCpu!)}× a batched put | — | |`);
  }
  p(`| **API bundle** (functions/api, minified; @aws-sdk/*, @smithy/* and the price database outside it, as deployed) | **${apiBundle.kb === null ? 'n/a' : `${f1(apiBundle.kb)} KB`}**${apiBundle.mapKb ? ` (+ ${f1(apiBundle.mapKb)} KB source map)` : ''} | ≤ 400 KB | ${verdict(apiBundle.kb === null ? null : apiBundle.kb <= 400)} |`);
  p(`| reset bundle (functions/budget-reset) | ${resetBundle.kb === null ? `n/a (${resetBundle.note})` : `${f1(resetBundle.kb)} KB`} | — | |`);
  if (cold.plain.length) {
    p(`| cold init of the API bundle: require, median of ${cold.plain.length} | ${f1(coldMed('plain', (s) => s.require))} ms (with --enable-source-maps ${f1(coldMed('maps', (s) => s.require))} ms) | — | |`);
    p(`| cold init: require + first request handled (/health/liveliness) | ${f1(coldMed('plain', (s) => s.require + s.first))} ms (with source maps ${f1(coldMed('maps', (s) => s.require + s.first))} ms) | — | |`);
    p(`| cold: first DynamoDB request (/health/readiness, DescribeTable) after that / a warm one | ${f1(coldMed('plain', (s) => s.firstDb))} / ${f1(coldMed('plain', (s) => s.warmDb))} ms | — | |`);
    p(`| cold: whole \`node\` process, spawn to exit | ${f1(coldMed('plain', (s) => s.wall))} ms (with source maps ${f1(coldMed('maps', (s) => s.wall))} ms) | — | |`);
  } else {
    p('| cold init of the API bundle | n/a (no bundle) | — | |');
  }
  p();
  p('## DynamoDB round trips per route');
  p();
  p(`Counted by an SDK middleware on the app's DynamoDB client (deserialize step: once per HTTP attempt, retries included), reset before each request; each route called ${REPEAT} times in a row, sequentially.`);
  p();
  p('Read and write units of the last call, measured with ReturnConsumedCapacity INDEXES (table + index copies; "idx" is the part written to the indexes).');
  p();
  p('| Route | Caller | Round trips | Commands (last call) | Read units | Write units (idx) | HTTP status | Note |');
  p('|---|---|---|---|---|---|---|---|');
  for (const r of routes) {
    const min = Math.min(...r.counts);
    const max = Math.max(...r.counts);
    const u = r.units;
    const unreported = u.unreported.length ? ` (${u.unreported.length} call(s) reported nothing: ${u.unreported.join(', ')})` : '';
    p(`| ${r.route} | ${r.caller} | ${min === max ? min : `${min}–${max} (${r.counts.join(', ')})`} | ${breakdown(r.commands)} | ${f2(u.read)} | ${f2(u.write)} (${f2(u.indexWrite)})${unreported} | ${[...new Set(r.statuses)].join(', ')} | ${r.note ?? ''} |`);
  }
  p();
  p('## DynamoDB capacity units: authorize + record against the floor');
  p();
  const sizes = budgetSizes.map((b, i) => `${['key', 'member', 'team', 'user'][i]} ${b} B`).join(', ');
  p(`The hard cap needs, per request on a key with ${scopeKeys.length} budgets (key, membership, team, user), one transaction at authorize that lowers every budget under its condition and writes one item for the request (so it settles or is released exactly once), and one at record that settles every budget and writes the request's item again as its spend record (the exactly-once guard of a request id). A transaction writes each item at 2 units per KB started. Item sizes by DynamoDB's rules (computed): ${sizes}, reservation ${itemSize(reservationItem)} B, spend record ${itemSize(recordItem)} B. Floor: authorize ${reserveFloor} + record ${settleFloor} = **${pairFloor} table write units**; reads: the key at authorize and the request's item at record, ${readFloor} read units.`);
  p();
  p('| | read units | table write units | index write units | total |');
  p('|---|---|---|---|---|');
  p(`| authorize (measured) | ${f2(authRoute.units.read)} | ${f2(authRoute.units.tableWrite)} | ${f2(authRoute.units.indexWrite)} | ${f2(authRoute.units.read + authRoute.units.write)} |`);
  p(`| record (measured) | ${f2(recordRoute.units.read)} | ${f2(recordRoute.units.tableWrite)} | ${f2(recordRoute.units.indexWrite)} | ${f2(recordRoute.units.read + recordRoute.units.write)} |`);
  p(`| **authorize + record (measured)** | **${f2(pairUnits.read)}** | **${f2(pairUnits.tableWrite)}** | **${f2(pairUnits.indexWrite)}** | **${f2(pairUnits.read + pairUnits.write)}** |`);
  p(`| floor (computed) | ${readFloor} | ${pairFloor} | 0 | ${readFloor + pairFloor} |`);
  p();
  p(`- One item per request (shared/db/keys.ts \`keys.request\`): authorize writes it as the reservation only if the request id was never used, and record replaces it with the spend record only while it is still that open reservation, so neither step pays for a second item (a ConditionCheck or a Delete). A replace is billed by the larger of the two versions (${writeUnits(itemSize(reservationItem), true)} and ${writeUnits(itemSize(recordItem), true)} units here).`);
  p(`- Items over 1 KB cost 2 units per write (4 in a transaction): the key item is ${budgetSizes[0]} B.`);
  p(`- Reads above the floor: record's budget-alert check reads the charged budgets after the commit (one BatchGetItem, 1 unit per budget): alerts need the spend as committed, not the hard cap.`);
  p(`- Index writes: every index is projected ALL, so each change to a budget's counters rewrites the item's copy in every index it is in (a team key is in four). They are not needed by the hard cap; an index that projected only its keys (or the attributes its queries read) would not be rewritten when counters move.`);
  p(`- Before this change /spend/record made 4 round trips and read 11 units (BatchGetItem of key, reservation and record: 3; the live scopes: 4; the alert check: 4); it now reads the reservation alone (1) and resolves live scopes only after a scope moved.`);
  p();
  p('## DynamoDB capacity units: the reset');
  p();
  p(`Per due budget, medians over ${phases.reset.units.length} rep(s) of ${RESET_ITEMS.toLocaleString('en')} items (measured with ReturnConsumedCapacity INDEXES; each item is ${itemSize(resetItems[0]!)} B, so ${computedItemUnits} unit per plain write, computed):`);
  p();
  p('| | write units per item | of which table | of which index | read units per item |');
  p('|---|---|---|---|---|');
  for (const [label, phase] of [
    ['**reset** (BudgetReset.run: one conditional UpdateItem per item, index Query pages)', phases.reset],
    ['bare BatchWriteItem of the same items (the floor)', phases.bare],
    ['(reference) the same updates as single UpdateItem calls, no Query', phases.update],
  ] as const) {
    p(`| ${label} | ${f2(perItem(phase, 'write'))} | ${f2(perItem(phase, 'tableWrite'))} | ${f2(perItem(phase, 'indexWrite'))} | ${f2(perItem(phase, 'read'))} |`);
  }
  // DynamoDB Local answers a TransactWriteItems of many like-shaped updates with one item's units
  // (checked: 1, 10 or 100 updates all report 2), so this row is computed from the item size.
  const txTable = writeUnits(itemSize(resetItems[0]!), true);
  const txIndex = 2 * perItem(phases.update, 'indexWrite');
  p(`| (reference) the same updates in TransactWriteItems of 100 — **computed**: 2× the table write (DynamoDB's rule), index writes taken as 2× the single update's (DynamoDB Local doubles them in transactions); Local itself reported ${f2(perItem(phases.transact, 'write'))} | ${f2(txTable + txIndex)} | ${txTable} | ${f2(txIndex)} | 0.00 |`);
  p();
  p(`- Reset / bare BatchWrite, write units per item: **${f2(resetUnitRatio)}** (target ≤ 1.0). The index part is the item's move in the reset index (its sort key is the next reset time), which a put of the item pays too.`);
  const unreportedCalls = (['reset', 'bare', 'transact', 'update'] as const).reduce((n, k) => n + unreportedIn(phases[k]), 0);
  p(`- Calls that reported no consumed capacity: ${unreportedCalls}${unreportedCalls ? ' (not counted above: the figures undercount by those)' : ' (every figure above is measured)'}.`);
  p();
  p('## Bundles: biggest inputs (bytes in the minified output)');
  for (const b of [apiBundle, resetBundle]) {
    p();
    if (b.kb === null) {
      p(`${b.entry}: n/a (${b.note}).`);
      continue;
    }
    p(`${b.entry} — ${f1(b.kb)} KB:`);
    p();
    p('| Input (package or folder) | KB | Share |');
    p('|---|---|---|');
    for (const [name, bytes] of b.top) p(`| ${name} | ${f1(bytes / 1024)} | ${f1((100 * bytes) / 1024 / b.kb)} % |`);
    p();
    p(`Finer: ${b.detail.map(([name, bytes]) => `${name} ${f1(bytes / 1024)} KB`).join(', ')}.`);
  }
  p();
  p('## Where the reset time goes');
  p();
  p('DynamoDB calls made during each timed run (latencies summed per command; calls in flight together overlap, so sums exceed wall time):');
  p();
  for (let i = 0; i < resetCalls.length; i++) {
    p(`- rep ${i + 1}, reset (${f2(resetTimes[i]! / 1000)} s wall): ${resetCalls[i]}`);
    p(`- rep ${i + 1}, bare BatchWrite (${f2(bareTimes[i]! / 1000)} s wall): ${bareCalls[i]}`);
    p(`- rep ${i + 1}, bare TransactWriteItems of the reset's own updates, 100 per call, 10 in flight, no index reads (${f2(transactTimes[i]! / 1000)} s wall): ${transactCalls[i]}`);
    p(`- rep ${i + 1}, the same updates as single UpdateItem calls, ${UPDATE_IN_FLIGHT} in flight (${f2(updateTimes[i]! / 1000)} s wall): ${updateCalls[i]}`);
  }
  p();
  for (const line of modelBench.lines) p(line);
  p('## How it was measured');
  p();
  p(`- Latency: after ${WARMUP} warm-up rounds, ${N} samples per series in rounds of ${ROUND}: ${ROUND} authorize over HTTP (keep-alive, one socket, sequential), ${ROUND} in-process authorize (app.request), then ${ROUND} bare GetItem, ${ROUND} bare TransactWriteItems, ${ROUND} authorize+record pairs — so any drift touches every series alike.${latencyCut ? ` **Cut short by the ${LATENCY_BUDGET_MS / 1000} s budget.**` : ''}`);
  p(`- The bare calls go through the app's own DynamoDBDocumentClient. GetItem: the key item, ConsistentRead like authorize. TransactWriteItems: the input authorize sent, captured by an SDK middleware and replayed verbatim (${shape}, same expressions, conditions and ReturnValuesOnConditionCheckFailure) on throwaway copies of the key, member, team and user items (same attributes and index entries, other partition keys) and a fresh reservation id.`);
  p(`- Authorize setup: a team (max_budget 1000, 30d), a member budget of 100, a user (max_budget 1000) and a team key (max_budget 100, 1d), created through the API with the master key; every authorize reserves $0.0001 (pairs record $0.00005).`);
  p(`- Reset: ${RESET_ITEMS.toLocaleString('en')} key-shaped items, budget_duration 1d, budget_reset_at 36 h ago, spend 1.25, in the GSI4 reset index, written with BatchWriteItem. BudgetReset.run() with its defaults: pages of 1000 due items read from the reset index (GSI4), each item reset by one conditional UpdateItem, 32 in flight, pages one after another. Bare: BatchWriteItem PutRequests of the same items, 25 per call, 10 calls in flight (a pool), which also puts them back due for the next rep; the alternative row keeps the reset's wave structure (1000 items per wave, 40 calls in flight, waves one after another). The reference rows send the reset's own conditional updates (resetOp) as bare TransactWriteItems of 100, 10 in flight, and as single UpdateItem calls, ${UPDATE_IN_FLIGHT} in flight, both without the index reads. Reps interleaved: reset, bare BatchWrite, bare TransactWrite, bare BatchWrite in waves, bare UpdateItem (then the items are put back due, untimed); ${RESET_REPS} rep(s); medians. ${summaries.join('; ')}.`);
  p(`- Bundles: esbuild ${require('esbuild/package.json').version} with infra/onramp-function.ts's options (bundle, minify, sourcemap, platform node, target node22, format cjs, charset utf8, external @aws-sdk/*); size of the .js file.`);
  p(`- Cold init: a fresh \`node\` per run (this machine's ${process.version}; Lambda runs Node 22) requires the bundle (@aws-sdk/* resolved from the repo's node_modules via NODE_PATH, as the Lambda runtime provides it), then invokes \`handler\` with an API Gateway v2 event for /health/liveliness (the module awaits secrets and config, then builds the app), then /health/readiness twice against the bench's DynamoDB Local. One untimed run first to warm the file cache; runs alternate without/with NODE_OPTIONS=--enable-source-maps (which the CDK sets).`);
  const report = lines.join('\n') + '\n';
  process.stdout.write(report);
  const resultsDir = join(REPO, 'bench', 'results');
  mkdirSync(resultsDir, { recursive: true });
  const outFile = join(resultsDir, 'latest.md');
  writeFileSync(outFile, report);
  log(`written to ${relative(process.cwd(), outFile) || outFile}`);
}

main()
  .then(async () => {
    await stopAll();
    process.exit(0);
  })
  .catch(async (err) => {
    console.error(err);
    await stopAll();
    process.exit(1);
  });
