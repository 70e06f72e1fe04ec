import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IEmailIdentity } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { IndexName } from '../shared/db/keys';
import type { SsoSettings } from './app';
import { grantModelSecretsWrite, MODEL_SECRETS_PREFIX, ModelGateway } from './model-gateway';
import { OnrampFunction } from './onramp-function';

/** The sparse index the reset reads due budgets (and expired reservations) from. */
const RESET_INDEX: IndexName = 'GSI4';

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
  /** Subscribed by email to the alarm topic, when set. */
  readonly alarmEmail?: string;
  /** SSO settings and the secret holding the client secret; the function reads the secret at cold start. */
  readonly sso?: SsoSettings & { readonly clientSecret: ISecret };
  /** Bedrock model ids the model gateway may invoke (least privilege: only these). */
  readonly bedrockModels?: readonly string[];
}

/**
 * The compute side: the API function behind an HTTP API, and the scheduled
 * budget reset. Holds no data, so it can be replaced at will.
 */
/** What the API function leaves out of its bundle (the bench measures the same bundle). */
export const API_UNBUNDLED = {
  // Most API requests price nothing (the models function, which prices every call, bundles it):
  // the price database (~470 KB) is read from beside the bundle on its first lookup.
  shippedBeside: ['@pydantic/genai-prices'],
  // Bedrock SigV4 signing, only for a model call sent to the HTTP API instead of the model gateway URL.
  runtimeProvided: ['@smithy/*'],
} as const;

