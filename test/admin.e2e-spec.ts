/**
 * The admin HTTP API end to end: the real AppModule with the production HTTP setup
 * (configureApp), against the real PostgreSQL and Redis, driven over HTTP with supertest.
 * The start-up checks and the 500 path run the compiled main.js as a child process.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Redis } from 'ioredis';
import request from 'supertest';
import type { INestApplication } from '@nestjs/common';
import type { BackupSummary, MigrationRunEntity } from '#tenant-migration';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import {
  createTestDatabase,
  deleteByPattern,
  snapshotRedis,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { closeAdminApp, startAdminApp } from './support/admin-app.js';
import { assertProblem, domainProblem, httpProblem, INTERNAL_PROBLEM } from './support/problem.js';
import { collect, type CliResult } from './support/cli.js';
import { assertWithin } from './support/timing.js';
import {
  bodyOf,
  messageOf,
  type DomainProblemBody,
  type ProblemBody,
  type RunStartedBody,
  type StatusBody,
} from './support/body.js';
import { HEALTH_CHECK_TIMEOUT_MS } from '../apps/admin/src/store-probe.js';

const NAMESPACE = testNamespace('admin');
const PREFIX = `${NAMESPACE}subdomain:`;
const TOKEN = 'tm-admin-test-token-0123456789ab';
const WRONG_TOKEN = 'tm-admin-test-token-0123456789ac';
const BASE = '/api/admin/migration';
const MAIN_ENTRY = fileURLToPath(new URL('../apps/admin/src/main.js', import.meta.url));
const LEGACY = (emoji: string) => JSON.stringify({ emoji, createdAt: 1700000000000 });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The members of `GET ?action=stats` the specs read. */
interface StatsBody {
  prefix: string;
  postgresTenants: number;
  redisKeys: number;
}

/** The members of `GET ?action=check` (the integrity report) the specs read. */
interface CheckBody {
  consistent: boolean;
  onlyInRedis: number;
  valid: number;
  drift: { kind: string }[];
}

/** The members of a dry run's answer the specs read. */
interface DryRunBody {
  dryRun: boolean;
  runId: string | null;
  status: string;
  balanced: boolean;
  counts: { scanned: number; migrated: number; created: number; rejected: number };
}

/** The members of `POST {action: 'validate'}` the specs read. */
interface ValidateBody {
  scanned: number;
  valid: number;
  rejected: number;
  balanced: boolean;
  samples: { key: string }[];
}

/** Runs the compiled admin main.js with exactly this environment (nothing inherited). */
const startAdmin = (env: Record<string, string>): ChildProcess =>
  spawn(process.execPath, [MAIN_ENTRY], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NO_COLOR: '1',
      HOST: '127.0.0.1',
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });

/** Waits for the process to end, killing it (and failing) if it is still up after `ms`. */
const exitWithin = async (
  child: ChildProcess,
  ms: number,
): Promise<CliResult & { timedOut: boolean }> => {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, ms);
  try {
    return { ...(await collect(child)), timedOut };
  } finally {
    clearTimeout(timer);
  }
};

/** The URL the child logs once it listens (it binds PORT=0, so the log names the real port). */
const listeningUrl = (child: ChildProcess): Promise<string> =>
  new Promise((resolve, reject) => {
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match) resolve(match[1]);
    });
    child.on('exit', (code) =>
      reject(new Error(`the admin app exited with ${code} before listening`)),
    );
  });

