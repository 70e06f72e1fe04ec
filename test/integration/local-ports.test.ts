/**
 * `npm start` never attaches to someone else's servers: a taken DynamoDB Local, SES or
 * API port stops it with a plain message naming the variable that moves it, before
 * anything is started. `npm run reset-budgets` finds DynamoDB Local on ONRAMP_DYNAMODB_PORT.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { ensureTable, localClient } from '../../local/dynamodb';
import { freePort } from '../../local/ports';

const REPO = resolve(__dirname, '../..');
const dataDirs: string[] = [];
const servers: Server[] = [];

type Run = { code: number | null; stdout: string; stderr: string };

/** Runs a local script with tsx to its end (its own process group, killed if it outlives the timeout). */
function runScript(script: string, env: Record<string, string>, timeoutMs = 60_000): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const name of ['ONRAMP_MASTER_KEY', 'ONRAMP_JWT_SECRET', 'ONRAMP_TABLE_NAME', 'ONRAMP_DYNAMODB_ENDPOINT', 'ONRAMP_SES_ENDPOINT', 'PROXY_BASE_URL', 'HOST', 'PORT']) delete childEnv[name];
  Object.assign(childEnv, env);
  const child = spawn('npx', ['tsx', script], { cwd: REPO, env: childEnv, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((done) => {
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      // an `npm start` that did start would still be running in the group: stop it
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* already gone */
      }
      done({ code, stdout, stderr });
    });
  });
}

/** `npm start` on the given ports, in a fresh data folder. */
function npmStart(ports: { app: number; dynamo: number; ses: number }, extra: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'onramp-ports-'));
  dataDirs.push(dataDir);
  return runScript('local/start.ts', {
    PORT: String(ports.app),
    ONRAMP_DYNAMODB_PORT: String(ports.dynamo),
    ONRAMP_SES_PORT: String(ports.ses),
    ONRAMP_DATA_DIR: dataDir,
    ...extra,
  });
}

/** Something else listening on a port (as another tool would). */
async function occupy(): Promise<number> {
  const server = createServer();
  servers.push(server);
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return (server.address() as { port: number }).port;
}

const testDynamoPort = () => Number(new URL(process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!).port);

afterAll(async () => {
  for (const s of servers) await new Promise((done) => s.close(done));
  for (const d of dataDirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start refuses taken ports', () => {
  test("a running DynamoDB Local on ONRAMP_DYNAMODB_PORT: refused, and that instance's data is not touched", async () => {
    const dynamo = testDynamoPort();
    const tableName = `onramp-ports-${randomUUID().slice(0, 8)}`;
    const run = await npmStart({ app: await freePort(), dynamo, ses: await freePort() }, { ONRAMP_TABLE_NAME: tableName });

    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('onramp is running');
    expect(run.stderr).toContain(`port ${dynamo} (DynamoDB Local) is already in use`);
    expect(run.stderr).toContain('ONRAMP_DYNAMODB_PORT=<free port> npm start');
    expect(run.stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    const { TableNames } = await localClient(process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!).send(new ListTablesCommand({}));
    expect(TableNames).not.toContain(tableName);
  }, 90_000);

  test('a taken SES port: refused before DynamoDB Local is started', async () => {
    const ses = await occupy();
    const dynamo = await freePort();
    const run = await npmStart({ app: await freePort(), dynamo, ses });

    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('onramp is running');
    expect(run.stderr).toContain(`port ${ses} (local SES) is already in use`);
    expect(run.stderr).toContain('ONRAMP_SES_PORT=<free port> npm start');
    // nothing was started on the way: DynamoDB Local's port was never bound
    const probe = createServer();
    await new Promise<void>((done, fail) => probe.once('error', fail).listen(dynamo, '127.0.0.1', done));
    await new Promise((done) => probe.close(done));
  }, 90_000);

  test('a taken API port: says so plainly, naming PORT', async () => {
    const app = await occupy();
    const run = await npmStart({ app, dynamo: await freePort(), ses: await freePort() });

    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('onramp is running');
    expect(run.stderr).toContain(`port ${app} (API) is already in use`);
    expect(run.stderr).toContain('PORT=<free port> npm start');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 90_000);

  test('a port that is not a number: refused, naming the variable', async () => {
    const run = await npmStart({ app: await freePort(), dynamo: await freePort(), ses: await freePort() }, { ONRAMP_SES_PORT: 'eight' });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toContain('ONRAMP_SES_PORT must be a port number (1-65535), got "eight"');
  }, 90_000);
});

describe('npm run reset-budgets', () => {
  test('reaches DynamoDB Local on ONRAMP_DYNAMODB_PORT', async () => {
    const tableName = `onramp-reset-${randomUUID().slice(0, 8)}`;
    await ensureTable(localClient(process.env.ONRAMP_TEST_DYNAMODB_ENDPOINT!), tableName);
    const run = await runScript('local/reset-budgets.ts', { ONRAMP_DYNAMODB_PORT: String(testDynamoPort()), ONRAMP_TABLE_NAME: tableName });

    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(run.stdout)).toMatchObject({ reset: expect.any(Object), released_reservations: 0 });
  }, 90_000);
});
