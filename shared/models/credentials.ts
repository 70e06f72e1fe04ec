import { randomUUID } from 'node:crypto';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { logger } from '../core/logger';

/**
 * Where a model's `api_key` is kept. The model row stores only what {@link save}
 * returns; {@link read} turns that back into the secret when a call needs it.
 * `os.environ/NAME` (LiteLLM's convention) is kept as it is by every store and read
 * from the environment at call time.
 */
export interface CredentialStore {
  /** Keeps the model's credential before its row is written; returns what the row stores. */
  save(modelId: string, apiKey: string): Promise<string>;
  /** The secret behind what a row stores; null when the model has none (or the variable is unset). */
  read(stored: string | null): Promise<string | null>;
  /** The row now stores `current` instead of `previous` (null: the model was deleted): forgets what nothing refers to any more. */
  retire(previous: string | null, current: string | null): Promise<void>;
}

/** The model credential could not be read (Secrets Manager unreachable, secret deleted, access denied). */
export class CredentialUnavailable extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CredentialUnavailable';
  }
}

const ENV_REFERENCE = /^os\.environ\/(\w+)$/;

function fromEnvironment(stored: string, env: Record<string, string | undefined>): string | null | undefined {
  const ref = ENV_REFERENCE.exec(stored);
  return ref ? (env[ref[1]!] ?? null) : undefined;
}

/**
 * `npm start` and the tests: the credential stays on the model row, in the table, as
 * it always did (the table is on the developer's machine).
 */
export class TableCredentials implements CredentialStore {
  constructor(private readonly env: Record<string, string | undefined> = process.env) {}

  async save(_modelId: string, apiKey: string): Promise<string> {
    return apiKey;
  }

  async read(stored: string | null): Promise<string | null> {
    if (!stored) return null;
    const fromEnv = fromEnvironment(stored, this.env);
    return fromEnv === undefined ? stored : fromEnv;
  }

  async retire(): Promise<void> {}
}

/** What a row stores for a credential in Secrets Manager: `aws-secretsmanager:<secret ARN>#<version id>`. */
const REFERENCE = 'aws-secretsmanager:';

export type SecretsManagerCredentialsOptions = {
  /** Every model secret's name starts with it; the functions' IAM grants are scoped to it. @example 'onramp/models/' */
  prefix: string;
  /** How long a read secret is reused within one function instance. @default 300 */
  cacheSeconds?: number;
  /** Days a deleted model's secret can still be restored. @default 7 */
  recoveryWindowDays?: number;
  env?: Record<string, string | undefined>;
  now?: () => number;
};

/**
 * On AWS: one secret per model (`<prefix><model id>/api_key`); the row keeps only a
 * reference to the secret and the exact version it was given. Pinning the version
 * means an update whose row write fails (a concurrent change) leaves every call on the
 * version its row names, and a new key takes effect everywhere at once, whatever
 * a function instance has cached. Rows written before (a literal key) still work.
 */
export class SecretsManagerCredentials implements CredentialStore {
  private readonly cache = new Map<string, { value: string; until: number }>();
  private readonly cacheMs: number;
  private readonly recoveryWindowDays: number;
  private readonly env: Record<string, string | undefined>;
  private readonly now: () => number;

  constructor(
    private readonly client: Pick<SecretsManagerClient, 'send'>,
    private readonly options: SecretsManagerCredentialsOptions,
  ) {
    this.cacheMs = (options.cacheSeconds ?? 300) * 1000;
    this.recoveryWindowDays = options.recoveryWindowDays ?? 7;
    this.env = options.env ?? process.env;
    this.now = options.now ?? Date.now;
  }

  /**
   * The secret's name for a model. Model ids may hold `:`, which secret names may not;
   * every character outside `A-Za-z0-9_.-` is written `@<hex>` (so distinct ids keep
   * distinct names). The `/api_key` ending keeps a name from ending in `-` + six
   * characters, which Secrets Manager could take for the random suffix of an ARN.
   */
  secretName(modelId: string): string {
    const safe = [...modelId].map((ch) => (/[A-Za-z0-9_.-]/.test(ch) ? ch : `@${ch.codePointAt(0)!.toString(16)}`)).join('');
    return `${this.options.prefix}${safe}/api_key`;
  }

  async save(modelId: string, apiKey: string): Promise<string> {
    if (ENV_REFERENCE.test(apiKey)) return apiKey;
    const version = randomUUID();
    const arn = await this.putVersion(this.secretName(modelId), version, apiKey, true);
    return `${REFERENCE}${arn}#${version}`;
  }

  async read(stored: string | null): Promise<string | null> {
    if (!stored) return null;
    const fromEnv = fromEnvironment(stored, this.env);
    if (fromEnv !== undefined) return fromEnv;
    const ref = parseReference(stored);
    if (!ref) return stored;
    const cached = this.cache.get(stored);
    if (cached && cached.until > this.now()) return cached.value;
    let value: string | undefined;
    try {
      value = (await this.client.send(new GetSecretValueCommand({ SecretId: ref.arn, VersionId: ref.version }))).SecretString;
    } catch (err) {
      throw new CredentialUnavailable(`the model's credential could not be read from Secrets Manager (${errorName(err)})`, { cause: err });
    }
    if (value === undefined) throw new CredentialUnavailable("the model's credential in Secrets Manager has no string value");
    this.cache.set(stored, { value, until: this.now() + this.cacheMs });
    return value;
  }

  async retire(previous: string | null, current: string | null): Promise<void> {
    const old = previous ? parseReference(previous) : null;
    if (!old) return;
    // A new version of the same secret replaced it: the secret is still in use.
    if (current && parseReference(current)?.arn === old.arn) return;
    this.cache.delete(previous!);
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: old.arn, RecoveryWindowInDays: this.recoveryWindowDays, ForceDeleteWithoutRecovery: false }));
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') return;
      // The row no longer refers to it: a leftover secret, not lost data. Said loudly so someone deletes it.
      logger.error('could not schedule the deletion of a model secret', { secretArn: old.arn, error: err as Error });
    }
  }

  /** Adds the value as the secret's current version, creating the secret (or restoring a deleted one) first when needed. */
  private async putVersion(name: string, version: string, value: string, mayRetry: boolean): Promise<string> {
    try {
      const out = await this.client.send(new PutSecretValueCommand({ SecretId: name, ClientRequestToken: version, SecretString: value }));
      return out.ARN!;
    } catch (err) {
      if (errorName(err) === 'ResourceNotFoundException') {
        const out = await this.client.send(
          new CreateSecretCommand({ Name: name, ClientRequestToken: version, SecretString: value, Description: 'onramp: the api_key of one registered model (written by /model/new and /model/update)' }),
        );
        return out.ARN!;
      }
      // A model registered again under the id of one deleted within the recovery window.
      if (mayRetry && errorName(err) === 'InvalidRequestException' && /delet/i.test((err as Error).message)) {
        await this.client.send(new RestoreSecretCommand({ SecretId: name }));
        return this.putVersion(name, version, value, false);
      }
      throw err;
    }
  }
}

function parseReference(stored: string): { arn: string; version: string } | null {
  if (!stored.startsWith(REFERENCE)) return null;
  const hash = stored.lastIndexOf('#');
  if (hash < 0) return null;
  return { arn: stored.slice(REFERENCE.length, hash), version: stored.slice(hash + 1) };
}

function errorName(err: unknown): string {
  return (err as { name?: string })?.name ?? 'Error';
}
