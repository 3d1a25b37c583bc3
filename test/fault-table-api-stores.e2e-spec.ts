/**
 * The admin API's fault table for the stores: every route with Redis, PostgreSQL or both down
 * before the request, not answering (frozen), and lost in the middle of a request that was
 * accepted (cut, or frozen, once the work has read part of the keyspace). A request that needs
 * a store that is gone answers a prompt 503 `store-unavailable` naming it, never a 500 and never
 * a hang; one that does not need it still answers; `/health` says which store is down after
 * each row, and 200 once it is back.
 *
 * The real AppModule in this process, with both stores reached through TCP proxies of this
 * file's own: Redis a private server, PostgreSQL the machine's (its data is never touched).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import { BackupService } from '#tenant-migration';
import { createTestDatabase, testNamespace } from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import {
  startPrivateRedis,
  stopAllPrivateRedis,
  type PrivateRedis,
} from './support/private-redis.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';
import { legacy } from './support/tenant-fixtures.js';
import { assertWithin } from './support/timing.js';
import { bodyOf, type RunBody, type RunStartedBody } from './support/body.js';
import { settledRun } from './support/run-polling.js';
import { STORE_READINESS_TIMEOUT_MS } from '../libs/tenant-migration/src/http/store-readiness.js';
import {
  ANSWER_BOUND_MS,
  answerOf,
  assertProblemAnswer,
  HEALTHY,
  rowName,
} from './support/api-fault-table.js';

const PREFIX = `${testNamespace('fault_table_api_stores')}subdomain:`;
const TOKEN = 'tm-fault-table-api-stores-token-0123';
const BASE = '/api/admin/migration';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const KEYS = 10_000;
/** A store down before the request: the readiness check gives up after this (2 s). */
const READINESS_TIMEOUT_MS = STORE_READINESS_TIMEOUT_MS;
/**
 * A store lost mid-request fails the pending commands after the client's reconnection attempts:
 * the app's Redis client makes two (`maxRetriesPerRequest: 2`) after ioredis' default delays of
 * 50 and 100 ms; a lost PostgreSQL connection fails at once.
 */
const RECONNECT_MS = 150;
/** The app's bound on a PostgreSQL that stops answering (POSTGRES_REPLY_TIMEOUT_MS, set below). */
const POSTGRES_REPLY_TIMEOUT_MS = 3000;
/** The app's bound on a Redis that stops answering: REDIS_COMMAND_TIMEOUT_MS's default. */
const REDIS_COMMAND_TIMEOUT_MS = 15_000;
/** Bytes the Redis proxy forwards after the request starts before the fault: past the readiness checks, far from the end (~1.2 MB). */
const REDIS_MIDWAY_BYTES = 150_000;
/** Bytes of a PostgreSQL COPY out (~3 MB for the tenants) before the fault. */
const POSTGRES_MIDWAY_BYTES = 200_000;

type Store = 'redis' | 'postgres';
const NAME: Record<Store, string> = { redis: 'Redis', postgres: 'PostgreSQL' };

let app: INestApplication<Server>;
let redisProxy: TcpProxy;
let postgresProxy: TcpProxy;
let runId = '';

const http = () => request(app.getHttpServer());
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const proxyOf = (store: Store): TcpProxy => (store === 'redis' ? redisProxy : postgresProxy);

/** Every route and action of the README's route table, and the stores it needs. */
interface Route {
  route: string;
  send: () => request.Test;
  needs: readonly Store[];
  /** Its status when it succeeds. */
  ok: number;
}
const getAction = (action: string, needs: readonly Store[]): Route => ({
  route: `GET ${BASE}?action=${action}`,
  send: () => http().get(`${BASE}?action=${action}`).set(AUTH),
  needs,
  ok: 200,
});
const postAction = (
  label: string,
  body: Record<string, unknown>,
  needs: readonly Store[],
  ok = 200,
): Route => ({
  route: `POST ${BASE} ${label}`,
  send: () => http().post(BASE).set(AUTH).send(body),
  needs,
  ok,
});
const BOTH = ['postgres', 'redis'] as const;
const ROUTES: Route[] = [
  getAction('status', ['postgres']),
  getAction('runs', ['postgres']),
  getAction('backups', ['postgres']),
  getAction('check', BOTH),
  getAction('stats', BOTH),
  getAction('report', BOTH),
  getAction('test', BOTH),
  {
    route: `GET ${BASE}/runs/:id`,
    send: () => http().get(`${BASE}/runs/${runId}`).set(AUTH),
    needs: ['postgres'],
    ok: 200,
  },
  {
    route: `GET ${BASE}/runs/:id/exceptions`,
    send: () => http().get(`${BASE}/runs/${runId}/exceptions`).set(AUTH),
    needs: ['postgres'],
    ok: 200,
  },
  {
    route: 'GET /api/admin/tenants/:subdomain',
    send: () => http().get('/api/admin/tenants/tenant-1').set(AUTH),
    needs: BOTH,
    ok: 200,
  },
  postAction('migrate', { action: 'migrate' }, BOTH, 202),
  postAction('dry-run', { action: 'dry-run' }, BOTH),
  postAction('validate', { action: 'validate' }, ['redis']),
  postAction('backup', { action: 'backup' }, BOTH, 201),
  postAction('backup (postgres)', { action: 'backup', postgres: true }, BOTH, 201),
  postAction('sync', { action: 'sync', subdomain: 'tenant-1' }, BOTH),
  postAction('cleanup (preview)', { action: 'cleanup' }, BOTH),
  postAction('cleanup (confirm)', { action: 'cleanup', confirm: true }, BOTH),
];

