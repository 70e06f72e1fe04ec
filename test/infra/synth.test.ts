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

  test('synthesizes both stacks and bundles the API, model gateway and budget-reset functions', () => {
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

    // Each function's code asset is the directory its template points at.
    const template = JSON.parse(readFileSync(path.join(outDir, 'OnrampStateless.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Metadata?: Record<string, string> }>;
    };
    const fns = Object.entries(template.Resources).filter(([, r]) => r.Type === 'AWS::Lambda::Function');
    expect(fns.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['ApiFunction', 'BudgetResetFunction', 'ModelsFunction']);
    const bundle = (prefix: string, beside: string[] = []) => {
      const [, fn] = fns.find(([id]) => id.startsWith(prefix))!;
      const assetPath = fn.Metadata?.['aws:asset:path'];
      expect(assetPath).toBeDefined();
      const assetDir = path.join(outDir, assetPath!);
      expect(readdirSync(assetDir).sort()).toEqual(['index.js', 'index.js.map', ...beside]);
      return { dir: assetDir, size: statSync(path.join(assetDir, 'index.js')).size, code: readFileSync(path.join(assetDir, 'index.js'), 'utf8') };
    };

    const api = bundle('ApiFunction', ['node_modules']);
    // A real bundle of Hono and the app, not an empty stub.
    expect(api.size).toBeGreaterThan(10_000);
    // The SDK stays external: the runtime provides it (and with it @smithy/*, needed only for Bedrock signing).
    expect(api.code).toMatch(/require\("@aws-sdk\//);
    expect(api.code).toMatch(/require\("@smithy\/signature-v4"\)/);
    // The price database is not parsed at cold start: it ships beside the bundle, complete, and loads from there.
    expect(api.code).not.toContain('input_mtok');
    expect(api.code).toMatch(/require\("@pydantic\/genai-prices"\)/);
    const shipped = path.join(api.dir, 'node_modules', '@pydantic', 'genai-prices');
    expect(readdirSync(shipped).sort()).toEqual(['LICENSE', 'dist', 'package.json']);
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const prices = require(shipped) as typeof import('@pydantic/genai-prices');
    expect(prices.calcPrice({ input_tokens: 1_000_000, output_tokens: 0 }, 'gpt-4o', { providerId: 'openai' })?.total_price).toBeGreaterThan(0);

    // The reset bundle: its own asset, the reset job inside, the SDK external, no web app in it.
    const reset = bundle('BudgetResetFunction');
    expect(reset.size).toBeGreaterThan(1_000);
    expect(reset.code).toMatch(/require\("@aws-sdk\//);
    expect(reset.code).toContain('BUDGET_RESET');
    expect(reset.code).not.toContain('hono');

    // The model gateway bundle: the streaming handler and the price database inside.
    const models = bundle('ModelsFunction');
    expect(models.code).toMatch(/require\("@aws-sdk\//);
    expect(models.code).toContain('/v1/chat/completions');
    expect(models.code).toContain('input_mtok');
  }, 180_000);
});
