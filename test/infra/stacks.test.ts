import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, readSettings, type OnrampSettings } from '../../infra/app';
import { TABLE_INDEXES, TTL_ATTRIBUTE } from '../../shared/db/keys';

/** An app that skips esbuild bundling, so these tests stay fast and offline. */
function newApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
}

function templates(settings?: OnrampSettings) {
  const app = newApp();
  const { stateful, stateless } = buildApp(app, settings ?? readSettings(app, {}));
  return { stateful: Template.fromStack(stateful), stateless: Template.fromStack(stateless) };
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

type FunctionResource = { Properties: Record<string, any> & { Role: { 'Fn::GetAtt': [string, string] } } };

/** The Lambda function whose logical id starts with `prefix` (`ApiFunction`, `BudgetResetFunction`). */
function functionNamed(stateless: Template, prefix: string): { id: string; fn: FunctionResource } {
  const matches = Object.entries(stateless.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith(prefix));
  expect(matches).toHaveLength(1);
  const [id, fn] = matches[0]!;
  return { id, fn: fn as FunctionResource };
}

/** Every IAM statement of the policies attached to a function's role. */
function functionStatements(stateless: Template, prefix: string): Statement[] {
  const roleId = functionNamed(stateless, prefix).fn.Properties.Role['Fn::GetAtt'][0];
  const policies = stateless.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  });
  return Object.values(policies).flatMap(
    (p) => (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties.PolicyDocument.Statement,
  );
}

/** Every IAM statement of the policies attached to the API function's role. */
const apiFunctionStatements = (stateless: Template) => functionStatements(stateless, 'ApiFunction');

const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);
const resourcesOf = (s: Statement): unknown[] => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);

describe('OnrampStateful', () => {
  const { stateful } = templates();

  test('one on-demand table with point-in-time recovery, TTL and the PK/SK key schema', () => {
    stateful.resourceCountIs('AWS::DynamoDB::Table', 1);
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      KeySchema: [
        { AttributeName: 'PK', KeyType: 'HASH' },
        { AttributeName: 'SK', KeyType: 'RANGE' },
      ],
    });
    expect(TTL_ATTRIBUTE).toBe('ttl');
  });

  test('one GSI per index of the key design, string keys, all attributes projected', () => {
    expect(TABLE_INDEXES).toEqual(['GSI1', 'GSI2', 'GSI3', 'GSI4']);
    stateful.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: TABLE_INDEXES.map((name) => ({
        IndexName: name,
        KeySchema: [
          { AttributeName: `${name}PK`, KeyType: 'HASH' },
          { AttributeName: `${name}SK`, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
      AttributeDefinitions: Match.arrayWith(
        ['PK', 'SK', ...TABLE_INDEXES.flatMap((n) => [`${n}PK`, `${n}SK`])].map((name) => ({
          AttributeName: name,
          AttributeType: 'S',
        })),
      ),
    });
  });

  test('table and both secrets are retained on delete and on replacement', () => {
    stateful.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    stateful.resourceCountIs('AWS::SecretsManager::Secret', 2);
    const secrets = stateful.findResources('AWS::SecretsManager::Secret');
    for (const secret of Object.values(secrets)) {
      expect(secret).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });

  test('secrets are generated: 64 chars for the JWT key, 48 for the master key, no punctuation', () => {
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
    });
    stateful.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
  });

  test('an SES email identity for the default sender', () => {
    stateful.resourceCountIs('AWS::SES::EmailIdentity', 1);
    stateful.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'onramp@example.com' });
  });
});