describe('admin API over HTTP against real PostgreSQL and Redis', () => {
  let app: INestApplication<Server>;
  let redis: Redis;
  let db: pg.Client;
  let databaseUrl: string;
  let runId: string;
  let backupDir: string;

  const http = () => request(app.getHttpServer());
  const auth = { Authorization: `Bearer ${TOKEN}` };
  const count = async (table: string): Promise<number> =>
    Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const tableCounts = async () => ({
    tenants: await count('tenants'),
    runs: await count('migration_runs'),
    exceptions: await count('migration_exceptions'),
    backups: await count('backups'),
  });

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    await redis.set(`${PREFIX}pizza`, LEGACY('🍕'));
    await redis.set(`${PREFIX}tacos`, LEGACY('🌮'));
    databaseUrl = await createTestDatabase('admin');
    db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    backupDir = await mkdtemp(join(tmpdir(), 'tm-admin-backups-'));

    app = await startAdminApp(
      {
        DATABASE_URL: databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        TENANT_KEY_PREFIX: PREFIX,
        ADMIN_TOKEN: TOKEN,
        BACKUP_DIR: backupDir,
      },
      ['error', 'warn'],
    );
  });

  after(async () => {
    await closeAdminApp(app);
    await deleteByPattern(redis, `${NAMESPACE}*`);
    redis.disconnect();
    await db?.end();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  describe('authentication', () => {
    const routes: [method: 'get' | 'post', path: string][] = [
      ['get', `${BASE}?action=status`],
      ['get', `${BASE}?action=runs`],
      ['get', `${BASE}?action=backups`],
      ['get', `${BASE}/runs/${randomUUID()}`],
      ['get', `${BASE}/runs/${randomUUID()}/exceptions`],
      ['post', BASE],
    ];
    const credentials: [label: string, header: string | undefined][] = [
      ['no Authorization header', undefined],
      ['a wrong bearer token', `Bearer ${WRONG_TOKEN}`],
      ['an empty bearer token', 'Bearer '],
      ['the token without a scheme', TOKEN],
      [
        'the token with the Basic scheme',
        `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`,
      ],
      ['the token with another scheme', `Token ${TOKEN}`],
      ['the token with a suffix', `Bearer ${TOKEN}x`],
    ];

    for (const [method, path] of routes) {
      it(`${method.toUpperCase()} ${path.replace(new RegExp(UUID.source.slice(1, -1)), ':id')} answers 401 to every bad credential`, async () => {
        for (const [label, header] of credentials) {
          let req = http()[method](path);
          if (header !== undefined) req = req.set('Authorization', header);
          if (method === 'post') req = req.send({ action: 'migrate' });
          const res = await req;
          assert.equal(res.status, 401, label);
          assert.deepEqual(
            res.body,
            httpProblem(401, 'a valid admin bearer token is required'),
            label,
          );
          assertProblem(res, 401, 'unauthorized', undefined, label);
          assert.ok(
            !res.text.includes(TOKEN) && !res.text.includes(WRONG_TOKEN),
            `${label}: the body never echoes a token`,
          );
        }
      });
    }

    it('authenticates before it validates: a bad request without a token is 401, not 400', async () => {
      const res = await http().post(BASE).send({ action: 'nope', extra: true });
      assert.equal(res.status, 401);
      const bad = await http().get(`${BASE}/runs/not-a-uuid`);
      assert.equal(bad.status, 401);
    });

    it('a backup without a valid token is 401 and writes no file', async () => {
      for (const body of [{ action: 'backup' }, { action: 'backup', postgres: true }]) {
        const res = await http()
          .post(BASE)
          .set('Authorization', `Bearer ${WRONG_TOKEN}`)
          .send(body);
        assert.equal(res.status, 401);
      }
      assert.deepEqual(await readdir(backupDir), []);
    });

    it('accepts the bearer scheme case-insensitively (RFC 7235)', async () => {
      const res = await http().get(`${BASE}?action=status`).set('Authorization', `bearer ${TOKEN}`);
      assert.equal(res.status, 200);
    });

    it('changed nothing while refusing', async () => {
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });
  });

  describe('GET only reads', () => {
    it('?action=status answers 200 with the last run (none yet)', async () => {
      const res = await http().get(`${BASE}?action=status`).set(auth);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { lastRun: null });
    });

    it('?action=runs answers 200 with the recent runs (none yet)', async () => {
      const res = await http().get(`${BASE}?action=runs`).set(auth);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { runs: [] });
    });

    it('?action=backups answers 200 with the recorded backups (none yet)', async () => {
      const res = await http().get(`${BASE}?action=backups`).set(auth);
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { backups: [] });
    });

    it('?action=stats and ?action=report answer 200 and write nothing', async () => {
      const stats = await http().get(`${BASE}?action=stats`).set(auth);
      assert.equal(stats.status, 200);
      const figures = bodyOf<StatsBody>(stats);
      assert.equal(figures.prefix, PREFIX);
      assert.equal(figures.postgresTenants, 0);
      assert.ok(figures.redisKeys > 0);
      const report = await http().get(`${BASE}?action=report`).set(auth);
      assert.equal(report.status, 200);
      assert.deepEqual(Object.keys(bodyOf<object>(report)).sort(), ['integrity', 'stats']);
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });

    it('?action=check answers 200 with the integrity report and writes nothing', async () => {
      const res = await http().get(`${BASE}?action=check`).set(auth);
      assert.equal(res.status, 200);
      const check = bodyOf<CheckBody>(res);
      assert.equal(check.consistent, false, 'seeded tenants are not migrated yet: only in Redis');
      assert.equal(check.onlyInRedis, check.valid);
      assert.ok(check.drift.every((d) => d.kind === 'only-in-redis'));
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });

    it('an unknown, missing or repeated action is 400 listing the valid actions, and changes nothing', async () => {
      const redisBefore = await snapshotRedis(redis, `${NAMESPACE}*`);
      const queries = [
        'action=selftest',
        'action=migrate',
        'action=cleanup',
        'action=',
        '',
        'action=status&action=runs',
      ];
      for (const query of queries) {
        const res = await http().get(`${BASE}?${query}`).set(auth);
        assert.equal(res.status, 400, query);
        assert.equal(bodyOf<ProblemBody>(res).statusCode, 400, query);
        assert.match(
          messageOf(res),
          /action must be one of: status, runs, backups, check, stats, report, test/,
          query,
        );
      }
      const extra = await http().get(`${BASE}?action=status&dryRun=false`).set(auth);
      assert.equal(extra.status, 400);
      assert.match(messageOf(extra), /property dryRun should not exist/);
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
      assert.deepEqual(await snapshotRedis(redis, `${NAMESPACE}*`), redisBefore);
    });

    it('GET /health answers 200 without a token, with the helmet headers', async () => {
      const res = await http().get('/health');
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { status: 'ok', postgres: 'up', redis: 'up' });
      assert.equal(res.headers['x-content-type-options'], 'nosniff');
      assert.ok(res.headers['content-security-policy'], 'a content security policy is sent');
      assert.equal(res.headers['x-powered-by'], undefined, 'the framework is not advertised');
    });
  });

  describe('POST validates its body', () => {
    const cases: [label: string, body: unknown, message: RegExp][] = [
      [
        'an unknown action',
        { action: 'report-everything' },
        /action must be one of: migrate, dry-run, validate, backup, sync, cleanup/,
      ],
      [
        'a GET action',
        { action: 'status' },
        /action must be one of: migrate, dry-run, validate, backup/,
      ],
      ['no action', {}, /action must be one of: migrate, dry-run, validate, backup/],
      [
        'an extra property',
        { action: 'migrate', tenant: 'pizza' },
        /property tenant should not exist/,
      ],
      [
        'a sync property with a migration',
        { action: 'migrate', subdomain: 'pizza' },
        /property subdomain cannot be used with action migrate/,
      ],
      ['batchSize 0', { action: 'migrate', batchSize: 0 }, /batchSize must not be less than 1/],
      [
        'batchSize too large',
        { action: 'migrate', batchSize: 50_001 },
        /batchSize must not be greater than 50000/,
      ],
      [
        'a fractional batchSize',
        { action: 'migrate', batchSize: 1.5 },
        /batchSize must be an integer/,
      ],
      [
        'a string batchSize',
        { action: 'migrate', batchSize: '100' },
        /batchSize must be an integer/,
      ],
      [
        'a bad conflict policy',
        { action: 'migrate', conflictPolicy: 'yolo' },
        /conflictPolicy must be one of/,
      ],
      ['a non-boolean dryRun', { action: 'migrate', dryRun: 'yes' }, /dryRun must be a boolean/],
      [
        'a non-boolean postgres',
        { action: 'backup', postgres: 'yes' },
        /postgres must be a boolean/,
      ],
      [
        'postgres with a migration',
        { action: 'migrate', postgres: true },
        /property postgres cannot be used with action migrate/,
      ],
      [
        'migration options with a backup',
        { action: 'backup', dryRun: true, batchSize: 10 },
        /property dryRun cannot be used with action backup; property batchSize cannot be used with action backup/,
      ],
      [
        'a restore (CLI-only)',
        { action: 'restore' },
        /action must be one of: migrate, dry-run, validate, backup/,
      ],
    ];
    for (const [label, body, message] of cases) {
      it(`${label} is 400 with a message`, async () => {
        const res = await http()
          .post(BASE)
          .set(auth)
          .send(body as object);
        assert.equal(res.status, 400);
        assert.equal(bodyOf<ProblemBody>(res).statusCode, 400);
        assert.match(messageOf(res), message);
      });
    }

    it('malformed JSON is 400 without a stack trace', async () => {
      const res = await http()
        .post(BASE)
        .set(auth)
        .set('Content-Type', 'application/json')
        .send('{"action": ');
      assert.equal(res.status, 400);
      assert.equal(bodyOf<ProblemBody>(res).statusCode, 400);
      assert.doesNotMatch(res.text, /at .*\.js:\d+|node_modules|SyntaxError/);
    });

    it('an oversized body is 413 with a problem body', async () => {
      const res = await http()
        .post(BASE)
        .set(auth)
        .send({ action: 'validate', padding: 'x'.repeat(200_000) });
      assert.equal(res.status, 413);
      assert.deepEqual(res.body, httpProblem(413, 'request entity too large'));
      assertProblem(res, 413, 'payload-too-large');
    });

    it('started nothing', async () => {
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });
  });

  describe('run lookups', () => {
    it('a run id that is not a UUID is 400', async () => {
      for (const path of [`${BASE}/runs/not-a-uuid`, `${BASE}/runs/not-a-uuid/exceptions`]) {
        const res = await http().get(path).set(auth);
        assert.equal(res.status, 400, path);
        assert.equal(bodyOf<ProblemBody>(res).statusCode, 400, path);
        assert.match(messageOf(res), /uuid is expected/, path);
      }
    });

    it('an unknown run is 404 migration-run-not-found, for the run and for its exceptions', async () => {
      const id = randomUUID();
      for (const path of [`${BASE}/runs/${id}`, `${BASE}/runs/${id}/exceptions`]) {
        const res = await http().get(path).set(auth);
        assert.equal(res.status, 404, path);
        assert.deepEqual(
          res.body,
          domainProblem(404, 'migration-run-not-found', `no migration run ${id}`),
          path,
        );
        assertProblem(res, 404, 'migration-run-not-found', undefined, path);
      }
    });
  });

  describe('POST runs', () => {
    it('dry-run answers 200 with the counts and writes nothing', async () => {
      const redisBefore = await snapshotRedis(redis, `${NAMESPACE}*`);
      for (const body of [{ action: 'dry-run' }, { action: 'migrate', dryRun: true }]) {
        const res = await http().post(BASE).set(auth).send(body);
        assert.equal(res.status, 200, JSON.stringify(body));
        const dry = bodyOf<DryRunBody>(res);
        assert.equal(dry.dryRun, true);
        assert.equal(dry.runId, null);
        assert.equal(dry.status, 'completed');
        assert.equal(dry.balanced, true);
        assert.equal(dry.counts.scanned, 2);
        assert.equal(dry.counts.migrated, 2);
        assert.equal(dry.counts.created, 2);
        assert.equal(dry.counts.rejected, 0);
      }
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
      assert.deepEqual(await snapshotRedis(redis, `${NAMESPACE}*`), redisBefore);
    });

    it('validate answers 200 with scanned, valid and rejected', async () => {
      await redis.set(`${PREFIX}broken`, '{"emoji":');
      try {
        const res = await http().post(BASE).set(auth).send({ action: 'validate' });
        assert.equal(res.status, 200);
        const report = bodyOf<ValidateBody>(res);
        assert.equal(report.scanned, 3);
        assert.equal(report.valid, 2);
        assert.equal(report.rejected, 1);
        assert.equal(report.balanced, true);
        assert.equal(report.samples[0].key, `${PREFIX}broken`);
      } finally {
        await redis.del(`${PREFIX}broken`);
      }
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });

    it('a migrate while another holds the migration lock is 409 and records no run', async () => {
      const holder = new pg.Client({ connectionString: databaseUrl });
      await holder.connect();
      try {
        await holder.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, ['tenants']);
        const res = await http().post(BASE).set(auth).send({ action: 'migrate' });
        assert.equal(res.status, 409);
        assert.equal(bodyOf<ProblemBody>(res).statusCode, 409);
        const refusal = bodyOf<DomainProblemBody>(res);
        assert.equal(refusal.error, 'migration-locked');
        assert.match(
          refusal.message,
          /cannot start: a migration, PostgreSQL restore, sync or cleanup is running on tenants/,
        );
        assert.equal(res.headers.location, undefined);
      } finally {
        await holder.query(`SELECT pg_advisory_unlock(${tableLockKeySql('$1')})`, ['tenants']);
        await holder.end();
      }
      assert.deepEqual(await tableCounts(), { tenants: 0, runs: 0, exceptions: 0, backups: 0 });
    });

    it('migrate answers 202 with the run id and its Location, and the run completes', async () => {
      const res = await http().post(BASE).set(auth).send({ action: 'migrate', batchSize: 5000 });
      assert.equal(res.status, 202);
      const started = bodyOf<RunStartedBody>(res);
      assert.match(started.runId, UUID);
      assert.equal(started.resumed, false);
      assert.equal(started.status, 'running');
      runId = started.runId;
      assert.equal(res.headers.location, `${BASE}/runs/${runId}`);

      let run: MigrationRunEntity | undefined;
      for (let i = 0; i < 100; i++) {
        const poll = await http().get(res.headers.location).set(auth);
        assert.equal(poll.status, 200);
        run = poll.body as MigrationRunEntity;
        if (run.status !== 'running') break;
        await sleep(50);
      }
      assert.equal(run?.status, 'completed', `the run finished: ${JSON.stringify(run)}`);
      assert.equal(run.id, runId);
      assert.equal(run.kind, 'migrate');
      assert.equal(run.error, null);
      assert.equal(run.counts.scanned, 2);
      assert.equal(run.counts.migrated, 2);
      assert.equal(run.options.batchSize, 5000, 'the requested batch size is used');
      assert.equal(run.options.prefix, PREFIX);

      const { rows } = await db.query<{ subdomain: string; emoji: string }>(
        'SELECT subdomain, emoji FROM tenants ORDER BY subdomain',
      );
      assert.deepEqual(rows, [
        { subdomain: 'pizza', emoji: '🍕' },
        { subdomain: 'tacos', emoji: '🌮' },
      ]);
    });

    it('sync reconciles one tenant (200 with its direction); bad input is 400, an unknown tenant 404', async () => {
      const ok = await http().post(BASE).set(auth).send({ action: 'sync', subdomain: 'pizza' });
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      const synced = bodyOf<{ subdomain: string; direction: string }>(ok);
      assert.deepEqual([synced.subdomain, synced.direction], ['pizza', 'none']);
      for (const [body, status, pattern] of [
        [{ action: 'sync' }, 400, /sync needs the tenant to reconcile/],
        [{ action: 'sync', subdomain: 'bad_name!' }, 400, /not a valid subdomain/],
        [{ action: 'sync', subdomain: 'pizza', prefer: 'both' }, 400, /prefer must be one of/],
        [
          { action: 'sync', subdomain: 'pizza', batchSize: 10 },
          400,
          /batchSize cannot be used with action sync/,
        ],
        [{ action: 'sync', subdomain: 'nowhere' }, 404, /exists in neither/],
      ] as const) {
        const res = await http().post(BASE).set(auth).send(body);
        assert.equal(res.status, status, JSON.stringify(body));
        assert.match(messageOf(res), pattern, JSON.stringify(body));
      }
    });

    it('cleanup is refused (409) without a verified backup; confirm must be a boolean', async () => {
      const refused = await http().post(BASE).set(auth).send({ action: 'cleanup', confirm: true });
      assert.equal(refused.status, 409);
      assert.equal(bodyOf<ProblemBody>(refused).error, 'cleanup-refused');
      const bad = await http().post(BASE).set(auth).send({ action: 'cleanup', confirm: 'yes' });
      assert.equal(bad.status, 400);
      assert.match(messageOf(bad), /confirm must be a boolean/);
      assert.equal(
        Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n),
        2,
        'nothing deleted or changed',
      );
    });

    it('the finished run shows in status, runs and its exceptions', async () => {
      const status = await http().get(`${BASE}?action=status`).set(auth);
      assert.equal(status.status, 200);
      const { lastRun } = bodyOf<StatusBody>(status);
      assert.equal(lastRun?.id, runId);
      assert.equal(lastRun.status, 'completed');
      const runs = await http().get(`${BASE}?action=runs`).set(auth);
      assert.equal(runs.status, 200);
      assert.deepEqual(
        bodyOf<{ runs: MigrationRunEntity[] }>(runs).runs.map((r) => r.id),
        [runId],
      );
      const exceptions = await http().get(`${BASE}/runs/${runId}/exceptions`).set(auth);
      assert.equal(exceptions.status, 200);
      assert.deepEqual(exceptions.body, { limit: 100, offset: 0, total: 0, exceptions: [] });
      for (const query of ['limit=0', 'limit=1001', 'offset=-1', 'bucket=lost', 'limit=ten']) {
        const bad = await http().get(`${BASE}/runs/${runId}/exceptions?${query}`).set(auth);
        assert.equal(bad.status, 400, query);
      }
      const page = await http()
        .get(`${BASE}/runs/${runId}/exceptions?bucket=rejected&limit=10&offset=5`)
        .set(auth);
      assert.deepEqual(page.body, { limit: 10, offset: 5, total: 0, exceptions: [] });
    });
  });

  describe('backups', () => {
    let redisBackup: BackupSummary;

    it('POST backup answers 201 with the recorded Redis backup, written to BACKUP_DIR', async () => {
      const res = await http().post(BASE).set(auth).send({ action: 'backup' });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      redisBackup = res.body as BackupSummary;
      assert.match(redisBackup.id, UUID);
      assert.equal(redisBackup.kind, 'redis');
      assert.equal(redisBackup.scope, PREFIX);
      assert.equal(redisBackup.entryCount, 2);
      assert.match(redisBackup.checksum, /^[0-9a-f]{64}$/);
      assert.ok(
        redisBackup.path.startsWith(backupDir) && existsSync(redisBackup.path),
        redisBackup.path,
      );
      const { rows } = await db.query<{ kind: string; entry_count: number; checksum: string }>(
        'SELECT kind, entry_count, checksum FROM backups WHERE id = $1',
        [redisBackup.id],
      );
      assert.deepEqual(rows, [{ kind: 'redis', entry_count: 2, checksum: redisBackup.checksum }]);
    });

    it('POST backup with postgres: true backs up the tenants table', async () => {
      const res = await http().post(BASE).set(auth).send({ action: 'backup', postgres: true });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      const backup = res.body as BackupSummary;
      assert.equal(backup.kind, 'postgres');
      assert.equal(backup.scope, 'tenants');
      assert.equal(backup.entryCount, await count('tenants'));
      assert.ok(backup.path.startsWith(backupDir) && existsSync(backup.path), backup.path);

      const list = await http().get(`${BASE}?action=backups`).set(auth);
      assert.equal(list.status, 200);
      assert.deepEqual(
        bodyOf<{ backups: BackupSummary[] }>(list).backups.map((b) => b.id),
        [backup.id, redisBackup.id],
        'newest first',
      );
    });

    it('the audit log names the admin API for each backup', async () => {
      const { rows } = await db.query<{ actor: string; action: string; status: string }>(
        `SELECT actor, action, status FROM audit_log WHERE action LIKE 'backup.%' ORDER BY id`,
      );
      assert.deepEqual(rows, [
        { actor: 'admin-api', action: 'backup.redis', status: 'succeeded' },
        { actor: 'admin-api', action: 'backup.postgres', status: 'succeeded' },
      ]);
    });
  });
});

