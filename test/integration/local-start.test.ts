/**
 * `npm start` end to end: `npx tsx local/start.ts` brings up DynamoDB Local, the
 * local SES endpoint and the app, prints the master key, serves requests, and
 * Ctrl-C (SIGINT to its process group, as a terminal sends it) stops all of it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '../../local/ports';

const REPO = resolve(__dirname, '../..');
/** Variables that would point the stack somewhere else than the ports given here. */
const INHERITED_OUT = ['ONRAMP_MASTER_KEY', 'ONRAMP_JWT_SECRET', 'ONRAMP_TABLE_NAME', 'ONRAMP_DYNAMODB_ENDPOINT', 'ONRAMP_SES_ENDPOINT', 'PROXY_BASE_URL', 'PROXY_LOGOUT_URL', 'HOST'];

type Started = { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null>; ports: { app: number; dynamo: number; ses: number }; dataDir: string };

const started: Started[] = [];

async function startLocal(extraEnv: Record<string, string> = {}): Promise<Started> {
  const [app, dynamo, ses] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(join(tmpdir(), 'onramp-start-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of INHERITED_OUT) delete env[name];
  Object.assign(env, {
    PORT: String(app),
    ONRAMP_DATA_DIR: dataDir,
    ONRAMP_DYNAMODB_PORT: String(dynamo),
    ONRAMP_SES_PORT: String(ses),
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extraEnv,
  });
  // its own process group, so Ctrl-C can be sent the way a terminal sends it, and cleanup reaches every child
  const child = spawn('npx', ['tsx', 'local/start.ts'], { cwd: REPO, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const s = { child, stdout: () => out, stderr: () => err, exited, ports: { app, dynamo, ses }, dataDir };
  started.push(s);
  return s;
}

/** Resolves when `text` appears on stdout; rejects if the process exits first or the time runs out. */
function waitForOutput(s: Started, text: string, timeoutMs: number): Promise<void> {
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`no "${text}" within ${timeoutMs} ms.\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`)), timeoutMs);
    const check = () => {
      if (s.stdout().includes(text)) {
        clearTimeout(timer);
        s.child.stdout!.off('data', check);
        done();
      }
    };
    s.child.stdout!.on('data', check);
    void s.exited.then((code) => {
      clearTimeout(timer);
      if (!s.stdout().includes(text)) fail(new Error(`exited (${code}) before "${text}".\nstdout:\n${s.stdout()}\nstderr:\n${s.stderr()}`));
    });
    check();
  });
}

const groupAlive = (pid: number) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Waits until no process of the group is left (npx, tsx, node, DynamoDB Local's java). */
async function groupGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
  return true;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

afterAll(async () => {
  for (const s of started) {
    if (s.child.pid && groupAlive(s.child.pid)) {
      process.kill(-s.child.pid, 'SIGKILL');
      await groupGone(s.child.pid, 10_000);
    }
    rmSync(s.dataDir, { recursive: true, force: true });
  }
});

describe('npm start (local/start.ts)', () => {
  test('starts everything, serves the API with the printed master key, and stops on Ctrl-C', async () => {
    const s = await startLocal();
    await waitForOutput(s, 'onramp is running', 60_000);

    const masterKey = /master key\s+(\S+)/.exec(s.stdout())?.[1];
    expect(masterKey).toMatch(/^sk-.{16,}$/);
    expect(readFileSync(join(s.dataDir, 'master-key'), 'utf8').trim()).toBe(masterKey);
    expect(s.stdout()).toContain(`http://localhost:${s.ports.app}`);
    expect(s.stdout()).toContain(`http://127.0.0.1:${s.ports.dynamo}`);

    const base = `http://127.0.0.1:${s.ports.app}`;
    const ready = await fetch(`${base}/health/readiness`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'healthy', db: 'connected' });

    const created = await fetch(`${base}/user/new`, {
      method: 'POST',
      headers: { authorization: `Bearer ${masterKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_email: 'local-start@example.com' }),
    });
    expect(created.status).toBe(200);
    const user = (await created.json()) as { user_email: string; user_id: string; key: string };
    expect(user).toMatchObject({ user_email: 'local-start@example.com', user_id: expect.any(String), key: expect.stringMatching(/^sk-/) });

    // No provider configured: the local echo model answers a new key at once, and charges it.
    expect(s.stdout()).toContain('onramp-local-echo (a local echo model');
    const asKey = { authorization: `Bearer ${user.key}`, 'content-type': 'application/json' };
    expect(await (await fetch(`${base}/v1/models`, { headers: asKey })).json()).toMatchObject({ object: 'list', data: [{ id: 'onramp-local-echo' }] });
    const echoed = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: asKey, body: JSON.stringify({ model: 'onramp-local-echo', messages: [{ role: 'user', content: 'hello there' }] }) });
    expect(echoed.status).toBe(200);
    expect(((await echoed.json()) as any).choices[0].message.content).toBe('echo: hello there');
    expect(Number(echoed.headers.get('x-litellm-response-cost'))).toBeGreaterThan(0);

    const refused = await fetch(`${base}/user/list`, { headers: { authorization: 'Bearer sk-not-the-master-key-000000' } });
    expect(refused.status).toBe(401);

    expect(await canConnect(s.ports.dynamo)).toBe(true);
    process.kill(-s.child.pid!, 'SIGINT');
    await s.exited;
    expect(await groupGone(s.child.pid!, 20_000)).toBe(true);
    expect(s.stdout()).toContain('SIGINT: stopping onramp');
    expect(await canConnect(s.ports.dynamo)).toBe(false);
    expect(await canConnect(s.ports.app)).toBe(false);
  }, 90_000);

  test('a bad ONRAMP_MASTER_KEY stops the start with a non-zero exit naming the variable', async () => {
    const s = await startLocal({ ONRAMP_MASTER_KEY: 'bad' });
    const code = await s.exited;
    expect(code).not.toBe(0);
    expect(s.stderr()).toContain('ONRAMP_MASTER_KEY');
    expect(s.stdout()).not.toContain('onramp is running');
    // what it had started (DynamoDB Local) was stopped on the way out
    expect(await groupGone(s.child.pid!, 20_000)).toBe(true);
    expect(await canConnect(s.ports.dynamo)).toBe(false);
  }, 90_000);
});
