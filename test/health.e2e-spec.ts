/**
 * The health routes end to end: `GET /health/live` answers from the process alone, and
 * `GET /health/ready` checks PostgreSQL, Redis and the backup folder's free space, answering 503
 * with terminus' document naming what failed. Both stores are reached through TCP proxies of
 * this file's own, so a test can make one unreachable without touching the shared servers (whose
 * data is never touched: the checks only ping them). The disk threshold is read at start-up, so
 * the threshold above any free space runs the compiled main.js as a child process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, TEST_REDIS_URL } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { collect } from './support/cli.js';
import { assertWithin } from './support/timing.js';
import { HEALTH_CHECK_TIMEOUT_MS } from '../apps/admin/src/store-probe.js';

const TOKEN = 'tm-health-test-token-0123456789ab';
const MAIN_ENTRY = fileURLToPath(new URL('../apps/admin/src/main.js', import.meta.url));
/** The in-process app's threshold: any file system has a byte free. */
const MIN_FREE_BYTES = 1;
const STORE_DOWN = `unreachable, or no answer within ${HEALTH_CHECK_TIMEOUT_MS} ms`;
const NO_CACHE = 'no-cache, no-store, must-revalidate';
const LIVE = { status: 'ok', info: {}, error: {}, details: {} };

type Store = 'postgres' | 'redis';

