import { SignJWT, jwtVerify, type JWTPayload } from 'jose';
import { randomToken } from '../core/ids';

/**
 * Session tokens: HS256 JWTs signed with jose. Algorithm, issuer and audience are
 * pinned on verification, so `alg: none`, tokens for another audience and tokens
 * signed with another secret are all rejected.
 */
export const SESSION_COOKIE = 'token';
const ALG = 'HS256';
const ISSUER = 'onramp';
const AUDIENCE = 'onramp-session';

/** `stamp`: the user's session stamp when it was issued; only the current one is accepted (revocation). */
export type Session = { userId: string; csrf: string; expiresAt: Date; stamp: string | null };

/**
 * What LiteLLM's UI and tools read from a session or onboarding JWT besides who it
 * is for: `user_email` and `user_role` (display only: the role that applies is read
 * from the table on every request).
 */
export type TokenProfile = { user_email: string | null; user_role: string };

/**
 * LiteLLM's session and onboarding JWTs carry a `key` claim that clients send back
 * as `Authorization: Bearer <key>`. Here that key is a second token of the same
 * kind, signed with the same claims minus the profile and the key itself (a token
 * cannot hold itself), so both verify alike and either one works wherever the other does.
 */
async function signWithKey(sign: (claims: JWTPayload) => Promise<string>, base: JWTPayload, subject: string, profile?: TokenProfile) {
  const key = await sign(base);
  return sign({ ...base, user_id: subject, ...(profile ?? {}), key });
}

export class SessionSigner {
  private readonly key: Uint8Array;

  /** @param stampOf the user's current session stamp, written into each new session. */
  constructor(
    secret: string,
    private readonly hours: number,
    private readonly stampOf: (userId: string) => Promise<string | null> = async () => null,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  /**
   * A session token (the `token` cookie, and /v2/login's `token`): claims `sub`,
   * `csrf`, and as LiteLLM's `user_id`, `user_email`, `user_role` and `key` (a Bearer
   * credential for the same session).
   */
  async issue(userId: string, now = new Date(), profile?: TokenProfile): Promise<{ token: string; session: Session }> {
    const csrf = randomToken(16);
    const stamp = await this.stampOf(userId);
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + this.hours * 3600;
    const sign = (claims: JWTPayload) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: ALG, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(this.key);
    const token = await signWithKey(sign, { csrf, ...(stamp ? { stp: stamp } : {}) }, userId, profile);
    return { token, session: { userId, csrf, expiresAt: new Date(exp * 1000), stamp } };
  }

  /** Returns the session, or null for any token that is not ours, valid and current. */
  async verify(token: string): Promise<Session | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, { algorithms: [ALG], issuer: ISSUER, audience: AUDIENCE, requiredClaims: ['sub', 'exp', 'csrf'] });
      if (typeof payload.sub !== 'string' || typeof payload.csrf !== 'string' || typeof payload.exp !== 'number') return null;
      return { userId: payload.sub, csrf: payload.csrf, expiresAt: new Date(payload.exp * 1000), stamp: typeof payload.stp === 'string' ? payload.stp : null };
    } catch {
      return null;
    }
  }
}

const ONBOARDING_AUDIENCE = 'onramp-onboarding';
/** How long a token from /onboarding/get_token may be used to claim its invitation. */
export const ONBOARDING_TOKEN_MINUTES = 15;

/** What an onboarding token proves: who may set a password, through which invitation (its id's SHA-256). */
export type OnboardingGrant = { userId: string; invitationHash: string; expiresAt: Date };

/**
 * Short-lived tokens handed out by `/onboarding/get_token` and required by
 * `/onboarding/claim_token`. Same secret and algorithm as sessions but their own
 * audience, so neither kind of token is accepted in place of the other.
 */
export class OnboardingSigner {
  private readonly key: Uint8Array;

  constructor(secret: string) {
    this.key = new TextEncoder().encode(secret);
  }

  /** The token, with LiteLLM's `user_id`, `user_email`, `user_role` and `key` claims (`key` is what claim_token takes as Bearer). */
  async issue(userId: string, invitationHash: string, now = new Date(), profile?: TokenProfile): Promise<{ token: string; grant: OnboardingGrant }> {
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + ONBOARDING_TOKEN_MINUTES * 60;
    const sign = (claims: JWTPayload) =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: ALG, typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(ONBOARDING_AUDIENCE)
        .setIssuedAt(iat)
        .setExpirationTime(exp)
        .sign(this.key);
    const token = await signWithKey(sign, { inv: invitationHash }, userId, profile);
    return { token, grant: { userId, invitationHash, expiresAt: new Date(exp * 1000) } };
  }

  /**
   * Returns the grant, or null for any token that is not a current onboarding token of ours.
   * @param now checked against `exp` (the app's clock, so tests can move time).
   */
  async verify(token: string, now = new Date()): Promise<OnboardingGrant | null> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALG],
        issuer: ISSUER,
        audience: ONBOARDING_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'inv'],
        currentDate: now,
      });
      if (typeof payload.sub !== 'string' || typeof payload.inv !== 'string' || typeof payload.exp !== 'number') return null;
      return { userId: payload.sub, invitationHash: payload.inv, expiresAt: new Date(payload.exp * 1000) };
    } catch {
      return null;
    }
  }
}