/** `/health` while `down` are down: 503 with its document, or 200 when none is. */
const assertHealth = async (down: readonly Store[], label: string): Promise<void> => {
  const health = await answerOf(http().get('/health'), `${label}: /health`);
  if (down.length === 0) {
    assert.equal(health.status, 200, `${label}: /health ${health.text}`);
    assert.deepEqual(health.body, HEALTHY, `${label}: /health`);
    return;
  }
  assert.equal(health.status, 503, `${label}: /health ${health.text}`);
  assert.deepEqual(
    health.body,
    {
      status: 'error',
      postgres: down.includes('postgres') ? 'down' : 'up',
      redis: down.includes('redis') ? 'down' : 'up',
    },
    `${label}: /health`,
  );
};

/** Polls /health until both stores answer again (the clients reconnect by themselves). */
const untilHealthy = async (): Promise<void> => {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await http().get('/health').timeout(5000)).status === 200) return;
    await sleep(100);
  }
  assert.fail('the stores did not come back within 20 s');
};

const unavailable = (down: readonly Store[]): RegExp => {
  const names = down.map((store) => NAME[store]).join(' and ');
  return new RegExp(
    `^${names} ${down.length > 1 ? 'are' : 'is'} unavailable: nothing was done; try again once ${down.length > 1 ? 'they answer' : 'it answers'}$`,
  );
};

/** The stores in `down` are down (cut) or not answering (frozen) before each row's request. */
const outageTable = (down: readonly Store[], how: 'cut' | 'freeze', routes: Route[]): void => {
  const title = `${down.map((store) => NAME[store]).join(' and ')} ${how === 'cut' ? 'down' : 'not answering'}`;
  // The rows' requests are independent, and each waits up to the readiness bound: all at once.
  describe(title, { concurrency: true }, () => {
    before(() => {
      for (const store of down) proxyOf(store)[how]();
    });
    after(async () => {
      for (const store of down) proxyOf(store).restore();
      await untilHealthy();
    });
    for (const route of routes) {
      const missing = route.needs.filter((store) => down.includes(store));
      const row = {
        route: route.route,
        fault: title,
        status: missing.length > 0 ? 503 : route.ok,
        code: missing.length > 0 ? 'store-unavailable' : 'none',
      };
      it(rowName(row), async () => {
        const label = rowName(row);
        const started = Date.now();
        const res = await answerOf(route.send(), label);
        const elapsed = Date.now() - started;
        if (missing.length > 0)
          assertProblemAnswer(
            res,
            { status: 503, code: 'store-unavailable', detail: unavailable(missing) },
            label,
          );
        else assert.equal(res.status, route.ok, `${label}: ${res.text.slice(0, 300)}`);
        assertWithin(elapsed, READINESS_TIMEOUT_MS, label);
        await assertHealth(down, label);
      });
    }
  });
};

interface MidwayRow {
  route: Route;
  victim: Store;
  /** The proxy whose bytes say how far the work has got (default Redis). */
  countOn?: Store;
}

/**
 * Sends the request and, once the counting proxy has forwarded a share of the work, cuts or
 * freezes the victim; returns the answer and how long after the fault it came.
 */