interface ReadyBody {
  status: string;
  info: Record<string, unknown>;
  error: Record<string, unknown>;
  details: { disk?: { freeBytes?: unknown } } & Record<string, unknown>;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The free bytes the answer reports: a positive integer that changes as the machine writes. */
const freeBytesOf = (body: ReadyBody): number => {
  const free = body.details.disk?.freeBytes;
  assert.ok(Number.isSafeInteger(free) && (free as number) > 0, `freeBytes ${String(free)}`);
  return free as number;
};

/** The ready document with `down` failed and the rest up, the disk's free bytes as answered. */
const readyBody = (down: readonly Store[], freeBytes: number): ReadyBody => {
  const disk = { status: 'up', freeBytes, minFreeBytes: MIN_FREE_BYTES };
  const stores = Object.fromEntries(
    (['postgres', 'redis'] as const).map((store) => [
      store,
      down.includes(store) ? { status: 'down', message: STORE_DOWN } : { status: 'up' },
    ]),
  );
  const details = { ...stores, disk };
  const pick = (up: boolean) =>
    Object.fromEntries(Object.entries(details).filter(([, v]) => (v.status === 'up') === up));
  return {
    status: down.length > 0 ? 'error' : 'ok',
    info: pick(true),
    error: pick(false),
    details,
  };
};

describe('health routes against real PostgreSQL and Redis', () => {
  let app: INestApplication<Server>;
  let postgresProxy: TcpProxy;
  let redisProxy: TcpProxy;
  let databaseUrl: string;
  let backupDir: string;

  const http = () => request(app.getHttpServer());
  const proxyOf = (store: Store): TcpProxy => (store === 'redis' ? redisProxy : postgresProxy);

  /** Polls /health/ready until it answers 200 again (the clients reconnect by themselves). */
  const untilReady = async (): Promise<void> => {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if ((await http().get('/health/ready').timeout(5000)).status === 200) return;
      await sleep(100);
    }
    assert.fail('/health/ready did not answer 200 within 15 s of the stores coming back');
  };

  before(async () => {
    databaseUrl = await createTestDatabase('health');
    const redisUrl = new URL(TEST_REDIS_URL);
    redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port) });
    postgresProxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(databaseUrl).port),
    });
    const proxiedPostgres = new URL(databaseUrl);
    proxiedPostgres.port = String(postgresProxy.port);
    const proxiedRedis = new URL(TEST_REDIS_URL);
    proxiedRedis.port = String(redisProxy.port);
    backupDir = await mkdtemp(join(tmpdir(), 'tm-health-backups-'));
    app = await startAdminApp({
      DATABASE_URL: proxiedPostgres.toString(),
      REDIS_URL: proxiedRedis.toString(),
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: backupDir,
      HEALTH_MIN_FREE_BYTES: String(MIN_FREE_BYTES),
      // No operation work in the background (the job queue's polling, the sweep for stale
      // operations), so the bytes through the proxies are the routes' alone.
      OPERATIONS_MODE: 'enqueue',
      OPERATION_HEARTBEAT_MS: '60000',
      OPERATION_STALE_MS: '3600000',
    });
  });

  after(async () => {
    redisProxy?.restore();
    postgresProxy?.restore();
    await closeAdminApp(app);
    await redisProxy?.close();
    await postgresProxy?.close();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  it('GET /health/live answers 200 without a token, and contacts no store', async () => {
    const sent = [postgresProxy.bytesFromServer, redisProxy.bytesFromServer];
    for (let i = 0; i < 3; i++) {
      const res = await http().get('/health/live');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, LIVE);
      assert.equal(res.headers['cache-control'], NO_CACHE);
    }
    assert.deepEqual(
      [postgresProxy.bytesFromServer, redisProxy.bytesFromServer],
      sent,
      'neither store said a word',
    );
  });

  it('GET /health/live stays 200, promptly, with both stores unreachable', async () => {
    postgresProxy.cut();
    redisProxy.cut();
    try {
      const started = Date.now();
      const res = await http().get('/health/live');
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body, LIVE);
      assertWithin(Date.now() - started, 0, 'GET /health/live with both stores down');
    } finally {
      postgresProxy.restore();
      redisProxy.restore();
    }
    await untilReady();
  });

  it('GET /health/ready answers 200 without a token with both stores and the disk up', async () => {
    const sent = redisProxy.bytesFromServer;
    const res = await http().get('/health/ready');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers['cache-control'], NO_CACHE);
    const body = res.body as ReadyBody;
    assert.deepEqual(body, readyBody([], freeBytesOf(body)));
    assert.ok(redisProxy.bytesFromServer > sent, 'Redis was asked');
    // The token changes nothing: the route is public either way.
    const withToken = await http().get('/health/ready').set('Authorization', `Bearer ${TOKEN}`);
    assert.equal(withToken.status, 200, withToken.text);
  });

  for (const [store, name] of [
    ['redis', 'Redis'],
    ['postgres', 'PostgreSQL'],
  ] as const) {
    it(`GET /health/ready answers 503 naming ${name}, promptly, when it is unreachable; /health agrees`, async () => {
      proxyOf(store).cut();
      try {
        const started = Date.now();
        const res = await http().get('/health/ready');
        const elapsed = Date.now() - started;
        assert.equal(res.status, 503, res.text);
        assert.match(String(res.headers['content-type']), /^application\/json/);
        const body = res.body as ReadyBody;
        assert.deepEqual(body, readyBody([store], freeBytesOf(body)));
        assert.doesNotMatch(
          res.text,
          /:\/\/|127\.0\.0\.1|ECONNREFUSED/,
          'no address, no error text',
        );
        assertWithin(elapsed, HEALTH_CHECK_TIMEOUT_MS, `GET /health/ready with ${name} down`);
        // The legacy route answers from the same store checks, in its own document.
        const legacy = await http().get('/health');
        assert.equal(legacy.status, 503);
        assert.deepEqual(legacy.body, {
          status: 'error',
          postgres: store === 'postgres' ? 'down' : 'up',
          redis: store === 'redis' ? 'down' : 'up',
        });
        assert.deepEqual((await http().get('/health/live')).body, LIVE);
      } finally {
        proxyOf(store).restore();
      }
      await untilReady();
      assert.deepEqual((await http().get('/health')).body, {
        status: 'ok',
        postgres: 'up',
        redis: 'up',
      });
    });
  }

  it('GET /health/ready answers 503 naming the disk when the backup folder has less free space than HEALTH_MIN_FREE_BYTES', async () => {
    const missingDir = join(backupDir, 'not-created-yet', 'backups');
    const child = spawn(process.execPath, [MAIN_ENTRY], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NO_COLOR: '1',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        ADMIN_TOKEN: TOKEN,
        // Not there yet: measured where a backup would create it.
        BACKUP_DIR: missingDir,
        HEALTH_MIN_FREE_BYTES: String(Number.MAX_SAFE_INTEGER),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = collect(child);
    try {
      const server = request(await listeningUrl(child));
      const res = await server.get('/health/ready');
      assert.equal(res.status, 503, res.text);
      const body = res.body as ReadyBody;
      const disk = {
        status: 'down',
        message: 'the backup folder has less free space than HEALTH_MIN_FREE_BYTES',
        freeBytes: freeBytesOf(body),
        minFreeBytes: Number.MAX_SAFE_INTEGER,
      };
      const stores = { postgres: { status: 'up' }, redis: { status: 'up' } };
      assert.deepEqual(body, {
        status: 'error',
        info: stores,
        error: { disk },
        details: { ...stores, disk },
      });
      assert.doesNotMatch(res.text, /not-created-yet|tm-health-backups/, 'no path in the answer');
      // Liveness and the legacy route are not about the disk.
      assert.deepEqual((await server.get('/health/live')).body, LIVE);
      assert.equal((await server.get('/health')).status, 200);
    } finally {
      child.kill('SIGTERM');
    }
    const result = await exited;
    assert.match(
      result.stdout + result.stderr,
      /Health Check has failed!.*"disk"/,
      'the failure is logged',
    );
  });
});

/** The URL the child logs once it listens (it binds PORT=0, so the log names the real port). */
const listeningUrl = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(
      () => reject(new Error('the admin app did not listen within 20 s')),
      20_000,
    );
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the admin app exited with ${code} before listening`));
    });
  });
