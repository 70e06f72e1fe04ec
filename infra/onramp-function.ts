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
        externalModules: ['@aws-sdk/*'],
      },
    });
  }
}
