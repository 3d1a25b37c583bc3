/**
 * A store that goes away while the admin app is serving a request: the request is answered
 * promptly with a 503 `store-unavailable` problem naming the store (not a 500, not a hang), and
 * the app keeps serving; /health says which store is down and recovers with it.
 *
 * The real AppModule, with both stores reached through TCP proxies of this file's own. Each case
 * cuts a store at a point in the middle of the work: once the Redis proxy has forwarded a given
 * number of bytes after the request started (the readiness checks before the work are a few
 * bytes; the keyspace is megabytes). A store may also stop answering with its connection open
 * (the proxy freezes it), or make a request wait for a lock another session holds: the command
 * timeout and the lock timeout (shortened here) end the wait.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { createTestDatabase, TEST_REDIS_URL, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { assertProblem } from './support/problem.js';
import { assertTimedOutAt, assertWithin } from './support/timing.js';
import { bodyOf, type HealthBody, type ValidationBody } from './support/body.js';

const PREFIX = `${testNamespace('store_loss')}subdomain:`;
const TOKEN = 'tm-store-loss-token-0123456789abcd';
const BASE = '/api/admin/migration';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const KEYS = 20_000;
/**
 * A store lost mid-request fails the pending commands after the client's reconnection attempts:
 * the app's Redis client makes two (`maxRetriesPerRequest: 2`) after ioredis' default delays of
 * 50 and 100 ms; a lost PostgreSQL connection fails at once. (The clients' defaults took about
 * 10 s for Redis, and gave a 500 at once for PostgreSQL.)
 */
