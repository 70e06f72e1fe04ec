import { SignJWT, jwtVerify } from 'jose';
import { randomToken } from '../ids';

/**
 * Session tokens: HS256 JWTs signed with jose. Algorithm, issuer and audience are
 * pinned on verification, so `alg: none`, tokens for another audience and tokens
 * signed with another secret are all rejected.
 */
export const SESSION_COOKIE = 'token';
const ALG = 'HS256';
const ISSUER = 'onramp';
const AUDIENCE = 'onramp-session';

export type Session = { userId: string; csrf: string; expiresAt: Date };

export class SessionSigner {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly hours: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issue(userId: string, now = new Date()): Promise<{ token: string; session: Session }> {
    const csrf = randomToken(16);
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.hours * 3600;
    const token = await new SignJWT({ csrf })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, session: { userId, csrf, expiresAt: new Date(exp * 1000) } };
  }

  /** Returns the session, or null for any token that is not ours, valid and current. */
  async verify(token: string): Promise<Session | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['sub', 'exp', 'csrf'] });
      if (typeof payload.sub !== 'string' || typeof payload.csrf !== 'string' || typeof payload.exp !== 'number') return null;
      return { userId: payload.sub, csrf: payload.csrf, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return null;
    }
  }
}
