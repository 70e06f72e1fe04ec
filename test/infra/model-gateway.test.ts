/** The model gateway on AWS: streaming function URL, a timeout for long generations, least-privilege grants. */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { buildApp, readSettings } from '../../infra/app';

function stateless(context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  return Template.fromStack(buildApp(app, readSettings(app, {})).stateless);
}

function modelsFunction(t: Template) {
  const found = Object.entries(t.findResources('AWS::Lambda::Function')).filter(([id]) => id.startsWith('ModelsFunction'));
  expect(found).toHaveLength(1);
  return { id: found[0]![0], props: (found[0]![1] as { Properties: Record<string, any> }).Properties };
}

function statementsOf(t: Template, roleId: string) {
  const policies = t.findResources('AWS::IAM::Policy', { Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) } });
  return Object.values(policies).flatMap((p: any) => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Action: string | string[]; Resource: unknown }>);
}

test('the model routes stream: a function URL in RESPONSE_STREAM mode, authenticated by the app (virtual keys)', () => {
  const t = stateless();
  const fn = modelsFunction(t);
  t.hasResourceProperties('AWS::Lambda::Url', { InvokeMode: 'RESPONSE_STREAM', AuthType: 'NONE', TargetFunctionArn: { 'Fn::GetAtt': [fn.id, 'Arn'] } });
  expect(fn.props).toMatchObject({ Runtime: 'nodejs22.x', Architectures: ['arm64'], Timeout: 900 });
  expect(Object.keys(t.findOutputs('ModelGatewayUrl'))).toEqual(['ModelGatewayUrl']);
});

test('no Bedrock permission unless models are configured, then InvokeModel on exactly those', () => {
  const none = stateless();
  const roleOf = (t: Template) => modelsFunction(t).props.Role['Fn::GetAtt'][0] as string;
  const bedrockActions = (t: Template) => statementsOf(t, roleOf(t)).filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:')));
  expect(bedrockActions(none)).toEqual([]);

  const withModels = stateless({ bedrockModels: 'openai.gpt-oss-120b-1:0,anthropic.claude-sonnet-4-5-20250929-v1:0' });
  const [statement, ...rest] = bedrockActions(withModels);
  expect(rest).toEqual([]);
  expect([statement!.Action].flat().sort()).toEqual(['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream']);
  const resources = JSON.stringify(statement!.Resource);
  expect(resources).toContain('::foundation-model/openai.gpt-oss-120b-1:0');
  expect(resources).toContain('::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0');
  expect(resources).not.toContain('*');
  // and the API function gets no Bedrock at all
  const api = Object.entries(withModels.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('ApiFunction'))!;
  const apiRole = (api[1] as any).Properties.Role['Fn::GetAtt'][0];
  expect(statementsOf(withModels, apiRole).filter((s) => [s.Action].flat().some((a) => a.startsWith('bedrock:')))).toEqual([]);
});

test('a malformed Bedrock model id stops the synth, naming the setting', () => {
  expect(() => readSettings(new App({ context: { bedrockModels: 'ok.model,Bad Model' } }), {})).toThrow(/bedrockModels/);
});

test('model credentials: the API function may create, version and delete secrets under the prefix only; the models function only reads them', () => {
  const t = stateless();
  const fnNamed = (prefix: string) => Object.entries(t.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))![1] as any;
  const onModelSecrets = (prefix: string) =>
    statementsOf(t, fnNamed(prefix).Properties.Role['Fn::GetAtt'][0]).filter((s) => JSON.stringify(s.Resource).includes(':secret:onramp/models/'));
  const arn = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':secret:onramp/models/*']] };

  const api = onModelSecrets('ApiFunction');
  expect(api).toHaveLength(1);
  expect([api[0]!.Action].flat().sort()).toEqual(['secretsmanager:CreateSecret', 'secretsmanager:DeleteSecret', 'secretsmanager:PutSecretValue', 'secretsmanager:RestoreSecret']);
  expect(api[0]!.Resource).toEqual(arn);

  const models = onModelSecrets('ModelsFunction');
  expect(models).toHaveLength(1);
  expect(models[0]!.Action).toBe('secretsmanager:GetSecretValue');
  expect(models[0]!.Resource).toEqual(arn);

  // Nothing else anywhere touches model secrets (no wildcard secret grants either), and both functions are told the prefix.
  for (const [id, fn] of Object.entries(t.findResources('AWS::Lambda::Function')) as Array<[string, any]>) {
    const statements = statementsOf(t, fn.Properties.Role['Fn::GetAtt'][0]).filter((s) => [s.Action].flat().some((a) => a.startsWith('secretsmanager:')));
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toMatch(/secret:\*|"\*"/);
    if (id.startsWith('ApiFunction') || id.startsWith('ModelsFunction')) expect(fn.Properties.Environment.Variables.ONRAMP_MODEL_SECRETS_PREFIX).toBe('onramp/models/');
  }
});
