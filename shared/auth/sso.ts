import { SignJWT, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { SsoConfig } from '../config/config';
import { DomainError, forbidden, unauthenticated } from '../core/errors';
import { logger } from '../core/logger';
import type { UserItem } from '../users/model';
import { normalizeEmail } from '../users/service';

/**
 * OpenID Connect sign-in (authorization code + PKCE) with `openid-client`.
 *
 * Nothing is stored between the redirect to the IdP and the callback: state, nonce,
 * PKCE verifier and where to go afterwards travel in a short-lived cookie signed
 * with jose (its own audience, so it is never taken for a session). The ID token's
 * signature is checked against the IdP's JWKS even though it comes straight from
 * the token endpoint, so a token altered on the way is refused.
 */
export const SSO_FLOW_COOKIE = 'onramp_sso';
/** How long the user has at the IdP before the sign-in attempt expires. */
export const SSO_FLOW_MINUTES = 10;
const ALG = 'HS256';
const ISSUER = 'onramp';
const FLOW_AUDIENCE = 'onramp-sso-flow';
/** Requests to the IdP give up after this, well inside API Gateway's 30 s. */
const IDP_TIMEOUT_SECONDS = 10;

type FlowState = { state: string; nonce: string; verifier: string; next: string };

export type SsoResult = {
  user: UserItem;
  /** True when this sign-in created the user. */
  created: boolean;
  /** Teams from IdP groups (or default teams) the user could not join; the sign-in still succeeds. */
  join_errors: Array<{ team_id: string; message: string }>;
};

/**
 * The accounts side of a sign-in (shared/provisioning): the user with a verified email,
 * created on first sign-in like any other, then added to the teams of their IdP groups.
 */
export type SsoAccounts = { signInFromSso(email: string, groupTeams: Iterable<string>): Promise<SsoResult> };

export class SsoSignIn {
  private readonly flowKey: Uint8Array;
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    private readonly config: SsoConfig,
    jwtSecret: string,
    private readonly accounts: SsoAccounts,
  ) {
    this.flowKey = new TextEncoder().encode(jwtSecret);
  }

  /**
   * The IdP's authorization URL and the signed cookie value that remembers this attempt.
   * @param redirectUri `<public base>/sso/callback`, registered at the IdP.
   * @param next the page to land on afterwards (already checked to be one of ours).
   */
  async start(redirectUri: string, next: string, now: Date): Promise<{ url: URL; flowCookie: string; expires: Date }> {
    const configuration = await this.discover();
    const flow: FlowState = { state: oidc.randomState(), nonce: oidc.randomNonce(), verifier: oidc.randomPKCECodeVerifier(), next };
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: this.config.scope,
      response_type: 'code',
      state: flow.state,
      nonce: flow.nonce,
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
    });
    const iat = Math.floor(now.getTime() / 1000);
    const exp = iat + SSO_FLOW_MINUTES * 60;
    const flowCookie = await new SignJWT({ ...flow })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setIssuer(ISSUER)
      .setAudience(FLOW_AUDIENCE)
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.flowKey);
    return { url, flowCookie, expires: new Date(exp * 1000) };
  }

  /**
   * Finishes the sign-in: checks the IdP's answer against the attempt in the cookie,
   * redeems the code (with the PKCE verifier), verifies the ID token, and finds the
   * user by email or creates them with the default user settings.
   * @param callbackUrl the redirect URI with the query the IdP sent.
   */
  async finish(callbackUrl: URL, flowCookie: string | undefined, now: Date): Promise<SsoResult & { next: string }> {
    const flow = await this.readFlow(flowCookie, now);
    const idpError = callbackUrl.searchParams.get('error');
    if (idpError) {
      const description = callbackUrl.searchParams.get('error_description');
      throw unauthenticated(`The identity provider refused the sign-in (${idpError}${description ? `: ${description}` : ''}).`);
    }
    const configuration = await this.discover();
    let claims: Record<string, unknown>;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idToken = tokens.claims()!;
      claims = { ...idToken };
      // Claims the ID token lacks (many IdPs keep email and groups for userinfo) come
      // from userinfo, for the same subject; the ID token's own claims always win.
      if (configuration.serverMetadata().userinfo_endpoint && (claims[this.config.emailClaim] === undefined || (this.config.teamsClaim && claims[this.config.teamsClaim] === undefined))) {
        const userinfo = await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
        claims = { ...userinfo, ...claims };
      }
    } catch (err) {
      if (err instanceof DomainError) throw err;
      const reason = describe(err);
      logger.warn('SSO callback refused', { reason });
      throw unauthenticated(`SSO sign-in failed: ${reason}. Start again from the sign-in page.`);
    }
    const result = await this.signIn(claims);
    return { ...result, next: flow.next };
  }

  private async readFlow(token: string | undefined, now: Date): Promise<FlowState> {
    const expired = unauthenticated('This SSO sign-in attempt has expired or was started in another browser. Start again from the sign-in page.');
    if (!token) throw expired;
    try {
      const { payload } = await jwtVerify(token, this.flowKey, { algorithms: [ALG], issuer: ISSUER, audience: FLOW_AUDIENCE, currentDate: now });
      const { state, nonce, verifier, next } = payload;
      if (typeof state !== 'string' || typeof nonce !== 'string' || typeof verifier !== 'string' || typeof next !== 'string') throw expired;
      return { state, nonce, verifier, next };
    } catch {
      throw expired;
    }
  }

  /** The user with the IdP's verified email, created on first sign-in; then their groups' teams. */
  private async signIn(claims: Record<string, unknown>): Promise<SsoResult> {
    const rawEmail = claims[this.config.emailClaim];
    if (typeof rawEmail !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(rawEmail.trim())) {
      throw forbidden(`The identity provider sent no email address (claim "${this.config.emailClaim}"), so onramp cannot tell who you are.`);
    }
    const email = normalizeEmail(rawEmail);
    // Matching by email hands the account to whoever the IdP says owns the address:
    // an address the IdP itself has not verified must not get that far.
    if (claims.email_verified === false || claims.email_verified === 'false') {
      throw forbidden(`The identity provider has not verified ${email}. Verify it there, then sign in again.`);
    }
    const result = await this.accounts.signInFromSso(email, this.groupTeams(claims));
    if (result.join_errors.length) logger.warn('SSO user could not join some teams', { userId: result.user.user_id, join_errors: result.join_errors });
    return result;
  }

  /** The teams the user's IdP groups map to (none unless a teams claim is configured). */
  private groupTeams(claims: Record<string, unknown>): Set<string> {
    const { teamsClaim, teamMap } = this.config;
    if (!teamsClaim) return new Set();
    const raw = claims[teamsClaim];
    const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === 'string') : typeof raw === 'string' ? [raw] : [];
    return new Set(groups.flatMap((g) => (teamMap ? (teamMap[g] ?? []) : [g])));
  }

  /** Discovery once per process; a failure is retried on the next sign-in. */
  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= discover(this.config).catch((err: unknown) => {
      this.configuration = undefined;
      logger.error('SSO discovery failed', { issuer: this.config.issuer, reason: describe(err) });
      throw new IdpUnavailableError(`The identity provider ${this.config.issuer} could not be reached or its discovery document is invalid: ${describe(err)}`, { cause: err });
    });
    return this.configuration;
  }
}

/** The IdP did not answer or answered nonsense: the sign-in cannot even start (HTTP 502). */
export class IdpUnavailableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdpUnavailableError';
  }
}

async function discover(config: SsoConfig): Promise<oidc.Configuration> {
  const issuer = new URL(config.issuer);
  const configuration = await oidc.discovery(issuer, config.clientId, { client_secret: config.clientSecret }, oidc.ClientSecretBasic(config.clientSecret), {
    // shared/config/config.ts allows http only for an issuer on this machine.
    execute: [...(issuer.protocol === 'http:' ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
    timeout: IDP_TIMEOUT_SECONDS,
  });
  return configuration;
}

/**
 * What openid-client says went wrong (state mismatch, bad signature, the IdP's own
 * `error`), in one line: its error objects carry keys and token bytes not worth logging.
 */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const e = err as Error & { error?: unknown; error_description?: unknown };
  const idp = typeof e.error === 'string' ? ` (${e.error}${typeof e.error_description === 'string' ? `: ${e.error_description}` : ''})` : '';
  const cause = err.cause instanceof Error ? ` (${err.cause.message})` : '';
  return `${err.message}${idp}${cause}`;
}
