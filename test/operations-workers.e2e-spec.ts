/**
 * Operations across processes: the compiled admin app and standalone workers (`npm run worker`)
 * as child processes over this file's database. An app set to only enqueue leaves the work to
 * a worker; two workers never run one operation twice, nor two exclusive ones at once; a
 * SIGTERM stops a worker's migration at a batch boundary as `interrupted` and ends it by the
 * signal; an app killed with SIGKILL mid-migration leaves its operation to be seen
 * `interrupted` by the next process within the stated bound, and resume completes it exactly.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  createTestDatabase,
  deleteByPattern,
  BULK_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import {
  type AppProcess,
  startAdminProcess,
  startWorkerProcess,
  stopProcess,
} from './support/app-processes.js';
import { seedTenants } from './support/operations.js';

const NAMESPACE = testNamespace('operations-workers');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-operations-workers-token-0123456789';
const AUTH = { Authorization: `Bearer ${TOKEN}` };
const OPERATIONS = '/api/admin/operations';
const TENANTS = 15_000;
const BATCH = 20;
const HEARTBEAT_MS = 200;
const STALE_MS = 1500;

interface Operation {
  id: string;
  status: string;
  runId: string | null;
  worker: string | null;
  attempts: number;
  progress: { done: number } | null;
  result: { counts: { scanned: number; migrated: number } } | null;
  error: { code: string } | null;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('operations across processes: enqueue-only app, standalone workers, signals, a killed app', () => {
  let redis: Redis;
  let db: pg.Client;
  let databaseUrl: string;
  const running: AppProcess[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: BULK_REDIS_URL,
    TENANT_KEY_PREFIX: PREFIX,
    ADMIN_TOKEN: TOKEN,
    OPERATION_HEARTBEAT_MS: String(HEARTBEAT_MS),
    OPERATION_STALE_MS: String(STALE_MS),
    ...extra,
  });
  const admin = async (extra: Record<string, string> = {}) => {
    const app = await startAdminProcess(env(extra));
    running.push(app);
    return app;
  };
  const worker = async () => {
    const started = await startWorkerProcess(env());
    running.push(started);
    return started;
  };
  /** The operation as the database has it (any process may have changed it). */
  const operation = async (id: string): Promise<Operation> => {
    const { rows } = await db.query<{
      id: string;
      status: string;
      run_id: string | null;
      worker: string | null;
      attempts: number;
      progress: Operation['progress'];
      result: Operation['result'];
      error: Operation['error'];
    }>('SELECT * FROM tenant_operations WHERE id = $1', [id]);
    const row = rows[0];
    return {
      id: row.id,
      status: row.status,
      runId: row.run_id,
      worker: row.worker,
      attempts: row.attempts,
      progress: row.progress,
      result: row.result,
      error: row.error,
    };
  };
  const until = async (id: string, done: (o: Operation) => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = await operation(id);
      if (done(found)) return found;
      if (Date.now() > deadline) assert.fail(`operation ${id} still ${found.status}`);
      await sleep(20);
    }
  };
  const start = async (url: string, body: Record<string, unknown>) => {
    const res = await request(url).post(OPERATIONS).set(AUTH).send(body);
    assert.equal(res.status, 202, res.text);
    return (res.body as { id: string }).id;
  };
  const tenantCount = async () =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM tenants')).rows[0].n;
  const runOf = async (runId: string) =>
    (
      await db.query<{ status: string; counts: { scanned: number; migrated: number } }>(
        'SELECT status, counts FROM migration_runs WHERE id = $1',
        [runId],
      )
    ).rows[0];
  const statusEvents = async (id: string) =>
    (
      await db.query<{ status: string }>(
        `SELECT data->>'status' AS status FROM tenant_operation_events
          WHERE operation_id = $1 AND type = 'status' ORDER BY id`,
        [id],
      )
    ).rows.map((r) => r.status);

  before(async () => {
    redis = new Redis(BULK_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await seedTenants(redis, PREFIX, TENANTS);
    databaseUrl = await createTestDatabase('operations_workers');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
  });

  beforeEach(async () => {
    await db.query(
      'TRUNCATE tenants, migration_runs, migration_run_keys, migration_exceptions, tenant_operation_events, tenant_operations',
    );
  });

  after(async () => {
    for (const app of running) await stopProcess(app, 'SIGKILL');
    await db?.end();
    if (redis) {
      await deleteByPattern(redis, `${NAMESPACE}*`);
      redis.disconnect();
    }
  });

  it('an app set to only enqueue queues the job; a standalone worker process runs it', async () => {
    const app = await admin({ OPERATIONS_MODE: 'enqueue' });
    const id = await start(app.url, { kind: 'migrate', batchSize: 2000 });
    await sleep(1500);
    assert.equal((await operation(id)).status, 'queued', 'nothing runs it in the app');
    const standalone = await worker();
    const done = await until(id, (o) => o.status === 'succeeded' || o.status === 'failed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.worker?.endsWith(`:${standalone.child.pid}`), true, String(done.worker));
    assert.equal(done.result?.counts.scanned, TENANTS);
    assert.equal(await tenantCount(), TENANTS);
    await stopProcess(standalone);
    await stopProcess(app);
  });

  it('two workers never run one operation twice, nor two exclusive ones at once', async () => {
    const app = await admin({ OPERATIONS_MODE: 'enqueue' });
    const [first, second] = [await worker(), await worker()];
    const id = await start(app.url, { kind: 'migrate', batchSize: BATCH });
    const refused = await request(app.url).post(OPERATIONS).set(AUTH).send({ kind: 'migrate' });
    assert.equal(refused.status, 409, refused.text);
    assert.equal((refused.body as { operationId: string }).operationId, id);
    const done = await until(id, (o) => o.status === 'succeeded' || o.status === 'failed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.attempts, 1, 'claimed once');
    assert.deepEqual(await statusEvents(id), ['queued', 'running']);
    const runs = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM migration_runs');
    assert.equal(runs.rows[0].n, 1);
    assert.equal(done.result?.counts.scanned, TENANTS);
    for (const stopped of [first, second, app]) await stopProcess(stopped);
  });

  it('SIGTERM stops a worker at a batch boundary: the operation is interrupted, the worker ends by the signal, resume completes it exactly', async () => {
    const app = await admin({ OPERATIONS_MODE: 'enqueue' });
    const standalone = await worker();
    const id = await start(app.url, { kind: 'migrate', batchSize: BATCH });
    await until(id, (o) => (o.progress?.done ?? 0) >= BATCH * 5);
    const ended = await stopProcess(standalone, 'SIGTERM');
    assert.equal(ended?.signal, 'SIGTERM', JSON.stringify(ended));
    const stopped = await operation(id);
    assert.equal(stopped.status, 'interrupted');
    assert.equal(stopped.error?.code, 'operation-stopped');
    assert.equal((await runOf(stopped.runId ?? '')).status, 'interrupted');
    const partial = await tenantCount();
    assert.ok(partial > 0 && partial < TENANTS, `${partial}`);

    await worker();
    const resumed = await request(app.url).post(`${OPERATIONS}/${id}/resume`).set(AUTH);
    assert.equal(resumed.status, 202, resumed.text);
    const done = await until(id, (o) => o.status === 'succeeded' || o.status === 'failed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.runId, stopped.runId);
    const run = await runOf(done.runId ?? '');
    assert.equal(run.counts.scanned, TENANTS);
    assert.equal(run.counts.migrated, TENANTS);
    assert.equal(await tenantCount(), TENANTS);
    await stopProcess(app);
  });

  it('SIGINT to the admin app stops its embedded worker the same way: interrupted at a batch boundary, the app ends by the signal', async () => {
    const app = await admin();
    const id = await start(app.url, { kind: 'migrate', batchSize: BATCH });
    await until(id, (o) => (o.progress?.done ?? 0) >= BATCH * 5);
    const ended = await stopProcess(app, 'SIGINT');
    assert.equal(ended?.signal, 'SIGINT', JSON.stringify(ended));
    const stopped = await operation(id);
    assert.equal(stopped.status, 'interrupted');
    assert.equal(stopped.error?.code, 'operation-stopped');
    assert.equal((await runOf(stopped.runId ?? '')).status, 'interrupted');
    // What the run recorded is what the table holds: every batch committed whole, none half.
    const run = await runOf(stopped.runId ?? '');
    const partial = await tenantCount();
    assert.ok(partial > 0 && partial < TENANTS, `${partial}`);
    assert.equal(run.counts.migrated, partial);
  });

  it('kill -9 of the app mid-migration: a restarted app sees it interrupted within the bound, and resume completes it exactly', async () => {
    const first = await admin();
    const id = await start(first.url, { kind: 'migrate', batchSize: BATCH });
    await until(id, (o) => (o.progress?.done ?? 0) >= BATCH * 5);
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = Date.now();
    assert.equal((await operation(id)).status, 'running', 'nothing could record the death');

    const second = await admin();
    const interrupted = await until(id, (o) => o.status === 'interrupted', 30_000);
    const seenAfter = Date.now() - killedAt;
    assert.equal(interrupted.error?.code, 'worker-lost');
    // The stated bound (staleMs + heartbeatMs), plus this machine's start-up of the new app.
    assert.ok(seenAfter < STALE_MS + HEARTBEAT_MS + 10_000, `seen after ${seenAfter} ms`);
    const listed = await request(second.url).get(`${OPERATIONS}/${id}`).set(AUTH);
    assert.equal((listed.body as Operation).status, 'interrupted');

    const resumed = await request(second.url).post(`${OPERATIONS}/${id}/resume`).set(AUTH);
    assert.equal(resumed.status, 202, resumed.text);
    const done = await until(id, (o) => o.status === 'succeeded' || o.status === 'failed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.runId, interrupted.runId, 'the same run continued');
    const run = await runOf(done.runId ?? '');
    assert.equal(run.status, 'completed');
    assert.equal(run.counts.scanned, TENANTS);
    assert.equal(run.counts.migrated, TENANTS);
    assert.equal(await tenantCount(), TENANTS);
    await stopProcess(second);
  });
});
