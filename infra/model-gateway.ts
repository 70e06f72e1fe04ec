import { Aws, CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, type IGrantable } from 'aws-cdk-lib/aws-iam';
import { FunctionUrlAuthType, InvokeMode, type FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { OnrampFunction } from './onramp-function';

/**
 * Name prefix of the model credentials' secrets (one per model, written by the API
 * function's /model/* routes; see shared/models/credentials.ts). Both functions get it
 * as `ONRAMP_MODEL_SECRETS_PREFIX`, and their grants stop at it.
 */
export const MODEL_SECRETS_PREFIX = 'onramp/models/';

/** The ARN pattern of every model secret (Secrets Manager adds a random suffix to each name). */
export function modelSecretsArn(scope: Construct): string {
  const stack = Stack.of(scope);
  return `arn:${stack.partition}:secretsmanager:${stack.region}:${stack.account}:secret:${MODEL_SECRETS_PREFIX}*`;
}

/**
 * What the /model/* routes do to model secrets: create one, add a version, schedule its
 * deletion (with a recovery window), restore one deleted within it. No reading.
 */
export function grantModelSecretsWrite(grantee: IGrantable, scope: Construct): void {
  grantee.grantPrincipal.addToPrincipalPolicy(
    new PolicyStatement({
      sid: 'WriteModelCredentials',
      actions: ['secretsmanager:CreateSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:DeleteSecret', 'secretsmanager:RestoreSecret'],
      resources: [modelSecretsArn(scope)],
    }),
  );
}

export interface ModelGatewayProps {
  readonly table: ITable;
  readonly jwtSecret: ISecret;
  readonly masterKeySecret: ISecret;
  /** The settings every onramp function reads. */
  readonly environment: Record<string, string>;
  /**
   * Bedrock model ids the gateway may invoke (e.g. `openai.gpt-oss-120b-1:0`); the role
   * gets InvokeModel on exactly these foundation models, and nothing on Bedrock without them.
   * @default []
   */
  readonly bedrockModels?: readonly string[];
}

/**
 * The model routes on AWS: a function URL in RESPONSE_STREAM mode in front of the app,
 * so SSE reaches clients as it is generated (API Gateway HTTP APIs cannot stream, and
 * buffer 30 s at most). The URL has no IAM auth: like LiteLLM, the app authenticates
 * every call with the virtual key. Up to 15 minutes per call, for long generations.
 */
export class ModelGateway extends Construct {
  readonly fn: OnrampFunction;
  readonly url: FunctionUrl;

  constructor(scope: Construct, id: string, props: ModelGatewayProps) {
    super(scope, id);
    this.fn = new OnrampFunction(Stack.of(this), 'ModelsFunction', {
      entry: 'functions/models/index.ts',
      description: 'onramp model gateway (Hono, response streaming): /v1/chat/completions, /v1/embeddings, /v1/models, /v1/messages',
      timeout: Duration.minutes(15),
      environment: props.environment,
    });
    props.table.grantReadWriteData(this.fn);
    props.jwtSecret.grantRead(this.fn);
    props.masterKeySecret.grantRead(this.fn);
    // Calls read the model's credential; nothing else on model secrets.
    this.fn.addToRolePolicy(
      new PolicyStatement({ sid: 'ReadModelCredentials', actions: ['secretsmanager:GetSecretValue'], resources: [modelSecretsArn(this)] }),
    );
    const models = props.bedrockModels ?? [];
    if (models.length) {
      // Bedrock's OpenAI-compatible Chat Completions on bedrock-runtime (signed with this role) are
      // authorized as InvokeModel, streamed ones as InvokeModelWithResponseStream (AWS: "Making inference requests").
      this.fn.addToRolePolicy(
        new PolicyStatement({
          sid: 'InvokeConfiguredBedrockModels',
          actions: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
          resources: models.map((m) => `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${m}`),
        }),
      );
    }
    this.url = this.fn.addFunctionUrl({ authType: FunctionUrlAuthType.NONE, invokeMode: InvokeMode.RESPONSE_STREAM });
    new CfnOutput(Stack.of(this), 'ModelGatewayUrl', {
      description: 'Base URL for model calls (OpenAI SDK base_url = <this>v1, Claude Code ANTHROPIC_BASE_URL = <this>)',
      value: this.url.url,
    });
  }
}
