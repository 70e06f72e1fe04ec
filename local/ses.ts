import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { assertPortFree } from './ports';

export type LocalSes = { endpoint: string; stop: () => Promise<void> };

/**
 * Starts aws-ses-v2-local in this process, on loopback only (its default host
 * listens on every interface). Sent mail is readable at `<endpoint>/store`. Port 0
 * picks a free one; a taken port throws PortInUseError (the package itself would
 * crash the process with an unhandled 'error' event).
 */
export async function startSes(opts: { port: number }): Promise<LocalSes> {
  if (opts.port !== 0) await assertPortFree(opts.port, 'local SES');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('aws-ses-v2-local') as { default?: (c: { host: string; port: number }) => Promise<Server> };
  const start = (mod.default ?? mod) as unknown as (c: { host: string; port: number }) => Promise<Server>;
  const server = await start({ host: '127.0.0.1', port: opts.port });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

export type StoredEmail = {
  messageId: string;
  from: string;
  destination: { to: string[]; cc: string[]; bcc: string[] };
  subject: string;
  body: { text?: string; html?: string };
  at: number;
};

/** The mail the local SES endpoint has accepted. */
export async function readMailbox(endpoint: string): Promise<StoredEmail[]> {
  const res = await fetch(`${endpoint}/store`);
  if (!res.ok) throw new Error(`local SES store answered ${res.status}`);
  return ((await res.json()) as { emails: StoredEmail[] }).emails;
}
