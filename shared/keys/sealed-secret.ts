import { createCipheriv, createDecipheriv, createECDH, hkdfSync, randomBytes } from 'node:crypto';
import { badRequest } from '../core/errors';

/**
 * A secret made by the scheduled rotation is sealed to the API, never stored in the
 * clear: the job has only the public half of a P-256 key pair (read from the table),
 * the private half is derived from the API's JWT secret, which the job is not given.
 * So neither the table nor the job can read a rotated secret; only the API can, for
 * the key's owner, once (see Keys.revealRotated).
 */
const CURVE = 'prime256v1';
const VERSION = 'v1';
const b64 = (b: Buffer | Uint8Array) => Buffer.from(b).toString('base64url');

function aesKey(shared: Buffer, ephemeralPublic: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, ephemeralPublic, 'onramp rotated key secret', 32));
}

/** Seals `secret` to the holder of the private key behind `publicKey` (base64url, uncompressed point). */
export function sealSecret(publicKey: string, secret: string): string {
  const ephemeral = createECDH(CURVE);
  const ephemeralPublic = ephemeral.generateKeys();
  const key = aesKey(ephemeral.computeSecret(Buffer.from(publicKey, 'base64url')), ephemeralPublic);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return [VERSION, b64(ephemeralPublic), b64(iv), b64(body), b64(cipher.getAuthTag())].join('.');
}

/** The API's key pair for rotated secrets, derived from its JWT secret. */
export class SecretSeal {
  private readonly ecdh = createECDH(CURVE);
  /** Written to the table so the scheduled job can seal without any secret. */
  readonly publicKey: string;

  constructor(jwtSecret: string) {
    this.ecdh.setPrivateKey(Buffer.from(hkdfSync('sha256', jwtSecret, 'onramp', 'rotated key seal v1', 32)));
    this.publicKey = this.ecdh.getPublicKey('base64url');
  }

  open(sealed: string): string {
    const [version, eph, iv, body, tag] = sealed.split('.');
    try {
      if (version !== VERSION || !eph || !iv || !body || !tag) throw new Error('malformed');
      const ephemeralPublic = Buffer.from(eph, 'base64url');
      const decipher = createDecipheriv('aes-256-gcm', aesKey(this.ecdh.computeSecret(ephemeralPublic), ephemeralPublic), Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      // Sealed under another JWT secret (it was changed since): the owner regenerates instead.
      throw badRequest('The rotated secret can no longer be opened (the server secret changed since the rotation): regenerate the key with /key/regenerate.', 'key');
    }
  }
}
