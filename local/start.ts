/**
 * `npm start`: the whole of onramp on this machine, no AWS account needed.
 * DynamoDB Local (data under ONRAMP_DATA_DIR), the local SES endpoint, and the
 * same Hono app the Lambda runs, served on PORT. Ctrl-C stops everything.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serve } from '@hono/node-server';
import { runResetJob } from '../shared/spend/job';
import { ConfigError, loadConfig } from '../shared/config/config';
import { createApp } from '../shared/http/core/app';
import { randomToken } from '../shared/core/ids';
import { readModelsFile, seedLocalModels } from '../shared/models/config-file';
import { buildDeps } from '../shared/composition/services';
import { ensureTable, localClient, startDynamoDb } from './dynamodb';
import { assertPortFree, PortInUseError } from './ports';
import { startSes } from './ses';

const env = process.env;

/** A port from the environment; anything but a whole number 1–65535 stops the start, naming the variable. */
function portFrom(name: string, fallback: number): number {
  const text = env[name] || String(fallback);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < 1 || value > 65535) throw new ConfigError([`${name} must be a port number (1-65535), got "${text}".`]);
  return value;
}

/** Which variable moves each server of the local stack elsewhere, for the "port in use" message. */
const PORT_VARIABLE: Record<string, string> = { 'DynamoDB Local': 'ONRAMP_DYNAMODB_PORT', 'local SES': 'ONRAMP_SES_PORT', API: 'PORT' };

function portInUseMessage(err: PortInUseError): string {
  return [
    `onramp did not start: port ${err.port} (${err.what}) is already in use, probably by another \`npm start\`.`,
    `Stop that process, or choose another port: ${PORT_VARIABLE[err.what] ?? 'PORT'}=<free port> npm start`,
  ].join('\n');
}

const dataDir = resolve(env.ONRAMP_DATA_DIR ?? '.onramp-data');
/** How often the local budget reset runs (EventBridge's job on AWS); a minute unless ONRAMP_RESET_INTERVAL_SECONDS says otherwise. */
const resetEverySeconds = Number(env.ONRAMP_RESET_INTERVAL_SECONDS) > 0 ? Number(env.ONRAMP_RESET_INTERVAL_SECONDS) : 60;

/** A secret kept in the data folder, so restarts keep the same master key and sessions. */
function persistedSecret(file: string, make: () => string): string {
  const path = join(dataDir, file);
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return value;
}

