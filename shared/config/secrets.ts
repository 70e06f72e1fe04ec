import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/**
 * On AWS the master key, the JWT secret and the SSO client secret live in Secrets
 * Manager; the functions get their ARNs (`ONRAMP_MASTER_KEY_SECRET_ARN`,
 * `ONRAMP_JWT_SECRET_ARN`, `GENERIC_CLIENT_SECRET_ARN` when SSO is on) and read
 * them once at cold start. A value set directly in the environment wins, which is
 * how the local stack and the tests run.
 *
 * Generated secrets cannot carry a prefix, so a master key stored without `sk-`
 * is used as `sk-<value>`.
 */
export async function loadSecretsIntoEnv(env: NodeJS.ProcessEnv): Promise<NodeJS.ProcessEnv> {
  const wanted: Array<[string, string | undefined, (v: string) => string]> = [
    ['ONRAMP_MASTER_KEY', env.ONRAMP_MASTER_KEY_SECRET_ARN, (v) => (v.startsWith('sk-') ? v : `sk-${v}`)],
    ['ONRAMP_JWT_SECRET', env.ONRAMP_JWT_SECRET_ARN, (v) => v],
    ['GENERIC_CLIENT_SECRET', env.GENERIC_CLIENT_SECRET_ARN, (v) => v],
  ];
  const missing = wanted.filter(([name, arn]) => !env[name] && arn);
  if (missing.length === 0) return env;
  const client = new SecretsManagerClient({});
  const resolved = { ...env };
  await Promise.all(
    missing.map(async ([name, arn, shape]) => {
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      if (!out.SecretString) throw new Error(`secret ${arn} (for ${name}) has no string value`);
      resolved[name] = shape(out.SecretString);
    }),
  );
  return resolved;
}