const faultMidway = async (
  row: MidwayRow,
  how: 'cut' | 'freeze',
  label: string,
  onFault: () => void = () => undefined,
): Promise<{ res: request.Response; afterFaultMs: number }> => {
  const counter = proxyOf(row.countOn ?? 'redis');
  const midway = counter.whenServerSent(
    counter.bytesFromServer + (counter === redisProxy ? REDIS_MIDWAY_BYTES : POSTGRES_MIDWAY_BYTES),
  );
  let faultAt = 0;
  const answer = answerOf(row.route.send(), label);
  void midway.then(() => {
    faultAt = Date.now();
    proxyOf(row.victim)[how]();
    onFault();
  });
  const res = await answer;
  assert.ok(
    faultAt > 0,
    `${label}: the request was answered before the fault (${res.status} ${res.text.slice(0, 200)}): give it more work`,
  );
  return { res, afterFaultMs: Date.now() - faultAt };
};

const midwayRowName = (row: MidwayRow, how: 'cut' | 'freeze'): string =>
  rowName({
    route: row.route.route,
    fault: `${NAME[row.victim]} ${how === 'cut' ? 'lost' : 'stops answering'} mid-request`,
    status: 503,
    code: 'store-unavailable',
  });

/** A route of ROUTES by its label. */
const route = (label: string): Route => {
  const found = ROUTES.find((r) => r.route.endsWith(label));
  if (!found) throw new Error(`no route ${label}`);
  return found;
};

const CUT_MIDWAY: MidwayRow[] = [
  { route: route('POST /api/admin/migration validate'), victim: 'redis' },
  { route: route('dry-run'), victim: 'redis' },
  { route: route('dry-run'), victim: 'postgres' },
  { route: route('?action=check'), victim: 'redis' },
  { route: route('?action=check'), victim: 'postgres' },
  { route: route('?action=stats'), victim: 'redis' },
  { route: route('?action=report'), victim: 'redis' },
  { route: route('?action=report'), victim: 'postgres' },
  { route: route('POST /api/admin/migration backup'), victim: 'redis' },
  { route: route('backup (postgres)'), victim: 'postgres', countOn: 'postgres' },
  { route: route('cleanup (preview)'), victim: 'redis' },
];