async function main() {
  mkdirSync(dataDir, { recursive: true });
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log(`\n${signal}: stopping onramp…`);
      void stopAll().then(() => process.exit(0));
    });
  }

  try {
    const port = portFrom('PORT', 4000);
    const host = env.HOST ?? '127.0.0.1';
    const dynamoPort = portFrom('ONRAMP_DYNAMODB_PORT', 8000);
    const sesPort = portFrom('ONRAMP_SES_PORT', 8005);
    // Every port is checked before anything starts, so a refusal leaves nothing behind.
    await assertPortFree(port, 'API', host);
    if (!env.ONRAMP_DYNAMODB_ENDPOINT) await assertPortFree(dynamoPort, 'DynamoDB Local');
    if (!env.ONRAMP_SES_ENDPOINT) await assertPortFree(sesPort, 'local SES');

    let dynamoEndpoint = env.ONRAMP_DYNAMODB_ENDPOINT;
    if (!dynamoEndpoint) {
      const dynamo = await startDynamoDb({ port: dynamoPort, dataDir: join(dataDir, 'dynamodb') });
      stops.push(dynamo.stop);
      dynamoEndpoint = dynamo.endpoint;
    }
    let sesEndpoint = env.ONRAMP_SES_ENDPOINT;
    if (!sesEndpoint) {
      const ses = await startSes({ port: sesPort });
      stops.push(ses.stop);
      sesEndpoint = ses.endpoint;
    }
    const generatedMasterKey = !env.ONRAMP_MASTER_KEY;
    const config = loadConfig({
      ...env,
      ONRAMP_MASTER_KEY: env.ONRAMP_MASTER_KEY || persistedSecret('master-key', () => `sk-${randomToken(24)}`),
      ONRAMP_JWT_SECRET: env.ONRAMP_JWT_SECRET || persistedSecret('jwt-secret', () => randomToken(48)),
      ONRAMP_TABLE_NAME: env.ONRAMP_TABLE_NAME || 'onramp',
      ONRAMP_SES_SENDER: env.ONRAMP_SES_SENDER || 'onramp@example.com',
      PROXY_BASE_URL: env.PROXY_BASE_URL || `http://localhost:${port}`,
      ONRAMP_DYNAMODB_ENDPOINT: dynamoEndpoint,
      ONRAMP_SES_ENDPOINT: sesEndpoint,
    });
    const created = await ensureTable(localClient(dynamoEndpoint), config.tableName);
    const deps = buildDeps(config);
    // Models from ONRAMP_MODELS_FILE (or ./onramp.models.json); with none anywhere, the local echo model.
    const modelsFile = env.ONRAMP_MODELS_FILE || (existsSync('onramp.models.json') ? 'onramp.models.json' : undefined);
    const models = await seedLocalModels(deps.models, modelsFile ? readModelsFile(modelsFile) : []);
    const app = createApp(deps);
    const server = serve({ fetch: app.fetch, port, hostname: host });
    await new Promise<void>((done, fail) => {
      server.once('listening', done);
      server.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'EADDRINUSE' ? new PortInUseError(port, 'API') : err));
    });
    stops.push(() => new Promise<void>((done) => server.close(() => done())));
    stops.push(startResetTimer(deps, resetEverySeconds * 1000));

    console.log(`
onramp is running
  API            ${config.proxyBaseUrl}
  web pages      ${config.proxyBaseUrl}/ui   (sign in as "admin" with the master key)
  OpenAPI        ${config.proxyBaseUrl}/openapi.json
  sent email     ${sesEndpoint}   (local SES; JSON at ${sesEndpoint}/store)
  DynamoDB       ${dynamoEndpoint}   table "${config.tableName}"${created ? ' (created)' : ''}
  data folder    ${dataDir}
  master key     ${config.masterKey}${generatedMasterKey ? `   (generated, kept in ${join(dataDir, 'master-key')})` : ''}
  budget reset   every ${resetEverySeconds} s   (now: npm run reset-budgets, or POST /budget/reset)
  models         ${models.echo ? `${models.seeded[0]} (a local echo model: no provider is configured; see ONRAMP_MODELS_FILE)` : modelsFile ? `${models.seeded.join(', ')} (from ${modelsFile})` : 'as registered (GET /model/info)'}
  model routes   ${config.proxyBaseUrl}/v1/chat/completions, /v1/embeddings, /v1/models, /v1/messages   (Bearer <virtual key>)
Ctrl-C stops everything.`);
  } catch (err) {
    console.error(err instanceof ConfigError ? err.message : err instanceof PortInUseError ? portInUseMessage(err) : err);
    await stopAll();
    process.exit(1);
  }
}

/**
 * The scheduled budget reset, locally: at start (budgets that fell due while it was
 * stopped) and then every `everyMs` instead of EventBridge. A run never overlaps the
 * previous one; a summary is printed when something was reset or released; a failure
 * is printed and the server keeps going. Returns the stop function (waits for a run).
 */
function startResetTimer(deps: Parameters<typeof runResetJob>[0], everyMs: number): () => Promise<void> {
  let running: Promise<void> | undefined;
  const tick = () => {
    if (running) return;
    running = runResetJob(deps)
      .then((summary) => {
        const reset = Object.values(summary.reset).reduce((a, b) => a + b, 0);
        if (reset > 0 || summary.released_reservations > 0) console.log(`budget reset: ${JSON.stringify(summary)}`);
      })
      .catch((err: unknown) => console.error('budget reset failed (the next run retries):', err))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, everyMs);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

void main();
