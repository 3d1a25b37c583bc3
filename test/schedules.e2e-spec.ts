/**
 * Schedules on the job queue, end to end: the admin app with SCHEDULE_CHECK_CRON registers its
 * schedule in pg-boss (its zone included) and runs the clock; a tick, sent the way pg-boss's
 * clock sends one and sent twice as two clocks would, becomes exactly one ordinary `check`
 * operation by actor `schedule`, listed by the admin API, which succeeds; an app without the
 * variables registers none and removes the one left behind, and only that one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import pg from 'pg';
import PgBoss from 'pg-boss';
import { Redis } from 'ioredis';
import type { INestApplication } from '@nestjs/common';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { startAdminProcess, stopProcess, type AppProcess } from './support/app-processes.js';
import { bodyOf } from './support/body.js';
import { OPERATIONS, operationsApi, type OperationBody } from './support/operations.js';
import { legacy } from './support/tenant-fixtures.js';

const NAMESPACE = testNamespace('schedules');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-schedules-test-token-0123456789';
const QUEUE_SCHEMA = 'tenant_migrate_jobs';
/** The schedule queues of the default operations table (`tenant_operations`). */
const CHECK_QUEUE = 'tenant-migrate-tenant_operations-schedule-check';
const SYNC_PENDING_QUEUE = 'tenant-migrate-tenant_operations-schedule-sync-pending';
/** The queue pg-boss's clock sends due schedules to first (timekeeper.js `QUEUES.SEND_IT`). */
const SEND_IT = '__pgboss__send-it';
/**
 * Once a year: the app's own clock sends no tick while the test runs, so every operation here
 * comes from a tick the test delivers.
 */
const YEARLY = '0 0 1 1 *';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface OperationRow {
  id: string;
  kind: string;
  actor: string | null;
  status: string;
}