const RECONNECT_MS = 150;
/** Bytes into the keyspace at which a store is cut: well after the readiness checks, well before the end. */
const MIDWAY_BYTES = 150_000;
/** The app's bounds here (defaults 15 s and 30 s), so that the cases that wait them out stay short. */
const COMMAND_TIMEOUT_MS = 1500;
const LOCK_TIMEOUT_MS = 1000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('a store lost while a request is being served', () => {
  let app: INestApplication<Server>;
  let seeder: Redis;
  let redisProxy: TcpProxy;
  let postgresProxy: TcpProxy;
  let backupDir: string;
  let databaseUrl: string;

  const http = () => request(app.getHttpServer());

  /** Polls /health until both stores answer again (the clients reconnect on their own). */
  const untilHealthy = async (): Promise<void> => {
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      if ((await http().get('/health').timeout(5000)).status === 200) return;
      await sleep(100);
    }
    assert.fail('the stores did not come back within 20 s');
  };

  /**
   * Sends `send()`, cuts (or freezes) `victim` once the Redis proxy has forwarded MIDWAY_BYTES more, and
   * returns the answer with how long after the cut it came.
   */
  const cutMidway = async (
    send: () => request.Test,
    victim: TcpProxy,
    how: 'cut' | 'freeze' = 'cut',
  ): Promise<{ res: request.Response; afterCutMs: number }> => {
    const midway = redisProxy.whenServerSent(redisProxy.bytesFromServer + MIDWAY_BYTES);
    const answer = send().timeout(30_000);
    let cutAt = 0;
    const cut = midway.then(() => {
      cutAt = Date.now();
      if (how === 'cut') victim.cut();
      else victim.freeze();
    });
    const res = await answer;
    assert.ok(
      cutAt > 0,
      `the request finished before the store was cut (${res.status} ${res.text.slice(0, 200)}): seed more keys`,
    );
    await cut;
    return { res, afterCutMs: Date.now() - cutAt };
  };

  before(async () => {
    const redisTarget = new URL(TEST_REDIS_URL);
    seeder = new Redis(TEST_REDIS_URL);
    const seed = seeder.pipeline();
    for (let i = 0; i < KEYS; i++)
      seed.set(
        `${PREFIX}tenant-${i}`,
        JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 + i }),
      );
    await seed.exec();

    databaseUrl = await createTestDatabase('store_loss');
    redisProxy = await startTcpProxy({
      host: redisTarget.hostname,
      port: Number(redisTarget.port || 6379),
    });
    postgresProxy = await startTcpProxy({ host: '127.0.0.1', port: 5432 });
    const proxiedRedis = new URL(TEST_REDIS_URL);
    proxiedRedis.hostname = '127.0.0.1';
    proxiedRedis.port = String(redisProxy.port);
    const proxiedPostgres = new URL(databaseUrl);
    proxiedPostgres.port = String(postgresProxy.port);
    backupDir = await mkdtemp(join(tmpdir(), 'tm-store-loss-'));

    app = await startAdminApp({
      DATABASE_URL: proxiedPostgres.toString(),
      REDIS_URL: proxiedRedis.toString(),
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: backupDir,
      REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
      POSTGRES_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS),
    });
  });

  after(async () => {
    redisProxy?.restore();
    postgresProxy?.restore();
    await closeAdminApp(app);
    await redisProxy?.close();
    await postgresProxy?.close();
    if (seeder) {
      let cursor = '0';
      do {
        const [next, keys] = await seeder.scan(cursor, 'MATCH', `${PREFIX}*`, 'COUNT', 5000);
        if (keys.length > 0) await seeder.unlink(...keys);
        cursor = next;
      } while (cursor !== '0');
      seeder.disconnect();
    }
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  it('the whole keyspace answers while both stores are up', async () => {
    const res = await http().post(BASE).set(AUTH).send({ action: 'validate' });
    assert.equal(res.status, 200, res.text);
    assert.equal(bodyOf<ValidationBody>(res).scanned, KEYS);
  });

  const cases: { name: string; send: () => request.Test; victim: () => TcpProxy; store: RegExp }[] =
    [
      {
        name: 'validate, Redis cut',
        send: () => http().post(BASE).set(AUTH).send({ action: 'validate' }),
        victim: () => redisProxy,
        store: /Redis/,
      },
      {
        name: 'dry-run, Redis cut',
        send: () => http().post(BASE).set(AUTH).send({ action: 'dry-run' }),
        victim: () => redisProxy,
        store: /Redis/,
      },
      {
        name: 'dry-run, PostgreSQL cut',
        send: () => http().post(BASE).set(AUTH).send({ action: 'dry-run' }),
        victim: () => postgresProxy,
        store: /PostgreSQL/,
      },
      {
        name: 'check, Redis cut',
        send: () => http().get(`${BASE}?action=check`).set(AUTH),
        victim: () => redisProxy,
        store: /Redis/,
      },
      {
        name: 'backup, Redis cut',
        send: () => http().post(BASE).set(AUTH).send({ action: 'backup' }),
        victim: () => redisProxy,
        store: /Redis/,
      },
    ];

  for (const { name, send, victim, store } of cases) {
    it(`${name}: a prompt 503 store-unavailable naming the store; /health says so, then recovers`, async () => {
      const proxy = victim();
      const { res, afterCutMs } = await cutMidway(send, proxy);
      try {
        assertProblem(res, 503, 'store-unavailable', store, name);
        assertWithin(afterCutMs, RECONNECT_MS, `${name}: the answer after the cut`);
        const health = await http().get('/health').timeout(5000);
        assert.equal(health.status, 503, health.text);
        assert.equal(
          bodyOf<HealthBody>(health)[proxy === redisProxy ? 'redis' : 'postgres'],
          'down',
        );
      } finally {
        proxy.restore();
      }
      await untilHealthy();
      // Serving as before: the same request now succeeds.
      const again = await send().timeout(30_000);
      assert.ok(
        again.status === 200 || again.status === 201,
        `${name} after recovery: ${again.status} ${again.text.slice(0, 300)}`,
      );
    });
  }
  it('a Redis that stops answering midway (connection open, no reply): 503 once the command timeout has passed', async () => {
    const { res, afterCutMs } = await cutMidway(
      () => http().post(BASE).set(AUTH).send({ action: 'validate' }),
      redisProxy,
      'freeze',
    );
    try {
      assertProblem(res, 503, 'store-unavailable', /Redis/);
      assertTimedOutAt(afterCutMs, COMMAND_TIMEOUT_MS, 'the answer after the freeze');
      assert.equal(bodyOf<HealthBody>(await http().get('/health').timeout(5000)).redis, 'down');
    } finally {
      redisProxy.restore();
    }
    await untilHealthy();
  });

  it('a lock another session holds on the tenants table: 503 naming the lock once the lock timeout has passed', async () => {
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE tenants IN ACCESS EXCLUSIVE MODE');
      const started = Date.now();
      const res = await http().get(`${BASE}?action=check`).set(AUTH).timeout(30_000);
      const elapsed = Date.now() - started;
      assertProblem(
        res,
        503,
        'store-unavailable',
        /another session held a lock this needs for longer than the lock timeout/,
      );
      assertTimedOutAt(elapsed, LOCK_TIMEOUT_MS, 'the answer to a check behind a lock');
      assert.equal(
        (await http().get('/health').timeout(5000)).status,
        200,
        'both stores answer: only the table was locked',
      );
    } finally {
      await holder.query('ROLLBACK');
      await holder.end();
    }
    const again = await http().get(`${BASE}?action=check`).set(AUTH).timeout(30_000);
    assert.equal(again.status, 200, again.text.slice(0, 300));
  });
});
