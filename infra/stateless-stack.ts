import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import type { Construct } from 'constructs';
import { OnrampFunction } from './onramp-function';

export interface OnrampStatelessStackProps extends StackProps {
  /** The single onramp table (from the stateful stack). */
  readonly table: ITable;
  /** Secret whose value signs login session tokens. */
  readonly jwtSecret: ISecret;
  /** Secret whose value is the proxy admin master key. */
  readonly masterKeySecret: ISecret;
  /** Verified SES identity; sending is granted on this identity only. */
  readonly emailIdentity: IEmailIdentity;
  /** The From address of invitation emails (the identity's email). */
  readonly senderEmail: string;
  /** Public origin used in emailed links (e.g. a custom domain); unset = the request's own origin. */
  readonly proxyBaseUrl?: string;
  /** Where logout redirects to, when set. */
  readonly proxyLogoutUrl?: string;
}

/**
 * The compute side: the API function behind an HTTP API (and, later, the
 * scheduled budget reset). Holds no data, so it can be replaced at will.
 */
export class OnrampStatelessStack extends Stack {
  readonly apiFunction: OnrampFunction;
  readonly httpApi: HttpApi;
  /** Settings every onramp function reads (see shared/config.ts). */
  readonly commonEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: OnrampStatelessStackProps) {
    super(scope, id, props);

    this.commonEnvironment = {
      ONRAMP_TABLE_NAME: props.table.tableName,
      ONRAMP_JWT_SECRET_ARN: props.jwtSecret.secretArn,
      ONRAMP_MASTER_KEY_SECRET_ARN: props.masterKeySecret.secretArn,
      ONRAMP_SES_SENDER: props.senderEmail,
      ...(props.proxyBaseUrl ? { PROXY_BASE_URL: props.proxyBaseUrl } : {}),
      ...(props.proxyLogoutUrl ? { PROXY_LOGOUT_URL: props.proxyLogoutUrl } : {}),
    };

    // ---- API -------------------------------------------------------------
    this.apiFunction = new OnrampFunction(this, 'ApiFunction', {
      entry: 'functions/api/index.ts',
      description: 'onramp API (Hono): users, teams, keys, invitations, login, spend, web pages',
      // HTTP API gives up after 30 s, so a longer Lambda timeout would only waste money.
      timeout: Duration.seconds(29),
      environment: this.commonEnvironment,
    });
    props.table.grantReadWriteData(this.apiFunction);
    props.jwtSecret.grantRead(this.apiFunction);
    props.masterKeySecret.grantRead(this.apiFunction);
    props.emailIdentity.grantSendEmail(this.apiFunction);

    const integration = new HttpLambdaIntegration('ApiIntegration', this.apiFunction);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'onramp: LiteLLM-compatible self-serve AI access',
    });
    // Hono does all the routing; the gateway forwards every path and method.
    this.httpApi.addRoutes({ path: '/', methods: [HttpMethod.ANY], integration });
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });

    // ---- Budget reset (to be added) ----------------------------------------
    // The `budget-reset` OnrampFunction (functions/budget-reset) and its EventBridge
    // schedules (1st of each month 00:00 UTC, plus shorter cadences) go here:
    // reuse `this.commonEnvironment`, grant it only the table (read/write data),
    // nothing else. Kept as a dedicated method so the constructor stays readable.
    this.addBudgetReset(props);

    // ---- Outputs -----------------------------------------------------------
    new CfnOutput(this, 'ApiUrl', {
      description: 'Base URL of the onramp API and web pages',
      value: this.httpApi.apiEndpoint,
    });
    new CfnOutput(this, 'JwtSecretName', {
      description: 'Secrets Manager secret holding the session signing key',
      value: props.jwtSecret.secretName,
    });
    new CfnOutput(this, 'MasterKeySecretName', {
      description: 'Secrets Manager secret holding the proxy admin master key',
      value: props.masterKeySecret.secretName,
    });
  }

  /** Placeholder for the budget-reset function and its schedules; intentionally empty for now. */
  private addBudgetReset(_props: OnrampStatelessStackProps): void {
    // BUDGET-RESET: add the function, its table grant and its EventBridge rules here.
  }
}