describe('schedules on the job queue', () => {
  let databaseUrl: string;
  let app: INestApplication<Server> | undefined;
  let child: AppProcess | undefined;
  let boss: PgBoss;
  let redis: Redis;
  let db: pg.Client;
  const api = operationsApi(() => {
    assert.ok(app, 'the app is up');
    return app.getHttpServer();
  }, TOKEN);

  const schedules = async () =>
    (await boss.getSchedules()).sort((a, b) => a.name.localeCompare(b.name));
  const scheduledOperations = async () =>
    (
      await db.query<OperationRow>(
        `SELECT id, kind, actor, status FROM tenant_operations WHERE actor = 'schedule' ORDER BY created_at`,
      )
    ).rows;
  /** Waits until PostgreSQL's clock is early in its minute: two sends then share the minute. */
  const earlyInMinute = async () => {
    for (;;) {
      const { rows } = await db.query<{ second: number }>(
        `SELECT extract(second FROM now())::float8 AS second`,
      );
      if (rows[0].second < 40) return;
      await sleep(1000);
    }
  };

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    for (const name of ['pizza', 'tacos', 'sushi'])
      await redis.set(`${PREFIX}${name}`, legacy('🍕', 1700000000000));
    databaseUrl = await createTestDatabase('schedules');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    app = await startAdminApp(
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        TENANT_KEY_PREFIX: PREFIX,
        ADMIN_TOKEN: TOKEN,
        OPERATION_HEARTBEAT_MS: '200',
        SCHEDULE_CHECK_CRON: YEARLY,
        SCHEDULE_TZ: 'Europe/Paris',
      },
      ['error', 'warn'],
    );
    // The test's own handle on the app's job queue: no clock, no maintenance.
    boss = new PgBoss({
      connectionString: databaseUrl,
      schema: QUEUE_SCHEMA,
      max: 2,
      supervise: false,
      schedule: false,
    });
    boss.on('error', (error: Error) => assert.fail(`test job queue: ${error.message}`));
    await boss.start();
  });

  after(async () => {
    await stopProcess(child);
    await closeAdminApp(app);
    await boss?.stop({ graceful: false, wait: true });
    await db?.end();
    if (redis) {
      await deleteByPattern(redis, `${NAMESPACE}*`);
      redis.disconnect();
    }
  });

  it('registers the configured schedule, in its zone, on a queue of its own; nothing else', async () => {
    const registered = await schedules();
    assert.deepEqual(
      registered.map(({ name, cron, data }) => ({ name, cron, data })),
      [{ name: CHECK_QUEUE, cron: YEARLY, data: { kind: 'check' } }],
    );
    // pg-boss's table, as every process's clock reads it: the zone is the schedule's.
    const { rows } = await db.query<{ name: string; cron: string; timezone: string }>(
      `SELECT name, cron, timezone FROM ${QUEUE_SCHEMA}.schedule`,
    );
    assert.deepEqual(rows, [{ name: CHECK_QUEUE, cron: YEARLY, timezone: 'Europe/Paris' }]);
    assert.ok(await boss.getQueue(CHECK_QUEUE), 'the schedule has its queue');
    assert.equal(await boss.getQueue(SYNC_PENDING_QUEUE), null, 'no queue for an unset schedule');
    // The clock runs in the app: it created the queue it sends due schedules to.
    assert.ok(await boss.getQueue(SEND_IT), 'the clock runs');
  });

  it('a tick sent by two clocks becomes one check operation by actor schedule, listed, which succeeds', async () => {
    const schedule = (await schedules()).find((s) => s.name === CHECK_QUEUE);
    assert.ok(schedule);
    // Exactly what pg-boss's clock inserts for a due schedule (timekeeper.js `cron`), twice:
    // two processes running the clock that both see the tick. The app's clock then moves it
    // to the schedule's queue, where its worker takes it.
    const tick: PgBoss.JobInsert = {
      name: SEND_IT,
      data: { name: schedule.name, data: schedule.data, ...schedule.options },
      singletonKey: schedule.name,
      singletonSeconds: 60,
    };
    await earlyInMinute();
    await boss.insert([tick]);
    await boss.insert([tick]);
    const sent = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${QUEUE_SCHEMA}.job WHERE name = $1 AND singleton_key = $2`,
      [SEND_IT, CHECK_QUEUE],
    );
    assert.equal(sent.rows[0].n, 1, 'one job for the tick, however many clocks send it');

    const deadline = Date.now() + 60_000;
    let operations: OperationRow[] = [];
    while (Date.now() < deadline) {
      operations = await scheduledOperations();
      if (operations.length > 0) break;
      await sleep(100);
    }
    assert.equal(operations.length, 1, JSON.stringify(operations));
    const [{ id }] = operations;
    const done = await api.until(id);
    assert.equal(done.kind, 'check');
    assert.equal(done.actor, 'schedule');
    assert.deepEqual(done.params, {});
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.result?.redisKeys, 3, JSON.stringify(done.result));
    // An ordinary operation: the admin API lists it with the others of its kind.
    const listed = await api.http().get(`${OPERATIONS}?kind=check`).set(api.auth);
    assert.equal(listed.status, 200, listed.text);
    const page = bodyOf<{ operations: OperationBody[] }>(listed);
    assert.deepEqual(
      page.operations.map((o) => [o.id, o.actor]),
      [[id, 'schedule']],
    );

    // Once the tick's jobs are done, still one operation: nothing sends it again.
    for (;;) {
      const { rows } = await db.query<{ name: string; state: string }>(
        `SELECT name, state FROM ${QUEUE_SCHEMA}.job WHERE name = ANY($1)`,
        [[SEND_IT, CHECK_QUEUE]],
      );
      if (rows.length === 2 && rows.every((r) => r.state === 'completed')) break;
      assert.ok(Date.now() < deadline, `the tick's jobs: ${JSON.stringify(rows)}`);
      await sleep(200);
    }
    assert.deepEqual(
      (await scheduledOperations()).map((o) => o.id),
      [id],
    );
  });

  it("an app without the schedule variables registers none, and removes this table's leftover one only", async () => {
    // Another user of the same job queue schema, whose schedule is none of ours.
    await boss.createQueue('someone-else-nightly');
    await boss.schedule('someone-else-nightly', '0 2 * * *', {});
    await closeAdminApp(app);
    app = undefined;
    child = await startAdminProcess({
      DATABASE_URL: databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      TENANT_KEY_PREFIX: PREFIX,
      ADMIN_TOKEN: TOKEN,
    });
    assert.deepEqual(
      (await schedules()).map((s) => s.name),
      ['someone-else-nightly'],
    );
    assert.match(child.output(), new RegExp(`schedule of ${CHECK_QUEUE} removed`));
  });
});
