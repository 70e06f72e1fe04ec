/** loadConfig: the environment is validated once, and every problem names its variable. */
import { ConfigError, loadConfig } from '../../shared/config/config';

const VALID = {
  ONRAMP_MASTER_KEY: 'sk-0123456789abcdef0123',
  ONRAMP_TABLE_NAME: 'onramp-prod',
  ONRAMP_JWT_SECRET: 'x'.repeat(32),
  ONRAMP_SES_SENDER: 'noreply@example.com',
};

/** The ConfigError loadConfig throws for this environment. */
function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('loadConfig accepted an invalid environment');
}

describe('loadConfig', () => {
  describe('valid environments', () => {
    test('the required variables give a typed config with defaults', () => {
      expect(loadConfig(VALID)).toEqual({
        masterKey: VALID.ONRAMP_MASTER_KEY,
        tableName: 'onramp-prod',
        jwtSecret: VALID.ONRAMP_JWT_SECRET,
        sesSender: 'noreply@example.com',
        proxyBaseUrl: undefined,
        proxyLogoutUrl: undefined,
        dynamodbEndpoint: undefined,
        sesEndpoint: undefined,
        sessionHours: 12,
        region: 'us-east-1',
        sso: undefined,
        passwordLogin: true,
        auditRetentionDays: 90,
        modelSecretsPrefix: undefined,
      });
    });

    test('ONRAMP_AUDIT_RETENTION_DAYS: whole days from 1 to 3650', () => {
      expect(loadConfig({ ...VALID, ONRAMP_AUDIT_RETENTION_DAYS: '30' }).auditRetentionDays).toBe(30);
      expect(() => loadConfig({ ...VALID, ONRAMP_AUDIT_RETENTION_DAYS: '0' })).toThrow(/ONRAMP_AUDIT_RETENTION_DAYS/);
      expect(() => loadConfig({ ...VALID, ONRAMP_AUDIT_RETENTION_DAYS: '1.5' })).toThrow(/ONRAMP_AUDIT_RETENTION_DAYS/);
    });

    test('SSO: issuer, client and the LiteLLM-named settings, with defaults', () => {
      const sso = { ONRAMP_SSO_ISSUER: 'https://login.example.com/realms/corp/', GENERIC_CLIENT_ID: 'onramp', GENERIC_CLIENT_SECRET: 'shh' };
      expect(loadConfig({ ...VALID, ...sso })).toMatchObject({
        sso: { issuer: 'https://login.example.com/realms/corp', clientId: 'onramp', clientSecret: 'shh', scope: 'openid email profile', emailClaim: 'email', teamsClaim: undefined, teamMap: undefined },
        passwordLogin: true,
      });
      const full = loadConfig({
        ...VALID,
        ...sso,
        GENERIC_SCOPE: 'openid email groups',
        GENERIC_USER_EMAIL_ATTRIBUTE: 'upn',
        ONRAMP_SSO_TEAMS_CLAIM: 'groups',
        ONRAMP_SSO_TEAM_MAP: '{"eng": "team-1", "all": ["team-1", "team-2"]}',
        ONRAMP_DISABLE_PASSWORD_LOGIN: 'true',
      });
      expect(full.sso).toMatchObject({ scope: 'openid email groups', emailClaim: 'upn', teamsClaim: 'groups', teamMap: { eng: ['team-1'], all: ['team-1', 'team-2'] } });
      expect(full.passwordLogin).toBe(false);
      // A provider on this machine may use plain HTTP (the tests' does).
      expect(loadConfig({ ...VALID, ...sso, ONRAMP_SSO_ISSUER: 'http://127.0.0.1:9000' }).sso?.issuer).toBe('http://127.0.0.1:9000');
    });

    test('optional variables are read and typed', () => {
      const config = loadConfig({
        ...VALID,
        PROXY_BASE_URL: 'https://ai.example.com//',
        PROXY_LOGOUT_URL: 'https://sso.example.com/logout',
        ONRAMP_DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
        ONRAMP_SES_ENDPOINT: 'http://127.0.0.1:8005',
        ONRAMP_SESSION_HOURS: '24',
        AWS_REGION: 'eu-west-1',
        ONRAMP_MODEL_SECRETS_PREFIX: 'onramp/models/',
        ONRAMP_KEY_ROTATION_GRACE_PERIOD: '48h',
        UNRELATED: 'ignored',
      });
      expect(config).toMatchObject({
        proxyBaseUrl: 'https://ai.example.com',
        proxyLogoutUrl: 'https://sso.example.com/logout',
        dynamodbEndpoint: 'http://127.0.0.1:8000',
        sesEndpoint: 'http://127.0.0.1:8005',
        sessionHours: 24,
        region: 'eu-west-1',
        modelSecretsPrefix: 'onramp/models/',
        keyRotationGracePeriod: '48h',
      });
    });

    test('empty strings count as unset', () => {
      expect(loadConfig({ ...VALID, PROXY_BASE_URL: '', AWS_REGION: '' })).toMatchObject({ proxyBaseUrl: undefined, region: 'us-east-1' });
    });
  });

  describe('invalid environments name the variable', () => {
    const cases: Array<[string, Record<string, string | undefined>, string]> = [
      ['a missing master key', { ...VALID, ONRAMP_MASTER_KEY: undefined }, 'ONRAMP_MASTER_KEY'],
      ['an empty master key', { ...VALID, ONRAMP_MASTER_KEY: '' }, 'ONRAMP_MASTER_KEY'],
      ['a master key without sk-', { ...VALID, ONRAMP_MASTER_KEY: 'pk-0123456789abcdef0123' }, 'ONRAMP_MASTER_KEY'],
      ['a master key that is too short', { ...VALID, ONRAMP_MASTER_KEY: 'sk-short' }, 'ONRAMP_MASTER_KEY'],
      ['a short JWT secret', { ...VALID, ONRAMP_JWT_SECRET: 'x'.repeat(31) }, 'ONRAMP_JWT_SECRET'],
      ['a missing JWT secret', { ...VALID, ONRAMP_JWT_SECRET: undefined }, 'ONRAMP_JWT_SECRET'],
      ['a bad PROXY_BASE_URL', { ...VALID, PROXY_BASE_URL: 'not a url' }, 'PROXY_BASE_URL'],
      ['a PROXY_BASE_URL that is not http(s)', { ...VALID, PROXY_BASE_URL: 'ftp://example.com' }, 'PROXY_BASE_URL'],
      ['a bad PROXY_LOGOUT_URL', { ...VALID, PROXY_LOGOUT_URL: 'javascript:alert(1)' }, 'PROXY_LOGOUT_URL'],
      ['a bad sender email', { ...VALID, ONRAMP_SES_SENDER: 'onramp-at-example.com' }, 'ONRAMP_SES_SENDER'],
      ['a missing table name', { ...VALID, ONRAMP_TABLE_NAME: undefined }, 'ONRAMP_TABLE_NAME'],
      ['a model secrets prefix with a space', { ...VALID, ONRAMP_MODEL_SECRETS_PREFIX: 'onramp models/' }, 'ONRAMP_MODEL_SECRETS_PREFIX'],
      ['a table name with spaces', { ...VALID, ONRAMP_TABLE_NAME: 'my table' }, 'ONRAMP_TABLE_NAME'],
      ['session hours out of range', { ...VALID, ONRAMP_SESSION_HOURS: '0' }, 'ONRAMP_SESSION_HOURS'],
      ['an SSO issuer without a client id', { ...VALID, ONRAMP_SSO_ISSUER: 'https://idp.example', GENERIC_CLIENT_SECRET: 's' }, 'GENERIC_CLIENT_ID'],
      ['an SSO issuer without a client secret', { ...VALID, ONRAMP_SSO_ISSUER: 'https://idp.example', GENERIC_CLIENT_ID: 'c' }, 'GENERIC_CLIENT_SECRET'],
      ['an SSO issuer over plain HTTP elsewhere', { ...VALID, ONRAMP_SSO_ISSUER: 'http://idp.example', GENERIC_CLIENT_ID: 'c', GENERIC_CLIENT_SECRET: 's' }, 'ONRAMP_SSO_ISSUER'],
      ['a client id without an issuer', { ...VALID, GENERIC_CLIENT_ID: 'c', GENERIC_CLIENT_SECRET: 's' }, 'ONRAMP_SSO_ISSUER'],
      ["LiteLLM's manual endpoints without an issuer", { ...VALID, GENERIC_AUTHORIZATION_ENDPOINT: 'https://idp.example/auth' }, 'ONRAMP_SSO_ISSUER'],
      ['a scope without openid', { ...VALID, GENERIC_SCOPE: 'email profile' }, 'GENERIC_SCOPE'],
      ['passwords off without SSO', { ...VALID, ONRAMP_DISABLE_PASSWORD_LOGIN: 'true' }, 'ONRAMP_DISABLE_PASSWORD_LOGIN'],
      ['a rotation grace period that is not a duration', { ...VALID, ONRAMP_KEY_ROTATION_GRACE_PERIOD: 'a day' }, 'ONRAMP_KEY_ROTATION_GRACE_PERIOD'],
      ['a rotation grace period over 7d', { ...VALID, ONRAMP_KEY_ROTATION_GRACE_PERIOD: '8d' }, 'ONRAMP_KEY_ROTATION_GRACE_PERIOD'],
      ['passwords off spelled oddly', { ...VALID, ONRAMP_DISABLE_PASSWORD_LOGIN: 'yes' }, 'ONRAMP_DISABLE_PASSWORD_LOGIN'],
      [
        'a team map that is not JSON',
        { ...VALID, ONRAMP_SSO_ISSUER: 'https://idp.example', GENERIC_CLIENT_ID: 'c', GENERIC_CLIENT_SECRET: 's', ONRAMP_SSO_TEAMS_CLAIM: 'groups', ONRAMP_SSO_TEAM_MAP: 'eng=team-1' },
        'ONRAMP_SSO_TEAM_MAP',
      ],
      [
        'a team map with a non-string team',
        { ...VALID, ONRAMP_SSO_ISSUER: 'https://idp.example', GENERIC_CLIENT_ID: 'c', GENERIC_CLIENT_SECRET: 's', ONRAMP_SSO_TEAMS_CLAIM: 'groups', ONRAMP_SSO_TEAM_MAP: '{"eng": 7}' },
        'ONRAMP_SSO_TEAM_MAP',
      ],
      [
        'a team map without the claim it maps',
        { ...VALID, ONRAMP_SSO_ISSUER: 'https://idp.example', GENERIC_CLIENT_ID: 'c', GENERIC_CLIENT_SECRET: 's', ONRAMP_SSO_TEAM_MAP: '{"eng": "team-1"}' },
        'ONRAMP_SSO_TEAMS_CLAIM',
      ],
    ];

    test.each(cases)('%s', (_label, env, variable) => {
      const err = configError(env);
      expect(err.name).toBe('ConfigError');
      expect(err.message).toContain(variable);
      expect(err.problems.some((p) => p.startsWith(variable))).toBe(true);
    });

    test('every problem is reported at once', () => {
      const err = configError({ ONRAMP_MASTER_KEY: 'bad', ONRAMP_SES_SENDER: 'nope' });
      for (const variable of ['ONRAMP_MASTER_KEY', 'ONRAMP_TABLE_NAME', 'ONRAMP_JWT_SECRET', 'ONRAMP_SES_SENDER']) {
        expect(err.message).toContain(variable);
      }
    });

    test('the message never echoes a secret value', () => {
      const secret = 'short-secret-value';
      expect(configError({ ...VALID, ONRAMP_JWT_SECRET: secret }).message).not.toContain(secret);
      const clientSecret = 'the-client-secret-value';
      expect(configError({ ...VALID, GENERIC_CLIENT_SECRET: clientSecret, GENERIC_CLIENT_ID: 'c' }).message).not.toContain(clientSecret);
    });
  });
});
