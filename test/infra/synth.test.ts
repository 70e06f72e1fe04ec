import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/**
 * Runs the real `cdk synth` through the pinned CLI, offline, bundling with the
 * local esbuild exactly as `cdk deploy` would. Slow (seconds), hence its own file.
 */
const repoRoot = path.resolve(__dirname, '..', '..');
const cdkBin = path.join(repoRoot, 'node_modules', 'aws-cdk', 'bin', 'cdk');

describe('cdk synth', () => {
  let outDir: string;

  beforeAll(() => {
    outDir = mkdtempSync(path.join(tmpdir(), 'onramp-synth-'));
  });
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  test('synthesizes both stacks and bundles the API function', () => {
    const run = spawnSync(process.execPath, [cdkBin, 'synth', '--quiet', '-o', outDir], {
      cwd: repoRoot,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    if (run.status !== 0) {
      throw new Error(`cdk synth exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
    }

    for (const stack of ['OnrampStateful', 'OnrampStateless']) {
      expect(existsSync(path.join(outDir, `${stack}.template.json`))).toBe(true);
    }

    // The API function's code asset is the directory its template points at.
    const template = JSON.parse(readFileSync(path.join(outDir, 'OnrampStateless.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const fns = Object.values(template.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(fns).toHaveLength(1);
    const assetPath = fns[0]!.Metadata?.['aws:asset:path'];
    expect(assetPath).toBeDefined();
    const assetDir = path.join(outDir, assetPath!);
    expect(readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map']);
    // A real bundle of Hono and the app, not an empty stub.
    expect(statSync(path.join(assetDir, 'index.js')).size).toBeGreaterThan(10_000);
    // The SDK stays external: the runtime provides it.
    expect(readFileSync(path.join(assetDir, 'index.js'), 'utf8')).toMatch(/require\("@aws-sdk\//);
  }, 180_000);
});
