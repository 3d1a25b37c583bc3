/**
 * A Redis server of a test's own, for tests that kill or restart Redis: the shared server the
 * other specs use is never touched. Each one runs `redis-server` as a child process on a free
 * loopback port, in a fresh temp folder that holds its dump.rdb.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { errorMessage } from '#tenant-migration';

export interface PrivateRedis {
  readonly url: string;
  readonly port: number;
  /** The current server process; a restart changes it. */
  readonly pid: number;
  /** Runs SAVE: dump.rdb then holds the current data, and a restart loads it. */
  snapshot(): Promise<void>;
  /** SIGKILL, like an operator's kill -9 (nothing is saved); resolves once the process is gone. */
  kill(): Promise<void>;
  /** kill -9, then a new server on the same port and folder: it loads dump.rdb. */
  restart(): Promise<void>;
  /** Kills the server and removes its folder. */
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 15_000;

/** Every server process still alive, so `stopAllPrivateRedis` (and the exit hook) can end them by pid. */
const live = new Map<number, ChildProcess>();
const folders = new Set<string>();

// A test process that dies without its `after` hook must not leave servers behind.
process.on('exit', () => {
  for (const pid of live.keys()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A port nobody listens on right now: the kernel picks one for a throwaway listener. */
const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });

const exited = (child: ChildProcess): Promise<void> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => child.once('exit', () => resolve()));

/** One short-lived client per call: a server being restarted must not leave a client reconnecting. */
const withClient = async <T>(url: string, fn: (client: Redis) => Promise<T>): Promise<T> => {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableReadyCheck: false,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return await fn(client);
  } finally {
    client.disconnect();
  }
};

/**
 * Polls until the server answers PING and has finished loading its dump (`loading:0`): while it
 * loads, commands fail with LOADING, which a CLI started too early would report as a failure.
 */
const waitReady = async (url: string, child: ChildProcess, output: () => string): Promise<void> => {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `redis-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    try {
      const ready = await withClient(url, async (client) => {
        if ((await client.ping()) !== 'PONG') return false;
        return /^loading:0\r?$/m.test(await client.info('persistence'));
      });
      if (ready) return;
      last = 'still loading';
    } catch (error) {
      last = errorMessage(error);
    }
    await sleep(25);
  }
  throw new Error(
    `redis-server at ${url} not ready after ${READY_TIMEOUT_MS} ms (${last}):\n${output()}`,
  );
};

/** Starts a private Redis server and waits until it is ready. */
export const startPrivateRedis = async (): Promise<PrivateRedis> => {
  const dir = mkdtempSync(join(tmpdir(), 'tm-private-redis-'));
  folders.add(dir);
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    // Persistence only on demand (SAVE): no background saves, no AOF, so a kill -9 loses exactly
    // what was written since the last snapshot().
    const args = [
      '--bind',
      '127.0.0.1',
      '--port',
      String(port),
      '--dir',
      dir,
      '--dbfilename',
      'dump.rdb',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'no',
    ];
    const started = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      // The last lines are enough to explain a failed start.
      output = (output + chunk.toString()).slice(-4000);
    };
    started.stdout?.on('data', keep);
    started.stderr?.on('data', keep);
    await new Promise<void>((resolve, reject) => {
      started.once('spawn', resolve);
      started.once('error', reject);
    });
    const pid = started.pid;
    if (pid === undefined) throw new Error('redis-server started without a pid');
    live.set(pid, started);
    started.once('exit', () => live.delete(pid));
    child = started;
    await waitReady(url, started, () => output);
  };

  const kill = async (): Promise<void> => {
    const current = child;
    if (!current?.pid) return;
    if (current.exitCode === null && current.signalCode === null)
      process.kill(current.pid, 'SIGKILL');
    await exited(current);
    live.delete(current.pid);
  };

  await launch();
  return {
    url,
    port,
    get pid(): number {
      const pid = child?.pid;
      if (pid === undefined) throw new Error('no redis-server process');
      return pid;
    },
    snapshot: async () => {
      await withClient(url, async (client) => {
        await client.save();
      });
    },
    kill,
    restart: async () => {
      await kill();
      await launch();
    },
    stop: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
      folders.delete(dir);
    },
  };
};

/** Kills every private server still running (by pid) and removes every folder: for `after` hooks. */
export const stopAllPrivateRedis = async (): Promise<void> => {
  const children = [...live.values()];
  for (const child of children) {
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
      process.kill(child.pid, 'SIGKILL');
  }
  await Promise.all(children.map(exited));
  live.clear();
  for (const dir of folders) rmSync(dir, { recursive: true, force: true });
  folders.clear();
};
