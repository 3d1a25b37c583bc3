/**
 * The runtime self-test (`MigrationTests.runAllTests()`, `--test`, `test`, `GET ?action=test`)
 * against the real PostgreSQL and Redis: it passes on a healthy store, reports invalid records
 * and drift as warnings, reports outages and a stale schema as a failed connectivity test
 * without throwing, and never changes a byte in either store.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type pg from 'pg';
import type { Redis, RedisOptions } from 'ioredis';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Test } from '@nestjs/testing';
import type { INestApplication, INestApplicationContext } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import {
  buildDataSourceOptions,
  LATEST_SCHEMA_MIGRATION,
  MigrationTests,
  SELF_TEST_NAMES,
  TENANT_REDIS,
  TenantMigrationModule,
  type SelfTestReport,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestDatabase,
  createTestStores,
  TEST_REDIS_URL,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { startAdminApp } from './support/admin-app.js';
import { legacy, ENHANCED as ENHANCED_RECORD } from './support/tenant-fixtures.js';
import { runCli } from './support/cli.js';
import { assertWithin } from './support/timing.js';

const T = 1700000000000;
const ENHANCED = JSON.stringify({
  ...ENHANCED_RECORD,
  brandColors: { primary: '#112233', accent: '#abc' },
});
const TOKEN = 'tm-selftest-token-0123456789abcdef';
const BASE = '/api/admin/migration';

/** Every key of the namespace: type, DUMP payload and absolute expiry (PEXPIRETIME), byte-exact. */
const snapshotRedis = async (
  redis: Redis,
  pattern: string,
): Promise<Record<string, { type: string; dump: string; expireAt: unknown }>> => {
  const out: Record<string, { type: string; dump: string; expireAt: unknown }> = {};
  let cursor = '0';
  do {
    const [next, keys] = await redis.scanBuffer(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = String(next);
    for (const key of keys) {
      const [type, dump, expireAt] = await Promise.all([
        redis.type(key),
        redis.dumpBuffer(key),
        redis.call('PEXPIRETIME', key),
      ]);
      out[key.toString('hex')] = { type, dump: dump?.toString('hex') ?? '', expireAt };
    }
  } while (cursor !== '0');
  return out;
};

/** Every row of every table (with its xmin and ctid: a rewritten row has new ones) and every sequence. */
const snapshotPostgres = async (db: pg.Client): Promise<Record<string, unknown[]>> => {
  const out: Record<string, unknown[]> = {};
  const tables = await db.query<{ name: string }>(
    `SELECT quote_ident(table_name) AS name FROM information_schema.tables
      WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  for (const { name } of tables.rows) {
    out[name] = (
      await db.query(
        `SELECT xmin::text AS xmin, ctid::text AS ctid, to_jsonb(t) AS row FROM ${name} t ORDER BY ctid`,
      )
    ).rows;
  }
  const sequences = await db.query<{ name: string }>(
    `SELECT quote_ident(sequence_name) AS name FROM information_schema.sequences WHERE sequence_schema = 'public' ORDER BY 1`,
  );
  for (const { name } of sequences.rows)
    out[`sequence ${name}`] = (
      await db.query(`SELECT last_value::text, is_called FROM ${name}`)
    ).rows;
  return out;
};

const allWarnings = (report: SelfTestReport): string[] =>
  report.tests.flatMap((t) => t.warnings ?? []);
const testNamed = (report: SelfTestReport, name: string) => {
  const test = report.tests.find((t) => t.name === name);
  assert.ok(test, `the report has "${name}"`);
  return test;
};

/**
 * Closes an application, dropping its Redis connection first: a QUIT to a server that never
 * answers would wait forever, and @nestjs-modules/ioredis quits only the first application's
 * clients of a process.
 */
const shutdown = async (app: INestApplicationContext): Promise<void> => {
  app.get<Redis>(TENANT_REDIS).disconnect();
  await app.close();
};

/** The library wired to another Redis or PostgreSQL (an outage, a stale schema). */
const contextFor = async (options: {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  redisOptions?: RedisOptions;
  manualInitialization?: boolean;
}): Promise<INestApplicationContext> => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TypeOrmModule.forRoot({
        ...buildDataSourceOptions(options.databaseUrl),
        retryAttempts: 0,
        manualInitialization: options.manualInitialization ?? false,
      }),
      RedisModule.forRoot({
        type: 'single',
        url: options.redisUrl,
        options: options.redisOptions,
        onClientReady: (client) => {
          client.on('error', () => undefined);
        },
      }),
      TenantMigrationModule.forRoot({ keyPrefix: options.prefix, operations: { mode: 'client' } }),
    ],
  }).compile();
  return moduleRef.init();
};

describe('self-test (MigrationTests) against the real PostgreSQL and Redis', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let tests: MigrationTests;
  let app: INestApplication<HttpServer>;
  let backupDir: string;
  let redisBaseline: Awaited<ReturnType<typeof snapshotRedis>>;
  let postgresBaseline: Awaited<ReturnType<typeof snapshotPostgres>>;
  const key = (name: string) => `${stores.prefix}${name}`;
  const pattern = () => `${stores.prefix.slice(0, -'subdomain:'.length)}*`;
  const env = () => ({ DATABASE_URL: stores.databaseUrl, TENANT_KEY_PREFIX: stores.prefix });

  before(async () => {
    stores = await createTestStores('selftest');
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮', T + 1));
    await stores.redis.set(key('salon'), ENHANCED);
    await stores.redis.set(key('bakery'), legacy('pizza')); // invalid: a word, not an emoji
    await stores.redis.set(key('expiring'), legacy('⏳'), 'PX', 3_600_000);
    ctx = await createMigrationContext(stores, { batchSize: 2 });
    const migrated = await ctx.migrations.migrate();
    assert.equal(migrated.counts.migrated, 4);
    assert.equal(migrated.counts.rejected, 1);
    // One tenant not migrated yet, and a key beside the tenant keys.
    await stores.redis.set(key('newbie'), legacy('🐣', T + 2));
    await stores.redis.set(`${pattern().slice(0, -1)}other`, 'not a tenant');
    tests = ctx.app.get(MigrationTests);

    // The admin app, as admin.e2e-spec.ts starts it (the module graph reads the environment).
    backupDir = await mkdtemp(join(tmpdir(), 'tm-selftest-'));
    app = await startAdminApp(
      {
        DATABASE_URL: stores.databaseUrl,
        REDIS_URL: TEST_REDIS_URL,
        TENANT_KEY_PREFIX: stores.prefix,
        ADMIN_TOKEN: TOKEN,
        BACKUP_DIR: backupDir,
      },
      ['error'],
    );

    redisBaseline = await snapshotRedis(stores.redis, pattern());
    postgresBaseline = await snapshotPostgres(stores.db);
    assert.equal(Object.keys(redisBaseline).length, 7);
    assert.equal(postgresBaseline.tenants.length, 4);
  });

  after(async () => {
    if (app) await shutdown(app);
    if (ctx) await shutdown(ctx.app);
    await stores?.close();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  it('passes on a healthy store; the invalid live record is a warning, not a failure', async () => {
    const report = await tests.runAllTests();
    assert.equal(report.passed, true, JSON.stringify(report, null, 2));
    assert.deepEqual(
      report.tests.map((t) => t.name),
      [...SELF_TEST_NAMES],
    );
    for (const t of report.tests) {
      assert.equal(t.passed, true, t.name);
      assert.ok(t.durationMs >= 0 && t.details.length > 0, t.name);
    }
    assert.ok(report.durationMs >= 0);

    const [connectivity, process_, compat] = report.tests;
    assert.match(
      connectivity.details.join('\n'),
      /^PostgreSQL \d+\.\d+.* answers \(database tm_\w+_selftest\)$/m,
    );
    assert.ok(
      connectivity.details.includes(`the schema is at ${LATEST_SCHEMA_MIGRATION} (the latest)`),
    );
    assert.match(connectivity.details.join('\n'), /^Redis \d+\.\d+\.\d+ answers PING/m);
    assert.match(
      connectivity.details.join('\n'),
      /tenant keys under ".*subdomain:" are readable \(SCAN answered, keys found\)/,
    );

    assert.match(
      process_.details[0],
      /^1[0-9] of 1[0-9] built-in records got the verdict they must get \(legacy record, enhanced record, /,
    );
    assert.match(
      process_.details[1],
      /^dry run \(read-only, policy keep-postgres\) over all 6 keys under ".*": would migrate 1 \(create 1, update 0\), unchanged 4, skipped 0, rejected 1 \(invalid-emoji 1\)$/,
    );
    assert.equal(process_.warnings?.length, 1);
    assert.match(
      process_.warnings?.[0] ?? '',
      /^1 live record\(s\) in the sample would be rejected .*bakery: emoji must be exactly one emoji/,
    );

    assert.match(
      compat.details[0],
      /^5 valid live record\(s\) mapped and written back as legacy values: 4 byte-identical, 1 with the same emoji and createdAt, 0 normalized/,
    );
    assert.match(
      compat.details[1],
      /^4 of the 5 sampled tenants are in PostgreSQL: 4 read back \(resolver's SELECT\) equal to the mapping of their Redis value, 0 drifted$/,
    );
    assert.equal(compat.warnings, undefined);
    assert.deepEqual(allWarnings(report), process_.warnings);
  });

  it('changes nothing in either store: Redis DUMP and expiry of every key, every PostgreSQL row and its xmin', async () => {
    await tests.runAllTests();
    await tests.runAllTests({ sampleSize: 1 });
    assert.deepEqual(await snapshotRedis(stores.redis, pattern()), redisBaseline);
    assert.deepEqual(await snapshotPostgres(stores.db), postgresBaseline);
  });

  it('reads a bounded sample of the live keyspace when asked to', async () => {
    const report = await tests.runAllTests({ sampleSize: 2 });
    assert.equal(report.passed, true);
    assert.match(
      testNamed(report, 'Migration process validation').details[1],
      /over a sample of 2 keys under ".*" \(the first SCAN returned; sample size 2\)/,
    );
    await assert.rejects(
      tests.runAllTests({ sampleSize: 0 }),
      /sample size must be an integer from 1 to 10000/,
    );
  });

  describe('the CLI', () => {
    it('--test and test print a ✓ per passed test and exit 0', async () => {
      for (const args of [['--test'], ['test']]) {
        const result = await runCli(args, env());
        assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}${result.stdout}`);
        assert.equal(result.stderr, '');
        assert.match(
          result.stdout,
          /^Self-test: passed \(\d+\.\ds; read-only, nothing was written\)$/m,
        );
        for (const name of SELF_TEST_NAMES)
          assert.match(result.stdout, new RegExp(`^  ✓ ${name} \\(\\d+\\.\\ds\\)$`, 'm'));
        assert.match(
          result.stdout,
          /^ {6}warning: 1 live record\(s\) in the sample would be rejected/m,
        );
        assert.match(result.stdout, /^3 tests: 3 passed, 0 failed, 1 warning\(s\)\.$/m);
      }
    });

    it('--json prints the report alone on stdout', async () => {
      for (const args of [
        ['--test', '--json'],
        ['test', '--json'],
      ]) {
        const result = await runCli(args, env());
        assert.equal(result.code, 0, result.stderr);
        const report = JSON.parse(result.stdout) as SelfTestReport;
        assert.equal(report.passed, true);
        assert.deepEqual(
          report.tests.map((t) => [t.name, t.passed]),
          SELF_TEST_NAMES.map((n) => [n, true]),
        );
        assert.equal(typeof report.durationMs, 'number');
      }
    });

    it('an unreachable store or a missing schema fails the connectivity test: exit 1 with the reason, the rest not run', async () => {
      const bareUrl = await createTestDatabase('selftest_clibare', { schema: false });
      const cases: [label: string, env: Record<string, string>, reason: RegExp][] = [
        [
          'Redis down',
          { ...env(), REDIS_URL: 'redis://127.0.0.1:1' },
          /^Redis at 127\.0\.0\.1:1 does not answer PING: .*ECONNREFUSED/,
        ],
        [
          'PostgreSQL down',
          { ...env(), DATABASE_URL: 'postgres://postgres:secret@127.0.0.1:5499/nowhere' },
          /^PostgreSQL does not answer: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:5499\/nowhere: .*ECONNREFUSED/,
        ],
        [
          'no schema',
          { ...env(), DATABASE_URL: bareUrl },
          /^the database schema is missing \(no schema migration applied\): run `npm run db:migrate`$/,
        ],
      ];
      for (const [label, caseEnv, reason] of cases) {
        const json = await runCli(['test', '--json'], caseEnv);
        assert.equal(json.code, 1, `${label}: ${json.stderr}`);
        assert.ok(
          !json.stdout.includes('secret') && !json.stderr.includes('secret'),
          `${label}: no password in the output`,
        );
        const report = JSON.parse(json.stdout) as SelfTestReport;
        assert.equal(report.passed, false, label);
        assert.equal(report.tests[0].passed, false, label);
        assert.match(report.tests[0].details[0], reason, label);
        for (const t of report.tests.slice(1)) {
          assert.equal(t.passed, false, label);
          assert.match(t.details[0], /^not run: Database connectivity failed \(/, label);
        }
        const human = await runCli(['--test'], caseEnv);
        assert.equal(human.code, 1, label);
        assert.match(human.stdout, /^Self-test: FAILED/m, label);
        assert.match(human.stdout, /^ {2}✗ Database connectivity/m, label);
        assert.match(
          human.stdout,
          /^ {2}✗ Backward compatibility verification \(0\.0s\)\n {6}not run: /m,
          label,
        );
      }
    });

    it('--test excludes the other actions and the migration flags; test takes no argument (exit 2)', async () => {
      for (const args of [
        ['--test', '--dry-run'],
        ['--test', '--check'],
        ['--backup', '--test'],
        ['--test', '--batch-size', '5'],
        ['test', 'extra'],
      ]) {
        const result = await runCli(args, env());
        assert.equal(result.code, 2, args.join(' '));
        assert.equal(result.stdout, '');
        assert.match(
          result.stderr,
          /^tenant-migrate: .*(cannot be combined with|unexpected argument)/,
          args.join(' '),
        );
      }
    });
  });

  describe('the admin API', () => {
    const http = () => request(app.getHttpServer());

    it('GET ?action=test needs the token', async () => {
      const res = await http().get(`${BASE}?action=test`);
      assert.equal(res.status, 401);
      const wrong = await http()
        .get(`${BASE}?action=test`)
        .set('Authorization', `Bearer ${TOKEN}x`);
      assert.equal(wrong.status, 401);
    });

    it('GET ?action=test answers 200 with the report; test is not a POST action', async () => {
      const res = await http().get(`${BASE}?action=test`).set('Authorization', `Bearer ${TOKEN}`);
      assert.equal(res.status, 200);
      const report = res.body as SelfTestReport;
      assert.equal(report.passed, true);
      assert.deepEqual(
        report.tests.map((t) => t.name),
        [...SELF_TEST_NAMES],
      );
      assert.equal(allWarnings(report).length, 1);
      const post = await http()
        .post(BASE)
        .set('Authorization', `Bearer ${TOKEN}`)
        .send({ action: 'test' });
      assert.equal(post.status, 400);
    });
  });

  it('changed nothing in either store across the library, CLI and admin runs above', async () => {
    assert.deepEqual(await snapshotRedis(stores.redis, pattern()), redisBaseline);
    assert.deepEqual(await snapshotPostgres(stores.db), postgresBaseline);
  });

  it('reports drift between the stores as a warning, not a failure (on the fields the Redis record carries)', async () => {
    await stores.db.query(`UPDATE tenants SET emoji = '🍔' WHERE subdomain = 'tacos'`);
    // A profile added in PostgreSQL to a legacy tenant has no place in its legacy record: not drift.
    await stores.db.query(
      `UPDATE tenants SET business_name = 'Added in PostgreSQL' WHERE subdomain = 'pizza'`,
    );
    const report = await tests.runAllTests();
    assert.equal(report.passed, true);
    const compat = testNamed(report, 'Backward compatibility verification');
    assert.match(
      compat.details[1],
      /4 of the 5 sampled tenants are in PostgreSQL: 3 read back .* 1 drifted$/,
    );
    assert.match(
      compat.warnings?.[0] ?? '',
      /^1 sampled tenant\(s\) differ .*tacos: emoji: "🌮" \/ "🍔" \[changed in PostgreSQL since the last migration\]/,
    );
  });

  describe('outages and schema problems', () => {
    let silent: Server;

    before(async () => {
      silent = createServer(() => undefined);
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    });
    after(() => {
      silent.close();
    });

    const assertConnectivityFailed = (report: SelfTestReport, reason: RegExp): void => {
      assert.equal(report.passed, false);
      assert.equal(report.tests.length, 3);
      assert.equal(report.tests[0].name, 'Database connectivity');
      assert.equal(report.tests[0].passed, false);
      assert.match(report.tests[0].details[0], reason);
      for (const t of report.tests.slice(1)) {
        assert.equal(t.passed, false);
        assert.deepEqual(t.details, [
          `not run: Database connectivity failed (${report.tests[0].details[0]})`,
        ]);
      }
    };

    it('a closed Redis port fails connectivity with the reason, without throwing', async () => {
      const down = await contextFor({
        databaseUrl: stores.databaseUrl,
        redisUrl: 'redis://127.0.0.1:1',
        prefix: stores.prefix,
      });
      try {
        const report = await down.get(MigrationTests).runAllTests();
        assertConnectivityFailed(
          report,
          /^Redis at 127\.0\.0\.1:1 does not answer PING: .*ECONNREFUSED 127\.0\.0\.1:1/,
        );
        assert.match(
          report.tests[0].details.join('\n'),
          /^PostgreSQL \d+.* answers/m,
          'PostgreSQL is still checked and reported',
        );
      } finally {
        await shutdown(down);
      }
    });

    it('a Redis that accepts connections but never answers fails connectivity after the timeout', async () => {
      const { port } = silent.address() as AddressInfo;
      const hung = await contextFor({
        databaseUrl: stores.databaseUrl,
        redisUrl: `redis://127.0.0.1:${port}`,
        prefix: stores.prefix,
        redisOptions: { maxRetriesPerRequest: 1 },
      });
      try {
        const timeoutMs = 300;
        const started = Date.now();
        const report = await hung.get(MigrationTests).runAllTests({ timeoutMs });
        assertConnectivityFailed(
          report,
          new RegExp(
            `^Redis at 127\\.0\\.0\\.1:${port} does not answer PING: .*no (answer|connection) within 0\\.3s`,
          ),
        );
        assertWithin(Date.now() - started, timeoutMs, 'the self-test of a silent Redis');
      } finally {
        await shutdown(hung);
      }
    });

    it('an unreachable PostgreSQL fails connectivity with the reason, without throwing', async () => {
      const down = await contextFor({
        databaseUrl: 'postgres://postgres@127.0.0.1:5499/nowhere',
        redisUrl: TEST_REDIS_URL,
        prefix: stores.prefix,
        manualInitialization: true,
      });
      try {
        const report = await down.get(MigrationTests).runAllTests();
        assertConnectivityFailed(
          report,
          /^PostgreSQL does not answer: cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:5499\/nowhere: .*ECONNREFUSED/,
        );
        assert.match(
          report.tests[0].details.join('\n'),
          /^Redis \S+ answers PING/m,
          'Redis is still checked and reported',
        );
      } finally {
        await shutdown(down);
      }
    });

    it('a missing or stale schema fails connectivity', async () => {
      const [bareUrl, staleUrl] = await Promise.all([
        createTestDatabase('selftest_bare', { schema: false }),
        createTestDatabase('selftest_stale'),
      ]);
      const redisUrl = TEST_REDIS_URL;
      const bare = await contextFor({ databaseUrl: bareUrl, redisUrl, prefix: stores.prefix });
      try {
        assertConnectivityFailed(
          await bare.get(MigrationTests).runAllTests(),
          /^the database schema is missing \(no schema migration applied\)/,
        );
      } finally {
        await shutdown(bare);
      }
      const stale = await contextFor({ databaseUrl: staleUrl, redisUrl, prefix: stores.prefix });
      try {
        await stale
          .get(MigrationTests)
          .runAllTests()
          .then((r) => assert.equal(r.passed, true, JSON.stringify(r.tests[0])));
        await stale
          .get(DataSource)
          .query('DELETE FROM tenant_migrate_schema_migrations WHERE name = $1', [
            LATEST_SCHEMA_MIGRATION,
          ]);
        const report = await stale.get(MigrationTests).runAllTests();
        assertConnectivityFailed(
          report,
          new RegExp(
            `^the database schema is out of date \\(newest applied \\w+, expected ${LATEST_SCHEMA_MIGRATION}\\): run \`npm run db:migrate\`$`,
          ),
        );
      } finally {
        await shutdown(stale);
      }
    });
  });
});
