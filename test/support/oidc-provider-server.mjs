/**
 * A real OpenID Connect provider (the `oidc-provider` package) for the SSO tests,
 * run as its own process on 127.0.0.1 (oidc-provider is ESM-only, jest loads CommonJS).
 *
 * Environment: IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URIS (comma-separated),
 * IDP_PORT (optional; any free port by default).
 * Prints `listening <issuer>` once it accepts connections.
 *
 * Sign-in uses oidc-provider's development interactions: any login (the email) and
 * any password. Consent is granted on its own so a test only signs in.
 *
 * Test-only endpoints (not OIDC):
 * - POST /test/accounts {email, groups?, email_verified?}: what the account's claims say.
 * - POST /test/tamper {mode: "claim" | "resign", email?}: the next token response's
 *   ID token is altered on its way out — "claim" rewrites its email claim and keeps
 *   the signature, "resign" signs the altered claims with a key that is not the IdP's.
 */
import { generateKeyPair, exportJWK, SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import Provider from 'oidc-provider';
import { createServer } from 'node:http';

const { IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URIS } = process.env;
if (!IDP_CLIENT_ID || !IDP_CLIENT_SECRET || !IDP_REDIRECT_URIS) throw new Error('IDP_CLIENT_ID, IDP_CLIENT_SECRET and IDP_REDIRECT_URIS are required');

/** email → claims */
const accounts = new Map();
/** The tampering to apply to the next token response, if any. */
let tamper = null;

const signing = await generateKeyPair('RS256', { extractable: true });
const jwk = { ...(await exportJWK(signing.privateKey)), kid: 'idp-key-1', alg: 'RS256', use: 'sig' };

const server = createServer();
await new Promise((resolve) => server.listen(Number(process.env.IDP_PORT ?? 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: IDP_CLIENT_ID,
      client_secret: IDP_CLIENT_SECRET,
      redirect_uris: IDP_REDIRECT_URIS.split(','),
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: { keys: [jwk] },
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
  // Put the scope's claims in the ID token too (most IdPs do), so the ID token is what onramp reads.
  conformIdTokenClaims: false,
  cookies: { keys: ['idp-test-cookie-key-0123456789'] },
  async findAccount(_ctx, id) {
    const claims = { email: id, email_verified: true, groups: [], ...accounts.get(id) };
    return { accountId: id, claims: async () => ({ sub: id, name: id, ...claims }) };
  },
  // Consent is not what these tests are about: grant what the client asked for.
  async loadExistingGrant(ctx) {
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope(ctx.oidc.params.scope);
    await grant.save();
    return grant;
  },
});

async function tamperIdToken(idToken, t) {
  const claims = { ...decodeJwt(idToken), ...(t.email ? { email: t.email } : {}) };
  if (t.mode === 'resign') {
    const attacker = await generateKeyPair('RS256');
    return new SignJWT(claims).setProtectedHeader(decodeProtectedHeader(idToken)).sign(attacker.privateKey);
  }
  const [header, , signature] = idToken.split('.');
  return `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
}

provider.use(async (ctx, next) => {
  if (ctx.path.startsWith('/test/')) {
    const chunks = [];
    for await (const chunk of ctx.req) chunks.push(chunk);
    const body = JSON.parse(Buffer.concat(chunks).toString() || '{}');
    if (ctx.path === '/test/accounts') accounts.set(body.email, body);
    else if (ctx.path === '/test/tamper') tamper = body;
    else ctx.throw(404);
    ctx.status = 204;
    return;
  }
  await next();
  if (ctx.path === '/token' && tamper && ctx.body?.id_token) {
    ctx.body = { ...ctx.body, id_token: await tamperIdToken(ctx.body.id_token, tamper) };
    tamper = null;
  }
});

server.on('request', provider.callback());
process.stdout.write(`listening ${issuer}\n`);
