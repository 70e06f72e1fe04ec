import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const IDP_CLIENT_ID = 'onramp-test-client';
export const IDP_CLIENT_SECRET = 'onramp-test-client-secret-0123456789';

export type TestIdp = {
  issuer: string;
  /** What the IdP will say about this email's account. */
  account(email: string, claims?: { groups?: string[]; email_verified?: boolean }): Promise<void>;
  /** Alters the ID token of the next token response (see oidc-provider-server.mjs). */
  tamperNextIdToken(mode: 'claim' | 'resign', email?: string): Promise<void>;
  /** The env that points onramp at this IdP. */
  env(extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
};

/**
 * Starts the real OpenID Connect provider of ./oidc-provider-server.mjs in its own process on
 * 127.0.0.1, with one confidential client allowed to redirect to `redirectUris`.
 */
export async function startIdp(redirectUris: string[], port = 0): Promise<TestIdp> {
  const child: ChildProcess = spawn(process.execPath, [join(__dirname, 'oidc-provider-server.mjs')], {
    env: { ...process.env, IDP_CLIENT_ID, IDP_CLIENT_SECRET, IDP_REDIRECT_URIS: redirectUris.join(','), IDP_PORT: String(port), DEBUG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const issuer = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`test IdP did not start:\n${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.on('exit', (code) => reject(new Error(`test IdP exited (${code}):\n${stderr}`)));
  });
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${issuer}${path}`, { method: 'POST', body: JSON.stringify(body) });
    if (res.status !== 204) throw new Error(`test IdP ${path}: ${res.status}`);
  };
  return {
    issuer,
    account: (email, claims = {}) => post('/test/accounts', { email, ...claims }),
    tamperNextIdToken: (mode, email) => post('/test/tamper', { mode, email }),
    env: (extra = {}) => ({
      ONRAMP_SSO_ISSUER: issuer,
      GENERIC_CLIENT_ID: IDP_CLIENT_ID,
      GENERIC_CLIENT_SECRET: IDP_CLIENT_SECRET,
      GENERIC_SCOPE: 'openid email profile groups',
      ...extra,
    }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/**
 * Signs in at the IdP the way a browser would, without one: follows the redirects
 * from the authorization URL, submits the IdP's sign-in form, and returns the
 * redirect back to onramp's callback (with `code`, `state` and `iss`).
 */
export async function signInAtIdp(authorizationUrl: string, email: string): Promise<URL> {
  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const remember = (res: Response) => {
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (/expires=Thu, 01 Jan 1970/i.test(line) || value === '') jar.delete(name);
      else jar.set(name, value);
    }
  };
  const idpOrigin = new URL(authorizationUrl).origin;
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let hop = 0; hop < 10; hop++) {
    if (new URL(url).origin !== idpOrigin) return new URL(url);
    const res = await fetch(url, { ...init, redirect: 'manual', headers: { ...(init.headers as Record<string, string>), cookie: cookieHeader() } });
    remember(res);
    init = {};
    const location = res.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const html = await res.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (res.status !== 200 || !action || !html.includes('name="login"')) throw new Error(`unexpected IdP page ${res.status} at ${url}: ${html.slice(0, 500)}`);
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ prompt: 'login', login: email, password: 'any password' }).toString(),
    };
  }
  throw new Error('too many redirects at the IdP');
}
