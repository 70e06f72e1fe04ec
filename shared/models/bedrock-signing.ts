import { createHash, createHmac } from 'node:crypto';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import type { SignatureV4 } from '@smithy/signature-v4';
import { CredentialUnavailable } from './credentials';

type AwsCredentialIdentityProvider = ConstructorParameters<typeof SignatureV4>[0]['credentials'];

/**
 * Loaded on the first signature, not at cold start: the API function leaves `@smithy/*`
 * to the Lambda runtime's AWS SDK (infra/stateless-stack.ts), and only Bedrock models
 * without an API key need it.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const signatureV4 = (): typeof SignatureV4 => (require('@smithy/signature-v4') as typeof import('@smithy/signature-v4')).SignatureV4;

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) =>
  typeof data === 'string' ? Buffer.from(data, 'utf8') : ArrayBuffer.isView(data) ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);

/** SHA-256 (and HMAC-SHA-256 with a key) in the shape SignatureV4 asks for, on node:crypto. */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

let defaultCredentials: ReturnType<typeof defaultProvider> | undefined;

/**
 * The function's own AWS credentials (the Lambda role's, from its environment; locally
 * the usual chain: env, profile, SSO…). Built once per process; the SDK's provider
 * caches and refreshes them before they expire.
 */
function functionCredentials(): ReturnType<typeof defaultProvider> {
  defaultCredentials ??= defaultProvider();
  return defaultCredentials;
}

/**
 * Signs a request to Bedrock's OpenAI-compatible endpoint with SigV4 (service
 * `bedrock`), for a `bedrock/` model that has no Bedrock API key: the returned headers
 * carry `authorization`, `x-amz-date` and, with temporary credentials,
 * `x-amz-security-token`. The body is signed as it will be sent.
 */
export async function signBedrockRequest(
  url: string,
  region: string,
  headers: Record<string, string>,
  body: string,
  credentials: AwsCredentialIdentityProvider = functionCredentials(),
): Promise<Record<string, string>> {
  const u = new URL(url);
  const signer = new (signatureV4())({ service: 'bedrock', region, credentials, sha256: Sha256 });
  let signed;
  try {
    signed = await signer.sign({
      method: 'POST',
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port ? Number(u.port) : undefined,
      path: u.pathname,
      query: Object.fromEntries(u.searchParams),
      headers: { ...headers, host: u.host },
      body,
    });
  } catch (err) {
    throw new CredentialUnavailable(
      `no AWS credentials to sign the Bedrock request (${(err as Error).message}): run onramp with an IAM role, or give the model a Bedrock API key as api_key`,
      { cause: err },
    );
  }
  // fetch sets Host itself, from the same URL.
  const { host: _host, ...out } = signed.headers;
  return out;
}