describe('OnrampStateless', () => {
  const { stateless } = templates();

  test('the API function runs Node 22 on arm64 with 1 GB and a log group kept one month', () => {
    // the API, the model gateway (streaming) and the budget reset
    stateless.resourceCountIs('AWS::Lambda::Function', 3);
    expect(functionNamed(stateless, 'ApiFunction').fn.Properties).toMatchObject({ Timeout: 29 });
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 1024,
      Handler: 'index.handler',
      Timeout: 29,
      LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
    });
    stateless.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  test('the API function receives the table, secret ARNs, sender and source-map settings', () => {
    stateless.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          ONRAMP_TABLE_NAME: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
          ONRAMP_JWT_SECRET_ARN: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
          ONRAMP_MASTER_KEY_SECRET_ARN: Match.objectLike({ 'Fn::ImportValue': Match.anyValue() }),
          ONRAMP_SES_SENDER: 'onramp@example.com',
          NODE_OPTIONS: '--enable-source-maps',
          PROXY_BASE_URL: Match.absent(),
          PROXY_LOGOUT_URL: Match.absent(),
        },
      },
    });
  });

  test('the proxy URLs and sender are passed through when configured', () => {
    const { stateless: configured, stateful } = templates({
      senderEmail: 'ai@corp.example',
      proxyBaseUrl: 'https://ai.corp.example',
      proxyLogoutUrl: 'https://sso.corp.example/logout',
    });
    configured.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          ONRAMP_SES_SENDER: 'ai@corp.example',
          PROXY_BASE_URL: 'https://ai.corp.example',
          PROXY_LOGOUT_URL: 'https://sso.corp.example/logout',
        }),
      },
    });
    stateful.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'ai@corp.example' });
  });

  test('DynamoDB access is limited to the table and its indexes', () => {
    const statements = apiFunctionStatements(stateless).filter((s) => actionsOf(s).some((a) => a.startsWith('dynamodb:')));
    expect(statements.length).toBeGreaterThan(0);
    const actions = statements.flatMap(actionsOf);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query']));
    expect(actions).not.toContain('dynamodb:*');
    for (const admin of ['dynamodb:DeleteTable', 'dynamodb:UpdateTable', 'dynamodb:CreateTable']) {
      expect(actions).not.toContain(admin);
    }
    for (const s of statements) {
      for (const resource of resourcesOf(s)) {
        expect(resource).not.toBe('*');
        // Either the table ARN (imported from the stateful stack) or `<table ARN>/index/*`.
        expect(JSON.stringify(resource)).toContain('Fn::ImportValue');
      }
    }
  });

  test('secret reads are GetSecretValue on the two secrets only (model secrets: see model-gateway.test.ts)', () => {
    const statements = apiFunctionStatements(stateless).filter((s) =>
      actionsOf(s).some((a) => a.startsWith('secretsmanager:')) && (s as { Sid?: string }).Sid !== 'WriteModelCredentials',
    );
    expect(statements.flatMap(actionsOf)).toContain('secretsmanager:GetSecretValue');
    const resources = statements.flatMap(resourcesOf);
    expect(resources).toHaveLength(2);
    for (const resource of resources) {
      expect(resource).not.toBe('*');
      expect(resource).toEqual({ 'Fn::ImportValue': expect.stringMatching(/Secret/) });
    }
  });

  test('SES sending is scoped to the sender identity', () => {
    const statements = apiFunctionStatements(stateless).filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
    expect(statements.flatMap(actionsOf)).toEqual(expect.arrayContaining(['ses:SendEmail', 'ses:SendRawEmail']));
    for (const resource of statements.flatMap(resourcesOf)) {
      expect(resource).not.toBe('*');
      expect(JSON.stringify(resource)).toContain(':identity/');
    }
  });

  test('nothing else is granted to the API function', () => {
    const services = new Set(
      apiFunctionStatements(stateless)
        .flatMap(actionsOf)
        .map((a) => a.split(':')[0]),
    );
    expect([...services].sort()).toEqual(['dynamodb', 'secretsmanager', 'ses']);
  });

  test('an HTTP API forwards every path and method to the function (payload v2)', () => {
    stateless.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', { ProtocolType: 'HTTP' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /{proxy+}' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: 'ANY /' });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
    });
    stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: '$default', AutoDeploy: true });
    stateless.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'apigateway.amazonaws.com',
    });
  });

  describe('the budget reset', () => {
    const reset = () => functionNamed(stateless, 'BudgetResetFunction');
    const resetStatements = () => functionStatements(stateless, 'BudgetResetFunction');

    test('a Node 22 arm64 function for functions/budget-reset, 5-minute timeout, no reserved concurrency', () => {
      expect(reset().fn.Properties).toMatchObject({
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Timeout: 300,
        LoggingConfig: { LogGroup: { Ref: expect.stringMatching(/^BudgetResetFunctionLogs/) } },
      });
      // A new account (concurrency quota 10) cannot reserve any; overlapping runs are safe anyway.
      expect(reset().fn.Properties).not.toHaveProperty('ReservedConcurrentExecutions');
    });

    test('it is given the table name, the sender of budget alerts, and nothing secret', () => {
      const vars = reset().fn.Properties.Environment.Variables as Record<string, unknown>;
      expect(Object.keys(vars).sort()).toEqual(['NODE_OPTIONS', 'ONRAMP_SES_SENDER', 'ONRAMP_TABLE_NAME']);
      expect(vars.ONRAMP_SES_SENDER).toBe('onramp@example.com');
      expect(vars.ONRAMP_TABLE_NAME).toMatchObject({ 'Fn::ImportValue': expect.any(String) });
    });

    test('EventBridge runs it at 00:00 UTC on the 1st and every 5 minutes', () => {
      const rules = Object.values(stateless.findResources('AWS::Events::Rule')) as Array<{ Properties: { ScheduleExpression: string; State?: string; Targets: Array<{ Arn: unknown }> } }>;
      expect(rules.map((r) => r.Properties.ScheduleExpression).sort()).toEqual(['cron(0 0 1 * ? *)', 'rate(5 minutes)']);
      for (const rule of rules) {
        expect(rule.Properties.State ?? 'ENABLED').toBe('ENABLED');
        expect(rule.Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [reset().id, 'Arn'] } })]);
      }
      const permissions = Object.values(stateless.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'events.amazonaws.com' } })) as Array<{ Properties: { FunctionName: unknown; Action: string } }>;
      expect(permissions).toHaveLength(2);
      for (const p of permissions) {
        expect(p.Properties).toMatchObject({ Action: 'lambda:InvokeFunction', FunctionName: { 'Fn::GetAtt': [reset().id, 'Arn'] } });
      }
    });

    test('on the table it may only query the reset index, batch-get, update and delete items', () => {
      const statements = resetStatements().filter((s) => actionsOf(s).every((a) => a.startsWith('dynamodb:')));
      const actions = statements.flatMap(actionsOf).sort();
      expect(actions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      for (const s of statements) {
        for (const resource of resourcesOf(s)) {
          expect(resource).not.toBe('*');
          expect(JSON.stringify(resource)).toContain('Fn::ImportValue');
        }
      }
      const query = statements.find((s) => actionsOf(s).includes('dynamodb:Query'))!;
      expect(JSON.stringify(query.Resource)).toContain('/index/GSI4');
    });

    test('no secrets; DynamoDB, and SES only to retry budget alert emails', () => {
      const services = new Set(resetStatements().flatMap(actionsOf).map((a) => a.split(':')[0]));
      expect([...services].sort()).toEqual(['dynamodb', 'ses']);
      const actions = resetStatements().flatMap(actionsOf);
      expect(actions.some((a) => a.startsWith('secretsmanager:'))).toBe(false);
      expect(actions.filter((a) => a.startsWith('ses:')).sort()).toEqual(['ses:SendEmail', 'ses:SendRawEmail']);
      const ses = resetStatements().filter((s) => actionsOf(s).some((a) => a.startsWith('ses:')));
      for (const resource of ses.flatMap(resourcesOf)) expect(JSON.stringify(resource)).toContain(':identity/');
      expect(actions).not.toContain('dynamodb:PutItem');
      expect(actions).not.toContain('dynamodb:Scan');
    });

    test('an alarm fires when a run fails (Errors >= 1)', () => {
      stateless.resourceCountIs('AWS::CloudWatch::Alarm', 1);
      stateless.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: reset().id } }],
        Statistic: 'Sum',
        Period: 300,
        Threshold: 1,
        EvaluationPeriods: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    });

    test('the alarm publishes to an SNS topic, with no subscriber unless alarmEmail is set', () => {
      const topics = Object.keys(stateless.findResources('AWS::SNS::Topic'));
      expect(topics).toHaveLength(1);
      stateless.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmActions: [{ Ref: topics[0] }] });
      stateless.resourceCountIs('AWS::SNS::Subscription', 0);
      stateless.hasOutput('AlarmTopicArn', { Value: { Ref: topics[0] } });

      const withEmail = templates({ senderEmail: 'onramp@corp.example', alarmEmail: 'oncall@corp.example' }).stateless;
      withEmail.resourceCountIs('AWS::SNS::Subscription', 1);
      withEmail.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@corp.example' });
    });
  });

  test('outputs the API URL and the secret names', () => {
    stateless.hasOutput('ApiUrl', {});
    stateless.hasOutput('JwtSecretName', {});
    stateless.hasOutput('MasterKeySecretName', {});
    stateless.hasOutput('BudgetResetFunctionName', {});
    stateless.hasOutput('BudgetResetAlarmName', {});
  });
});

