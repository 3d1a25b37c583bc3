/**
 * `GET /metrics` end to end: the real admin app against the real PostgreSQL and Redis. Its
 * bearer token, the exposition format, and the migration's metrics against what the runs,
 * the resolver and the write-back queue did; the operations' gauges against the operations
 * table, a running operation's progress included.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import {
  OPERATION_KINDS,
  OPERATION_STATUSES,
  TenantResolver,
  type MigrationCounts,
  type MigrationRunEntity,
} from '#tenant-migration';
import {
  createTestDatabase,
  deleteByPattern,
  BULK_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { assertProblem } from './support/problem.js';
import { bodyOf, type RunStartedBody } from './support/body.js';
import { operationsApi, seedTenants } from './support/operations.js';

const NAMESPACE = testNamespace('metrics');
const PREFIX = `${NAMESPACE}subdomain:`;
const ADMIN_TOKEN = 'tm-metrics-admin-token-0123456789';
const METRICS_TOKEN = 'tm-metrics-scrape-token-012345678';
const BASE = '/api/admin/migration';
const LEGACY = (emoji: string) => JSON.stringify({ emoji, createdAt: 1700000000000 });

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of an exposition text (label values here never hold quotes or commas). */
const parseExposition = (text: string): Sample[] =>
  text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
      assert.ok(match, `an exposition line: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });

/** The sum of a metric's samples whose labels include `labels`. */
const sumOf = (samples: Sample[], name: string, labels: Record<string, string> = {}): number =>
  samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);

/** `tenant_migrate_keys_total` summed per outcome, for runs or for dry runs. */
const keysByOutcome = (samples: Sample[], dryRun: boolean) =>
  Object.fromEntries(
    ['created', 'updated', 'unchanged', 'skipped', 'rejected'].map((outcome) => [
      outcome,
      sumOf(samples, 'tenant_migrate_keys_total', { outcome, dry_run: String(dryRun) }),
    ]),
  );

const outcomesOf = (counts: MigrationCounts) => ({
  created: counts.created,
  updated: counts.updated,
  unchanged: counts.unchanged,
  skipped: counts.skipped,
  rejected: counts.rejected,
});

describe('GET /metrics against the real admin app', () => {
  let app: INestApplication<Server>;
  let redis: Redis;
  let db: pg.Client;

  const http = () => request(app.getHttpServer());
  const operations = operationsApi(() => app.getHttpServer(), ADMIN_TOKEN);
  /** The operations table's count of each kind and status, as `kind/status`. */
  const tableCounts = async (): Promise<Map<string, number>> => {
    const { rows } = await db.query<{ kind: string; status: string; n: number }>(
      'SELECT kind, status, count(*)::int AS n FROM tenant_operations GROUP BY kind, status',
    );
    return new Map(rows.map((r) => [`${r.kind}/${r.status}`, r.n]));
  };
  /** `tenant_migrate_operations` as `kind/status` to its value. */
  const gaugeCounts = (samples: Sample[]): Map<string, number> =>
    new Map(
      samples
        .filter((s) => s.name === 'tenant_migrate_operations')
        .map((s) => [`${s.labels.kind}/${s.labels.status}`, s.value]),
    );
  const progressSeries = (samples: Sample[]) =>
    samples.filter((s) => s.name.startsWith('tenant_migrate_operation_progress_'));
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };
  const scrape = async (): Promise<Sample[]> => {
    const res = await http().get('/metrics').set('Authorization', `Bearer ${METRICS_TOKEN}`);
    assert.equal(res.status, 200);
    return parseExposition(res.text);
  };

  before(async () => {
    redis = new Redis(BULK_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await redis.set(`${PREFIX}pizza`, LEGACY('🍕'));
    await redis.set(`${PREFIX}tacos`, LEGACY('🌮'));
    await redis.set(`${PREFIX}sushi`, LEGACY('🍣'));
    await redis.set(`${PREFIX}broken`, '{"emoji":');
    await redis.set(`${PREFIX}notjson`, 'not json at all');
    await redis.hset(`${PREFIX}hash`, 'emoji', '🍕');
    const databaseUrl = await createTestDatabase('metrics');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    app = await startAdminApp(
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL: BULK_REDIS_URL,
        TENANT_KEY_PREFIX: PREFIX,
        ADMIN_TOKEN,
        METRICS_TOKEN,
        // Batches of two: the counters add up over several batches.
        MIGRATION_BATCH_SIZE: '2',
        // A running operation records its progress often enough to be scraped mid-way.
        OPERATION_HEARTBEAT_MS: '200',
      },
      ['error', 'warn'],
    );
  });

  after(async () => {
    await closeAdminApp(app);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    redis.disconnect();
    await db?.end();
  });

  it('needs the metrics bearer token: 401 problem documents without it, or with the admin token', async () => {
    const refusals: [label: string, header: string | undefined][] = [
      ['no Authorization header', undefined],
      ['a wrong token', 'Bearer tm-metrics-scrape-token-012345679'],
      ['the admin token, METRICS_TOKEN being set', `Bearer ${ADMIN_TOKEN}`],
      ['the token without a scheme', METRICS_TOKEN],
    ];
    for (const [label, header] of refusals) {
      const req = http().get('/metrics');
      const res = await (header === undefined ? req : req.set('Authorization', header));
      assertProblem(res, 401, undefined, /a valid metrics bearer token is required/, label);
      assert.doesNotMatch(res.text, /tenant_migrate_/, label);
    }
  });

  it('answers 200 in the Prometheus text format, with the default process metrics', async () => {
    const res = await http().get('/metrics').set('Authorization', `bearer ${METRICS_TOKEN}`);
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(res.text, /^process_cpu_user_seconds_total /m);
    assert.match(res.text, /^# TYPE tenant_migrate_keys_total counter$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_batch_duration_seconds histogram$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_resolver_lookups_total counter$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_write_back_queue_depth gauge$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_operations gauge$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_operation_progress_ratio gauge$/m);
    assert.match(res.text, /^# TYPE tenant_migrate_operation_progress_done gauge$/m);
  });

  it("counts a dry run's and a run's keys by outcome and reason, as their counts", async () => {
    const dry = await http().post(BASE).set(admin).send({ action: 'dry-run' });
    assert.equal(dry.status, 200);
    const dryCounts = bodyOf<{ counts: MigrationCounts }>(dry).counts;
    assert.equal(dryCounts.scanned, 6);

    const started = await http().post(BASE).set(admin).send({ action: 'migrate' });
    assert.equal(started.status, 202);
    const { runId } = bodyOf<RunStartedBody>(started);
    let run: MigrationRunEntity | undefined;
    for (let i = 0; i < 200; i++) {
      run = (await http().get(`${BASE}/runs/${runId}`).set(admin)).body as MigrationRunEntity;
      if (run.status !== 'running') break;
      await sleep(50);
    }
    assert.equal(run?.status, 'completed', JSON.stringify(run));
    assert.equal(run.counts.created, 3);
    assert.ok(run.counts.rejected + run.counts.skipped === 3, JSON.stringify(run.counts));

    const samples = await scrape();
    assert.deepEqual(keysByOutcome(samples, false), outcomesOf(run.counts));
    assert.deepEqual(keysByOutcome(samples, true), outcomesOf(dryCounts));
    for (const [reason, count] of Object.entries(run.counts.skippedByReason)) {
      const labels = { outcome: 'skipped', reason, dry_run: 'false' };
      assert.equal(sumOf(samples, 'tenant_migrate_keys_total', labels), count, reason);
    }
    // One observation per batch (SCAN's COUNT is a hint: the number of batches varies).
    const batches = (dryRun: boolean) =>
      sumOf(samples, 'tenant_migrate_batch_duration_seconds_count', { dry_run: String(dryRun) });
    assert.equal(batches(false), run.checkpoint?.batches);
    assert.ok(batches(true) >= 1, `dry-run batches: ${batches(true)}`);
  });

  it('counts resolver lookups by where the tenant was found', async () => {
    const lookups = (samples: Sample[], result: string) =>
      sumOf(samples, 'tenant_migrate_resolver_lookups_total', { result });
    const before = await scrape();
    await redis.set(`${PREFIX}ramen`, LEGACY('🍜'));
    const resolver = app.get(TenantResolver);
    assert.equal((await resolver.resolve('pizza'))?.subdomain, 'pizza');
    assert.equal((await resolver.resolve('ramen'))?.subdomain, 'ramen');
    assert.equal(await resolver.resolve('nobody'), null);
    const after = await scrape();
    assert.equal(lookups(after, 'postgres') - lookups(before, 'postgres'), 1);
    assert.equal(lookups(after, 'redis-fallback') - lookups(before, 'redis-fallback'), 1);
    assert.equal(lookups(after, 'miss') - lookups(before, 'miss'), 1);
  });

  it("reads the write-back queue's depth when scraped", async () => {
    const depth = async () => sumOf(await scrape(), 'tenant_migrate_write_back_queue_depth');
    assert.equal(await depth(), 0);
    for (const subdomain of ['pizza', 'tacos']) {
      await db.query(
        `INSERT INTO redis_write_backs (subdomain, key, last_error) VALUES ($1, $2, 'connect ECONNREFUSED')`,
        [subdomain, `${PREFIX}${subdomain}`],
      );
    }
    const { rows } = await db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM redis_write_backs',
    );
    assert.equal(rows[0].n, 2);
    assert.equal(await depth(), 2);
  });
  it('counts operations by kind and status as the operations table holds them, every pair, 0 when none', async () => {
    const started = await operations.start({ kind: 'check' });
    const done = await operations.until(started.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    const table = await tableCounts();
    // The run above was an operation too (`?action=migrate` starts one).
    assert.deepEqual([...table].sort(), [
      ['check/succeeded', 1],
      ['migrate/succeeded', 1],
    ]);
    const gauge = gaugeCounts(await scrape());
    assert.equal(gauge.size, OPERATION_KINDS.length * OPERATION_STATUSES.length);
    for (const kind of OPERATION_KINDS)
      for (const status of OPERATION_STATUSES) {
        const pair = `${kind}/${status}`;
        assert.equal(gauge.get(pair), table.get(pair) ?? 0, pair);
      }
    assert.equal(gauge.get('check/succeeded'), 1);
  });

  it("reads a running operation's progress, done and done / total, and drops it when the operation ends", async () => {
    assert.deepEqual(progressSeries(await scrape()), [], 'nothing runs yet');
    // Enough small batches that the dry run is still running while it is scraped.
    await seedTenants(redis, PREFIX, 20_000, 'load');
    const started = await operations.start({ kind: 'dry-run', batchSize: 10 });
    const running = await operations.until(
      started.id,
      (o) => o.status === 'running' && (o.progress?.done ?? 0) > 0 && o.progress?.total !== null,
    );
    assert.ok(running.progress);
    const progressOf = async () =>
      (
        await db.query<{ progress: { done: number; total: number } }>(
          'SELECT progress FROM tenant_operations WHERE id = $1',
          [started.id],
        )
      ).rows[0].progress;
    // The table changes at each heartbeat: compare with a scrape between two equal reads.
    let compared = false;
    for (let attempt = 0; attempt < 50 && !compared; attempt++) {
      const before = await progressOf();
      const samples = await scrape();
      const after = await progressOf();
      if (before.done !== after.done || before.total !== after.total) continue;
      const labels = { id: started.id, kind: 'dry-run' };
      assert.deepEqual(
        progressSeries(samples)
          .map((s) => [s.name, s.labels])
          .sort(),
        [
          ['tenant_migrate_operation_progress_done', labels],
          ['tenant_migrate_operation_progress_ratio', labels],
        ],
        'one series each, of the one running operation',
      );
      assert.equal(sumOf(samples, 'tenant_migrate_operation_progress_done', labels), before.done);
      const ratio = sumOf(samples, 'tenant_migrate_operation_progress_ratio', labels);
      assert.equal(ratio, Math.min(1, before.done / before.total));
      assert.ok(ratio > 0 && ratio <= 1, String(ratio));
      assert.equal(gaugeCounts(samples).get('dry-run/running'), 1);
      compared = true;
    }
    assert.ok(compared, 'a scrape between two equal reads of the progress');

    const cancel = await operations.control(started.id, 'cancel');
    assert.equal(cancel.status, 202, cancel.text);
    const ended = await operations.until(started.id);
    assert.equal(ended.status, 'cancelled');
    const samples = await scrape();
    assert.deepEqual(progressSeries(samples), [], 'an ended operation has no progress series');
    const table = await tableCounts();
    assert.equal(gaugeCounts(samples).get('dry-run/cancelled'), table.get('dry-run/cancelled'));
    assert.equal(gaugeCounts(samples).get('dry-run/running'), 0);
  });
});
