import { connect, createServer } from 'node:net';

/** A port that is free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A port the local stack needs is taken by another process. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    readonly what: string,
  ) {
    super(`port ${port} (${what}) is already in use`);
    this.name = 'PortInUseError';
  }
}

/** True when nothing can bind `port` on `host` (someone listens there, on that address or on every address). */
function cannotBind(port: number, host: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' ? resolve(true) : reject(err)));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(false)));
  });
}

/** True when something accepts connections on `host:port` (e.g. a server bound to another address family). */
function answers(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(1000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * Throws PortInUseError when `port` is taken. Checked before starting a server,
 * because DynamoDB Local on a taken port exits only after the other instance has
 * answered our readiness probe: we would silently use someone else's data.
 */
export async function assertPortFree(port: number, what: string, host = '127.0.0.1'): Promise<void> {
  if ((await cannotBind(port, host)) || (await answers(port, host))) throw new PortInUseError(port, what);
}