describe('settings', () => {
  test('context wins over the environment; sender defaults to onramp@example.com', () => {
    expect(readSettings(newApp(), {})).toEqual({ senderEmail: 'onramp@example.com' });
    const app = newApp({ senderEmail: 'ctx@corp.example', proxyBaseUrl: 'https://ctx.example' });
    expect(
      readSettings(app, { ONRAMP_SES_SENDER: 'env@corp.example', PROXY_LOGOUT_URL: 'https://env.example/out', ONRAMP_ALARM_EMAIL: 'oncall@corp.example' }),
    ).toEqual({
      senderEmail: 'ctx@corp.example',
      proxyBaseUrl: 'https://ctx.example',
      proxyLogoutUrl: 'https://env.example/out',
      alarmEmail: 'oncall@corp.example',
    });
  });

  test('malformed values fail at synth time', () => {
    expect(() => readSettings(newApp({ senderEmail: 'not-an-email' }), {})).toThrow(/senderEmail/);
    expect(() => readSettings(newApp({ proxyBaseUrl: 'ftp://x' }), {})).toThrow(/proxyBaseUrl/);
    expect(() => readSettings(newApp(), { ONRAMP_ALARM_EMAIL: 'oncall' })).toThrow(/alarmEmail/);
  });
});

describe('SSO', () => {
  const sso = { issuer: 'https://login.corp.example/realms/corp', clientId: 'onramp', teamsClaim: 'groups', teamMap: '{"eng":"team-eng"}', disablePasswordLogin: true };
  const { stateful, stateless } = templates({ senderEmail: 'onramp@corp.example', proxyBaseUrl: 'https://ai.corp.example', sso });

  test('the API function gets the SSO settings, and the client secret only as a secret ARN', () => {
    const { fn } = functionNamed(stateless, 'ApiFunction');
    const vars = fn.Properties.Environment.Variables;
    expect(vars).toMatchObject({
      ONRAMP_SSO_ISSUER: 'https://login.corp.example/realms/corp',
      GENERIC_CLIENT_ID: 'onramp',
      GENERIC_CLIENT_SECRET_ARN: { 'Fn::ImportValue': expect.stringMatching(/SsoClientSecret/) },
      ONRAMP_SSO_TEAMS_CLAIM: 'groups',
      ONRAMP_SSO_TEAM_MAP: '{"eng":"team-eng"}',
      ONRAMP_DISABLE_PASSWORD_LOGIN: 'true',
    });
    expect(vars.GENERIC_CLIENT_SECRET).toBeUndefined();
    // Unset settings are left to the app's defaults.
    expect(vars.GENERIC_SCOPE).toBeUndefined();
    // The budget reset has nothing to do with sign-in.
    const reset = functionNamed(stateless, 'BudgetResetFunction').fn.Properties.Environment.Variables;
    expect(Object.keys(reset).filter((k) => /SSO|GENERIC/.test(k))).toEqual([]);
  });

  test('a retained secret holds the client secret; the API function may read it, and only it besides the other two', () => {
    stateful.hasResource('AWS::SecretsManager::Secret', {
      Properties: { Description: Match.stringLikeRegexp('OpenID Connect client secret') },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    const resources = apiFunctionStatements(stateless)
      .filter((s) => actionsOf(s).includes('secretsmanager:GetSecretValue'))
      .flatMap(resourcesOf);
    expect(resources).toHaveLength(3);
    expect(JSON.stringify(resources)).toMatch(/SsoClientSecret/);
  });

  test('outputs the secret to fill in and the redirect URI to register', () => {
    stateless.hasOutput('SsoClientSecretName', {});
    stateless.hasOutput('SsoRedirectUri', { Value: 'https://ai.corp.example/sso/callback' });
  });

  test('without SSO there is no such secret, variable or output', () => {
    const plain = templates();
    expect(Object.values(plain.stateful.findResources('AWS::SecretsManager::Secret'))).toHaveLength(2);
    const vars = functionNamed(plain.stateless, 'ApiFunction').fn.Properties.Environment.Variables;
    expect(Object.keys(vars).filter((k) => /SSO|GENERIC|PASSWORD/.test(k))).toEqual([]);
    expect(Object.keys(plain.stateless.findOutputs('SsoClientSecretName'))).toEqual([]);
  });

  test('settings come from context or the environment and are checked at synth time', () => {
    expect(
      readSettings(newApp({ ssoIssuer: 'https://idp.example', ssoClientId: 'ctx-client' }), { GENERIC_CLIENT_ID: 'env-client', ONRAMP_SSO_TEAMS_CLAIM: 'groups' }).sso,
    ).toEqual({ issuer: 'https://idp.example', clientId: 'ctx-client', teamsClaim: 'groups', disablePasswordLogin: false });
    expect(() => readSettings(newApp({ ssoIssuer: 'http://idp.example', ssoClientId: 'c' }), {})).toThrow(/ssoIssuer must be an https URL/);
    expect(() => readSettings(newApp({ ssoIssuer: 'https://idp.example' }), {})).toThrow(/ssoClientId/);
    expect(() => readSettings(newApp({ ssoClientId: 'c' }), {})).toThrow(/ssoIssuer/);
    expect(() => readSettings(newApp({ disablePasswordLogin: 'true' }), {})).toThrow(/needs SSO/);
    expect(() => readSettings(newApp({ ssoIssuer: 'https://idp.example', ssoClientId: 'c', disablePasswordLogin: 'yes' }), {})).toThrow(/true or false/);
  });
});