export class OnrampStatelessStack extends Stack {
  readonly apiFunction: OnrampFunction;
  readonly httpApi: HttpApi;
  /** The scheduled budget reset (functions/budget-reset); set by `addBudgetReset`. */
  budgetResetFunction!: OnrampFunction;
  /** Fires when a reset run fails (the function's Errors metric ≥ 1). */
  budgetResetAlarm!: Alarm;
  /** Where the alarm is published (and, with `alarmEmail`, emailed). */
  alarmTopic!: Topic;
  /** The model routes, streaming (a function URL in RESPONSE_STREAM mode). */
  readonly modelGateway: ModelGateway;
  /** Settings every onramp function reads (see shared/config/config.ts). */
  readonly commonEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: OnrampStatelessStackProps) {
    super(scope, id, props);

    this.commonEnvironment = {
      ONRAMP_TABLE_NAME: props.table.tableName,
      ONRAMP_JWT_SECRET_ARN: props.jwtSecret.secretArn,
      ONRAMP_MASTER_KEY_SECRET_ARN: props.masterKeySecret.secretArn,
      ONRAMP_SES_SENDER: props.senderEmail,
      ONRAMP_MODEL_SECRETS_PREFIX: MODEL_SECRETS_PREFIX,
      ...(props.proxyBaseUrl ? { PROXY_BASE_URL: props.proxyBaseUrl } : {}),
      ...(props.proxyLogoutUrl ? { PROXY_LOGOUT_URL: props.proxyLogoutUrl } : {}),
    };
    const apiEnvironment = { ...this.commonEnvironment, ...(props.sso ? ssoEnvironment(props.sso) : {}) };

    // ---- API -------------------------------------------------------------
    this.apiFunction = new OnrampFunction(this, 'ApiFunction', {
      entry: 'functions/api/index.ts',
      description: 'onramp API (Hono): users, teams, keys, invitations, login, spend, web pages',
      // HTTP API gives up after 30 s, so a longer Lambda timeout would only waste money.
      timeout: Duration.seconds(29),
      environment: apiEnvironment,
      ...API_UNBUNDLED,
    });
    props.table.grantReadWriteData(this.apiFunction);
    props.jwtSecret.grantRead(this.apiFunction);
    props.masterKeySecret.grantRead(this.apiFunction);
    props.emailIdentity.grantSendEmail(this.apiFunction);
    props.sso?.clientSecret.grantRead(this.apiFunction);
    // /model/new, /model/update and /model/delete keep model credentials in Secrets Manager.
    grantModelSecretsWrite(this.apiFunction, this);

    const integration = new HttpLambdaIntegration('ApiIntegration', this.apiFunction);
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'onramp: LiteLLM-compatible self-serve AI access',
    });
    // Hono does all the routing; the gateway forwards every path and method.
    this.httpApi.addRoutes({ path: '/', methods: [HttpMethod.ANY], integration });
    this.httpApi.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration });

    // ---- Model gateway (streaming) -----------------------------------------
    this.modelGateway = new ModelGateway(this, 'ModelGateway', {
      table: props.table,
      jwtSecret: props.jwtSecret,
      masterKeySecret: props.masterKeySecret,
      environment: this.commonEnvironment,
      bedrockModels: props.bedrockModels,
    });

    // ---- Budget reset ------------------------------------------------------
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
    if (props.sso) {
      new CfnOutput(this, 'SsoClientSecretName', {
        description: "Secrets Manager secret for the SSO client secret: put your identity provider's value in it",
        value: props.sso.clientSecret.secretName,
      });
      new CfnOutput(this, 'SsoRedirectUri', {
        description: 'Register this redirect URI with your identity provider',
        value: `${props.proxyBaseUrl ?? this.httpApi.apiEndpoint}/sso/callback`,
      });
    }
  }

  /**
   * The scheduled budget reset: one function, run by EventBridge at 00:00 UTC on
   * the 1st (monthly budgets) and every 5 minutes (shorter periods, and expired
   * reservations). Two runs may overlap (a slow monthly run meeting the next
   * 5-minute one): every write is conditional, so each budget is reset once and
   * the other run counts it as skipped. No reserved concurrency, which a new
   * account (concurrency quota 10) could not grant. It reads only the table's name, so it gets
   * no secret, and on the table only the calls it makes: Query on the reset index,
   * BatchGetItem, and UpdateItem/DeleteItem (inside transactions). It may send email
   * as the sender, to retry budget alerts whose send failed.
   * A failed run is a Lambda error, and an alarm says so on an SNS topic.
   */
  private addBudgetReset(props: OnrampStatelessStackProps): void {
    const fn = new OnrampFunction(this, 'BudgetResetFunction', {
      entry: 'functions/budget-reset/index.ts',
      description: 'onramp budget reset: zeroes due budgets and releases expired reservations (EventBridge schedule)',
      timeout: Duration.minutes(5),
      environment: { ONRAMP_TABLE_NAME: props.table.tableName, ONRAMP_SES_SENDER: props.senderEmail },
    });
    props.emailIdentity.grantSendEmail(fn);
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ReadDueBudgetsAndExpiredReservations',
        actions: ['dynamodb:Query'],
        resources: [`${props.table.tableArn}/index/${RESET_INDEX}`],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        sid: 'ResetBudgetsReleaseReservations',
        // TransactWriteItems is authorized per item as UpdateItem / DeleteItem.
        actions: ['dynamodb:BatchGetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
      }),
    );

    const target = new LambdaFunction(fn);
    new Rule(this, 'BudgetResetMonthly', {
      description: 'onramp: budget reset at 00:00 UTC on the 1st of each month',
      schedule: Schedule.expression('cron(0 0 1 * ? *)'),
      targets: [target],
    });
    new Rule(this, 'BudgetResetFrequent', {
      description: 'onramp: budget reset every 5 minutes (daily/weekly/hourly budgets, expired reservations)',
      schedule: Schedule.rate(Duration.minutes(5)),
      targets: [target],
    });

    this.budgetResetAlarm = new Alarm(this, 'BudgetResetErrors', {
      alarmDescription: 'onramp: the budget reset failed (see the BudgetResetFunction logs); budgets may not have been reset',
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.alarmTopic = new Topic(this, 'AlarmTopic', { displayName: 'onramp alarms' });
    if (props.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(props.alarmEmail));
    this.budgetResetAlarm.addAlarmAction(new SnsAction(this.alarmTopic));
    this.budgetResetFunction = fn;

    new CfnOutput(this, 'BudgetResetFunctionName', {
      description: 'The scheduled budget reset function (invoke it to run a reset now)',
      value: fn.functionName,
    });
    new CfnOutput(this, 'BudgetResetAlarmName', {
      description: 'CloudWatch alarm raised when a budget reset run fails',
      value: this.budgetResetAlarm.alarmName,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic the budget reset alarm publishes to (subscribe your on-call here)',
      value: this.alarmTopic.topicArn,
    });
  }
}

/** The API function's SSO variables (shared/config/config.ts); the client secret travels as a secret ARN only. */
function ssoEnvironment(sso: SsoSettings & { readonly clientSecret: ISecret }): Record<string, string> {
  const optional: Array<[string, string | undefined]> = [
    ['GENERIC_SCOPE', sso.scope],
    ['GENERIC_USER_EMAIL_ATTRIBUTE', sso.emailClaim],
    ['ONRAMP_SSO_TEAMS_CLAIM', sso.teamsClaim],
    ['ONRAMP_SSO_TEAM_MAP', sso.teamMap],
  ];
  return {
    ONRAMP_SSO_ISSUER: sso.issuer,
    GENERIC_CLIENT_ID: sso.clientId,
    GENERIC_CLIENT_SECRET_ARN: sso.clientSecret.secretArn,
    ...Object.fromEntries(optional.filter((e): e is [string, string] => e[1] !== undefined)),
    ...(sso.disablePasswordLogin ? { ONRAMP_DISABLE_PASSWORD_LOGIN: 'true' } : {}),
  };
}