describe('admin API fault table: stores', () => {
  let redis: PrivateRedis;
  let seeder: Redis;
  let backupDir: string;

  before(async () => {
    redis = await startPrivateRedis();
    seeder = new Redis(redis.url);
    const seed = seeder.pipeline();
    for (let i = 0; i < KEYS; i++)
      seed.set(`${PREFIX}tenant-${i}`, legacy('🍕', 1700000000000 + i));
    seed.set(`${PREFIX}broken`, '{"emoji":');
    await seed.exec();
    const databaseUrl = await createTestDatabase('fault_table_api_stores');
    redisProxy = await startTcpProxy({ host: '127.0.0.1', port: redis.port });
    postgresProxy = await startTcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(databaseUrl).port),
    });
    const proxied = new URL(databaseUrl);
    proxied.port = String(postgresProxy.port);
    backupDir = await mkdtemp(join(tmpdir(), 'tm-fault-table-api-stores-'));
    app = await startAdminApp({
      DATABASE_URL: proxied.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
      BACKUP_DIR: backupDir,
      // A frozen PostgreSQL is ended after this long without a reply (default 120 s, over the
      // rows' bound); Redis keeps its default command timeout (15 s).
      POSTGRES_REPLY_TIMEOUT_MS: String(POSTGRES_REPLY_TIMEOUT_MS),
    });
    // The keyspace in PostgreSQL (a large COPY for a PostgreSQL backup), a finished run, and a
    // verified backup (without one a cleanup is refused before it reads anything).
    const started = await http().post(BASE).set(AUTH).send({ action: 'migrate' });
    assert.equal(started.status, 202, started.text);
    runId = bodyOf<RunStartedBody>(started).runId;
    const run = await settledRun(
      () => http().get(`${BASE}/runs/${runId}`).set(AUTH),
      'the setup migration',
      { intervalMs: 50 },
    );
    assert.equal(run.status, 'completed', `the setup migration: ${JSON.stringify(run)}`);
    const backups = app.get(BackupService);
    assert.equal((await backups.verify((await backups.backupRedis()).id)).ok, true);
  });

  after(async () => {
    redisProxy?.restore();
    postgresProxy?.restore();
    await closeAdminApp(app);
    seeder?.disconnect();
    await redisProxy?.close();
    await postgresProxy?.close();
    await stopAllPrivateRedis();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  // A migrate accepted here would run on: the outage tables leave it out where it would start.
  const withoutStartingRuns = (down: readonly Store[]): Route[] =>
    ROUTES.filter((r) => !(r.ok === 202 && r.needs.every((store) => !down.includes(store))));
  outageTable(['redis'], 'cut', withoutStartingRuns(['redis']));
  outageTable(['postgres'], 'cut', withoutStartingRuns(['postgres']));
  outageTable(['postgres', 'redis'], 'cut', [
    route('POST /api/admin/migration migrate'),
    route('?action=status'),
    route('POST /api/admin/migration validate'),
  ]);
  outageTable(['redis'], 'freeze', [
    route('POST /api/admin/migration validate'),
    route('?action=status'),
  ]);
  outageTable(['postgres'], 'freeze', [
    route('?action=status'),
    route('POST /api/admin/migration validate'),
  ]);

  describe('a store lost mid-request', () => {
    for (const row of CUT_MIDWAY) {
      const name = midwayRowName(row, 'cut');
      it(name, async () => {
        const { res, afterFaultMs } = await faultMidway(row, 'cut', name);
        try {
          assertProblemAnswer(
            res,
            { status: 503, code: 'store-unavailable', detail: new RegExp(NAME[row.victim]) },
            name,
          );
          assertWithin(afterFaultMs, RECONNECT_MS, `${name}: the answer after the store was lost`);
          await assertHealth([row.victim], name);
        } finally {
          proxyOf(row.victim).restore();
        }
        await untilHealthy();
        await assertHealth([], name);
      });
    }

    it(`${rowName({ route: `POST ${BASE} migrate`, fault: 'Redis lost after the 202', status: 202, code: 'none' })}; the run is interrupted`, async () => {
      const label = 'migrate, Redis lost after the 202';
      const midway = redisProxy.whenServerSent(redisProxy.bytesFromServer + REDIS_MIDWAY_BYTES);
      const res = await answerOf(
        http().post(BASE).set(AUTH).send({ action: 'migrate', batchSize: 100 }),
        label,
      );
      assert.equal(res.status, 202, res.text);
      await midway;
      redisProxy.cut();
      try {
        const deadline = Date.now() + ANSWER_BOUND_MS;
        const { runId: startedRun } = bodyOf<RunStartedBody>(res);
        let run = bodyOf<RunBody>(await http().get(`${BASE}/runs/${startedRun}`).set(AUTH));
        while (run.status === 'running' && Date.now() < deadline) {
          await sleep(100);
          run = bodyOf<RunBody>(await http().get(`${BASE}/runs/${startedRun}`).set(AUTH));
        }
        assert.equal(run.status, 'interrupted', `${label}: ${JSON.stringify(run)}`);
        assert.match(String(run.error), /Redis/, label);
        await assertHealth(['redis'], label);
      } finally {
        redisProxy.restore();
      }
      await untilHealthy();
    });
  });

  describe('a store that stops answering mid-request', { concurrency: true }, () => {
    // PostgreSQL first: the Redis row's request needs Redis only, so it starts once PostgreSQL is frozen.
    let postgresFrozen: () => void = () => undefined;
    const frozen = new Promise<void>((resolve) => (postgresFrozen = resolve));
    const rows: { row: MidwayRow; waitFor?: Promise<void> }[] = [
      { row: { route: route('backup (postgres)'), victim: 'postgres', countOn: 'postgres' } },
      {
        row: { route: route('POST /api/admin/migration validate'), victim: 'redis' },
        waitFor: frozen,
      },
    ];
    after(async () => {
      redisProxy.restore();
      postgresProxy.restore();
      await untilHealthy();
      await assertHealth([], 'after the freezes');
    });
    for (const { row, waitFor } of rows) {
      const name = midwayRowName(row, 'freeze');
      it(name, async () => {
        await waitFor;
        try {
          const { res, afterFaultMs } = await faultMidway(
            row,
            'freeze',
            name,
            row.victim === 'postgres' ? postgresFrozen : undefined,
          );
          assertProblemAnswer(
            res,
            { status: 503, code: 'store-unavailable', detail: new RegExp(NAME[row.victim]) },
            name,
          );
          // A frozen PostgreSQL is waited out twice: the backup's COPY, then the audit record of
          // its failure (on a fresh connection to the same frozen server, then given up).
          assertWithin(
            afterFaultMs,
            row.victim === 'postgres' ? 2 * POSTGRES_REPLY_TIMEOUT_MS : REDIS_COMMAND_TIMEOUT_MS,
            `${name}: the answer after the store stopped answering`,
          );
        } finally {
          // Whatever happened, the other row need not wait any longer.
          postgresFrozen();
        }
      });
    }
  });
});
