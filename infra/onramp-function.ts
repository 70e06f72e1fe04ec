import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Charset, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Repository root: where package-lock.json, tsconfig.json and the sources live. */
export const REPO_ROOT = path.resolve(__dirname, '..');

export interface OnrampFunctionProps {
  /** Entry file, relative to the repository root (e.g. `functions/api/index.ts`). */
  readonly entry: string;
  /** Exported handler name. @default 'handler' */
  readonly handler?: string;
  /** Human-readable description shown in the Lambda console. */
  readonly description?: string;
  /** @default 10 seconds */
  readonly timeout?: Duration;
  /** Extra environment variables; `NODE_OPTIONS` is always set to enable source maps. */
  readonly environment?: Record<string, string>;
  /**
   * Packages left out of the bundle and shipped beside it (`node_modules/<name>`: its
   * package.json, licence and CommonJS entry, which must need nothing else), so that
   * the function parses them only when code first requires them, not at cold start.
   */
  readonly shippedBeside?: readonly string[];
  /**
   * More packages the Lambda runtime provides besides `@aws-sdk/*` (its AWS SDK
   * brings `@smithy/*`); code must require them lazily, where they are used.
   */
  readonly runtimeProvided?: readonly string[];
}

/** The files of a self-contained package the function reads at run time: package.json, licence, CommonJS entry. */
export function packageFiles(name: string): string[] {
  const dir = path.join(REPO_ROOT, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { main?: string; exports?: { '.'?: { require?: { default?: string } } } };
  const entry = manifest.exports?.['.']?.require?.default ?? manifest.main;
  if (!entry) throw new Error(`${name} has no CommonJS entry to ship beside the bundle`);
  return ['package.json', 'LICENSE', entry].filter((f) => existsSync(path.join(dir, f))).map((f) => path.normalize(f));
}

/** Shell commands (run by the CDK after esbuild, locally) that copy those files into the asset. */
function shipCommands(names: readonly string[], inputDir: string, outputDir: string): string[] {
  return names.flatMap((name) =>
    packageFiles(name).flatMap((file) => {
      const to = path.join(outputDir, 'node_modules', name, file);
      return [`mkdir -p "${path.dirname(to)}"`, `cp "${path.join(inputDir, 'node_modules', name, file)}" "${to}"`];
    }),
  );
}

/**
 * A Lambda function built the one way onramp builds them: Node 22 on arm64,
 * bundled by the local esbuild (never Docker), with its own log group.
 */
export class OnrampFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: OnrampFunctionProps) {
    // Explicit log group (instead of the implicit one) so retention is ours to set.
    const logGroup = new LogGroup(scope, `${id}Logs`, { retention: RetentionDays.ONE_MONTH });
    super(scope, id, {
      entry: path.join(REPO_ROOT, props.entry),
      handler: props.handler ?? 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: props.timeout ?? Duration.seconds(10),
      logGroup,
      projectRoot: REPO_ROOT,
      depsLockFilePath: path.join(REPO_ROOT, 'package-lock.json'),
      environment: {
        ...props.environment,
        // Stack traces point at the TypeScript sources thanks to the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        minify: true,
        sourceMap: true,
        target: 'node22',
        format: OutputFormat.CJS,
        charset: Charset.UTF8,
        tsconfig: path.join(REPO_ROOT, 'tsconfig.json'),
        // The Node 22 runtime ships AWS SDK v3; bundling it would only add cold-start weight.
        externalModules: ['@aws-sdk/*', ...(props.runtimeProvided ?? []), ...(props.shippedBeside ?? [])],
        ...(props.shippedBeside?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => shipCommands(props.shippedBeside!, inputDir, outputDir),
              },
            }
          : {}),
      },
    });
  }
}
