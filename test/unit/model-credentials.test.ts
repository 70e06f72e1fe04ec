/**
 * The Secrets Manager credential store, with the SDK client's `send` stubbed by a small
 * in-memory Secrets Manager (names, versions, deletion with a recovery window): what it
 * asks Secrets Manager, what the row keeps, what a call reads, and the cache.
 */
import { CredentialUnavailable, SecretsManagerCredentials, TableCredentials } from '../../shared/models/credentials';
import { fakeSecretsManager } from '../support/fake-secrets-manager';

const PREFIX = 'onramp/models/';

function store(now = () => 0) {
  const sm = fakeSecretsManager();
  return { sm, credentials: new SecretsManagerCredentials(sm.client, { prefix: PREFIX, env: { UPSTREAM_KEY: 'sk-from-env' }, now }) };
}

test('a new model: one secret under the prefix; the row keeps only a reference to its version', async () => {
  const { sm, credentials } = store();
  const stored = await credentials.save('m-1', 'sk-upstream-secret');
  expect(stored).not.toContain('sk-upstream-secret');
  expect(stored).toMatch(/^aws-secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:onramp\/models\/m-1\/api_key-AbCdEf#[0-9a-f-]{36}$/);
  expect(sm.sent.map((c) => c.command)).toEqual(['PutSecretValue', 'CreateSecret']);
  expect(sm.sent[1]!.input).toMatchObject({ Name: 'onramp/models/m-1/api_key', SecretString: 'sk-upstream-secret' });
  expect(await credentials.read(stored)).toBe('sk-upstream-secret');
  expect(sm.sent.at(-1)).toMatchObject({ command: 'GetSecretValue', input: { SecretId: expect.stringContaining(':secret:onramp/models/m-1/api_key'), VersionId: stored.split('#')[1] } });
});

test('a new key is a new version of the same secret; the old reference still reads the old value', async () => {
  const { sm, credentials } = store();
  const first = await credentials.save('m-1', 'sk-old');
  const second = await credentials.save('m-1', 'sk-new');
  expect(second).not.toBe(first);
  expect(sm.secrets.size).toBe(1);
  expect(await credentials.read(second)).toBe('sk-new');
  expect(await credentials.read(first)).toBe('sk-old');
  // Retiring the old reference for a new version of the same secret deletes nothing.
  await credentials.retire(first, second);
  expect(sm.sent.some((c) => c.command === 'DeleteSecret')).toBe(false);
});

test('reads are cached briefly in the function, per version', async () => {
  let now = 0;
  const { sm, credentials } = store(() => now);
  const stored = await credentials.save('m-1', 'sk-1');
  const gets = () => sm.sent.filter((c) => c.command === 'GetSecretValue').length;
  await credentials.read(stored);
  await credentials.read(stored);
  expect(gets()).toBe(1);
  now += 299_000;
  await credentials.read(stored);
  expect(gets()).toBe(1);
  now += 2_000;
  await credentials.read(stored);
  expect(gets()).toBe(2);
});

test('deleting a model schedules its secret for deletion with a recovery window; registering the id again restores it', async () => {
  const { sm, credentials } = store();
  const stored = await credentials.save('m-1', 'sk-1');
  await credentials.retire(stored, null);
  const del = sm.sent.find((c) => c.command === 'DeleteSecret')!;
  expect(del.input).toEqual({ SecretId: expect.stringContaining(':secret:onramp/models/m-1/api_key'), RecoveryWindowInDays: 7, ForceDeleteWithoutRecovery: false });
  await expect(credentials.read(stored)).rejects.toBeInstanceOf(CredentialUnavailable);

  const again = await credentials.save('m-1', 'sk-2');
  expect(sm.sent.slice(-3).map((c) => c.command)).toEqual(['PutSecretValue', 'RestoreSecret', 'PutSecretValue']);
  expect(await credentials.read(again)).toBe('sk-2');
  // Switching a model to an environment variable deletes its secret too; a secret already gone is no error.
  await credentials.retire(again, 'os.environ/UPSTREAM_KEY');
  expect(sm.sent.filter((c) => c.command === 'DeleteSecret')).toHaveLength(2);
  await expect(credentials.retire(`aws-secretsmanager:arn:aws:secretsmanager:eu-west-1:1:secret:gone-AbCdEf#v`, null)).resolves.toBeUndefined();
});

test('os.environ/NAME and literal keys of older rows need no Secrets Manager', async () => {
  const { sm, credentials } = store();
  expect(await credentials.save('m-1', 'os.environ/UPSTREAM_KEY')).toBe('os.environ/UPSTREAM_KEY');
  expect(await credentials.read('os.environ/UPSTREAM_KEY')).toBe('sk-from-env');
  expect(await credentials.read('os.environ/UNSET_KEY')).toBeNull();
  expect(await credentials.read('sk-literal-from-an-older-row')).toBe('sk-literal-from-an-older-row');
  expect(await credentials.read(null)).toBeNull();
  await credentials.retire('sk-literal-from-an-older-row', null);
  expect(sm.sent).toEqual([]);
});

test('a secret that cannot be read is a CredentialUnavailable naming the reason, never the value', async () => {
  const { sm, credentials } = store();
  const stored = await credentials.save('m-1', 'sk-hidden');
  sm.client.send.mockRejectedValueOnce(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }));
  const err = await credentials.read(stored).catch((e) => e);
  expect(err).toBeInstanceOf(CredentialUnavailable);
  expect(err.message).toContain('AccessDeniedException');
  expect(err.message).not.toContain('sk-hidden');
});

test('secret names: distinct model ids give distinct, valid names that never end in "-" and six characters', () => {
  const { credentials } = store();
  const names = ['a:b', 'a@3ab', 'config-my model', 'model-abcdef', '0b7c5d1e-2f3a-4b5c-8d9e-0f1a2b3c4d5e'].map((id) => credentials.secretName(id));
  expect(new Set(names).size).toBe(names.length);
  for (const n of names) {
    expect(n).toMatch(/^onramp\/models\/[A-Za-z0-9/_+=.@-]+\/api_key$/);
    expect(n).not.toMatch(/-[A-Za-z0-9]{6}$/);
  }
});

test('the table store (npm start, tests) keeps the key on the row and reads os.environ/NAME', async () => {
  const table = new TableCredentials({ UPSTREAM_KEY: 'sk-from-env' });
  expect(await table.save('m-1', 'sk-literal')).toBe('sk-literal');
  expect(await table.read('sk-literal')).toBe('sk-literal');
  expect(await table.read('os.environ/UPSTREAM_KEY')).toBe('sk-from-env');
});