describe('admin app start-up and unexpected errors (compiled main.js)', () => {
  let databaseUrl: string;

  before(async () => {
    databaseUrl = await createTestDatabase('admin_broken');
  });

  const baseEnv = () => ({
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    TENANT_KEY_PREFIX: PREFIX,
  });

  it('refuses to start without ADMIN_TOKEN: exit 2, one line, nothing listening', async () => {
    const result = await exitWithin(startAdmin(baseEnv()), 20_000);
    assert.equal(result.timedOut, false, 'the process exited by itself');
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /^tenant-migrate admin: set ADMIN_TOKEN/);
    assert.doesNotMatch(result.stdout, /listening/);
  });

  it('refuses to start with a short ADMIN_TOKEN: exit 2, one line naming the variable, not its value', async () => {
    const result = await exitWithin(
      startAdmin({ ...baseEnv(), ADMIN_TOKEN: 'hunter2-secret' }),
      20_000,
    );
    assert.equal(result.timedOut, false, 'the process exited by itself');
    assert.equal(result.code, 2, result.stderr);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /ADMIN_TOKEN must be at least 16 characters/);
    assert.doesNotMatch(result.stderr + result.stdout, /hunter2/);
  });

  it('answers an unexpected error with a bare 500 and logs the details on the server only', async () => {
    // A database whose run ledger has gone: the controller's query fails inside PostgreSQL.
    const broken = new pg.Client({ connectionString: databaseUrl });
    await broken.connect();
    await broken.query('DROP TABLE migration_runs CASCADE');
    await broken.end();

    const child = startAdmin({ ...baseEnv(), ADMIN_TOKEN: TOKEN });
    const exited = exitWithin(child, 60_000);
    try {
      const url = await listeningUrl(child);
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/, 'the log names the port actually bound');
      const server = request(url);
      const get = await server.get(`${BASE}?action=status`).set(auth());
      assert.equal(get.status, 500);
      assert.deepEqual(get.body, INTERNAL_PROBLEM);
      const post = await server.post(BASE).set(auth()).send({ action: 'migrate' });
      assert.equal(post.status, 500);
      assert.deepEqual(post.body, INTERNAL_PROBLEM);
      // The unauthenticated and the healthy paths are unaffected.
      assert.equal((await server.get('/health')).status, 200);
      assert.equal((await server.get(`${BASE}?action=status`)).status, 401);
    } finally {
      child.kill('SIGTERM');
    }
    const result = await exited;
    assert.equal(result.timedOut, false, 'the app shut down on SIGTERM');
    assert.match(
      result.stdout + result.stderr,
      /relation "migration_runs" does not exist/,
      'the server log has the details',
    );
  });

  it('GET /health answers 503 naming the store that is down, promptly, when Redis is unreachable', async () => {
    // Nothing listens on port 1: the client keeps reconnecting in the background.
    const child = startAdmin({
      ...baseEnv(),
      ADMIN_TOKEN: TOKEN,
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    const exited = exitWithin(child, 60_000);
    try {
      const server = request(await listeningUrl(child));
      const started = Date.now();
      const res = await server.get('/health');
      const elapsed = Date.now() - started;
      assert.equal(res.status, 503);
      assert.deepEqual(res.body, { status: 'error', postgres: 'up', redis: 'down' });
      assertWithin(elapsed, HEALTH_CHECK_TIMEOUT_MS, 'GET /health with Redis unreachable');
    } finally {
      // A graceful shutdown waits for the Redis client to give up; that is not under test here.
      child.kill('SIGKILL');
    }
    assert.equal((await exited).timedOut, false);
  });

  const auth = () => ({ Authorization: `Bearer ${TOKEN}` });
});
