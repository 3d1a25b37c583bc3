/**
 * A loopback TCP proxy in front of a store (PostgreSQL or Redis), so a test can make that store
 * disappear or stop answering under a running process without touching the shared server:
 * - `cut()` resets every connection and refuses new ones, as a store that went down does;
 * - `freeze()` keeps connections open but forwards nothing, as a hung store or a silent network
 *   does (no error ever reaches the client; only its own timeouts can end the wait);
 * - `restore()` accepts and forwards again; connections that lived through a freeze lost bytes,
 *   so they are reset (a client reconnects, as after a network failure).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface TcpProxy {
  /** `127.0.0.1:<port>` of the proxy. */
  readonly port: number;
  readonly connections: number;
  /** Bytes forwarded from the store to its clients so far. */
  readonly bytesFromServer: number;
  /** Resolves once `bytesFromServer` has reached `bytes` (a point in the middle of some work). */
  whenServerSent(bytes: number): Promise<void>;
  cut(): void;
  freeze(): void;
  restore(): void;
  close(): Promise<void>;
}

type State = 'open' | 'cut' | 'frozen';

export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  let state: State = 'open';
  let fromServer = 0;
  const waiters: { bytes: number; resolve: () => void }[] = [];
  const pairs = new Set<[Socket, Socket]>();

  const server: Server = createServer((client) => {
    if (state === 'cut') {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const end = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    // Forward by hand rather than pipe(), so that freezing holds the bytes back.
    client.on('data', (chunk: Buffer) => {
      if (state === 'open') upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (state !== 'open') return;
      client.write(chunk);
      fromServer += chunk.length;
      for (const waiter of waiters.filter((w) => w.bytes <= fromServer)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    });
  });
  const resetAll = (): void => {
    for (const [client, upstream] of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  };
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string')
    throw new Error('the proxy has no TCP address');

  return {
    port: address.port,
    get connections() {
      return pairs.size;
    },
    get bytesFromServer() {
      return fromServer;
    },
    whenServerSent(bytes: number) {
      if (fromServer >= bytes) return Promise.resolve();
      return new Promise<void>((resolve) => waiters.push({ bytes, resolve }));
    },
    cut() {
      state = 'cut';
      resetAll();
    },
    freeze() {
      state = 'frozen';
    },
    restore() {
      if (state === 'frozen') resetAll();
      state = 'open';
    },
    async close() {
      state = 'cut';
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
