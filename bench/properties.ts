/**
 * The `properties` scenario of the benchmark (wired in main.ts): the end-to-end property of
 * test/properties.e2e-spec.ts (generated hostile keyspaces, a dry run then a migration, every
 * key in exactly one bucket, see test/support/hostile-data.ts) at a larger count than the suite
 * runs, against a dedicated database (`tm_bench_properties`, re-created) and key prefix
 * (`tm-bench:properties:subdomain:` in the bench Redis, deleted before and after).
 *
 * `--cases N` (default 200) cases of keyspaces named in UTF-8, and a quarter as many of
 * keyspaces with names that are not UTF-8; `--seed S` replays a run. It prints, per property,
 * the cases run, the keys written (shrinking included), the seconds and keys per second, and on
 * a failure fast-check's report (seed, path, shrunk counterexample); the exit code is then 1.
 */
import 'reflect-metadata';
import fc from 'fast-check';
import pg from 'pg';
import { Redis } from 'ioredis';
import { DataSource } from 'typeorm';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RedisModule } from '@nestjs-modules/ioredis';
import { buildDataSourceOptions, MigrationService, TenantMigrationModule } from '#tenant-migration';
import {
  batchSize,
  binaryNameKeyspace,
  checkKeyspace,
  KEYSPACE_SHRINKS,
  utf8Keyspace,
  type Keyspace,
  type KeyspaceHarness,
} from '../test/support/hostile-data.js';
import { deleteByPattern } from '../test/support/test-stores.js';

/** What main.ts hands over: its parsed environment and its helpers. */
export interface PropertiesBenchSettings {
  redisUrl: string;
  adminUrl: string;
  flag: (name: string, fallback: string) => string;
  fail: (message: string) => never;
}

const DATABASE = 'tm_bench_properties';
const NAMESPACE = 'tm-bench:properties:';
const PREFIX = `${NAMESPACE}subdomain:`;
/** The schema migrations' ledger: kept, while every other table is emptied before each case. */
const SCHEMA_LEDGER = 'tenant_migrate_schema_migrations';

const recreateDatabase = async (adminUrl: string): Promise<string> => {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${DATABASE}`;
  const dataSource = new DataSource(buildDataSourceOptions(url.toString()));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();
  return url.toString();
};

interface PropertyRow {
  label: string;
  details: fc.RunDetails<[number, Keyspace]>;
  keys: number;
  seconds: number;
}

export const runProperties = async (settings: PropertiesBenchSettings): Promise<void> => {
  const { flag, fail } = settings;
  const casesText = flag('--cases', '200').replace(/_/g, '');
  const cases = Number(casesText);
  if (!Number.isInteger(cases) || cases < 1)
    fail(`--cases takes a whole number >= 1, got "${casesText}"`);
  const seedText = flag('--seed', '');
  const seed = seedText === '' ? Date.now() ^ (Math.random() * 0x100000000) : Number(seedText);
  if (!Number.isInteger(seed)) fail(`--seed takes an integer, got "${seedText}"`);

  process.stderr.write(`bench: re-creating ${DATABASE}\n`);
  const databaseUrl = await recreateDatabase(settings.adminUrl);
  const redis = new Redis(settings.redisUrl);
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const app = await NestFactory.createApplicationContext(
    {
      imports: [
        TypeOrmModule.forRoot({ ...buildDataSourceOptions(databaseUrl), retryAttempts: 0 }),
        RedisModule.forRoot({ type: 'single', url: settings.redisUrl }),
        TenantMigrationModule.forRoot({ keyPrefix: PREFIX, operations: { mode: 'client' } }),
      ],
    },
    // Failing batches while fast-check shrinks would print one error each.
    { logger: false },
  );
  const clearRedis = (): Promise<void> => deleteByPattern(redis, `${NAMESPACE}*`);
  const tables = (
    await db.query<{ tablename: string }>(
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> $1",
      [SCHEMA_LEDGER],
    )
  ).rows.map((r) => `"${r.tablename}"`);
  const harness: KeyspaceHarness = {
    prefix: PREFIX,
    redis,
    db,
    clearRedis,
    clearDatabase: async () => {
      await db.query(`TRUNCATE ${tables.join(', ')}`);
    },
    migrations: app.get(MigrationService),
  };

  const run = async (
    label: string,
    keyspaces: fc.Arbitrary<Keyspace>,
    numRuns: number,
  ): Promise<PropertyRow> => {
    process.stderr.write(`bench: ${label}: ${numRuns} cases, seed ${seed}\n`);
    let keys = 0;
    const started = process.hrtime.bigint();
    const details = await fc.check(
      fc.asyncProperty(
        batchSize,
        fc.limitShrink(keyspaces, KEYSPACE_SHRINKS),
        async (size, keyspace) => {
          keys += keyspace.entries.length;
          await checkKeyspace(harness, keyspace, size);
        },
      ),
      { numRuns, seed, includeErrorInReport: true },
    );
    return { label, details, keys, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
  };

  const rows: PropertyRow[] = [];
  try {
    await clearRedis();
    rows.push(await run('UTF-8 key names', utf8Keyspace(400), cases));
    rows.push(
      await run('key names not UTF-8', binaryNameKeyspace(60), Math.max(1, Math.round(cases / 4))),
    );
  } finally {
    await clearRedis().catch(() => undefined);
    await app.close();
    await db.end();
    redis.disconnect();
  }

  console.log(`\nscenario: properties (seed ${seed}; replay with --seed ${seed})`);
  console.log('property               cases     keys   seconds    keys/s  result');
  for (const { label, details, keys, seconds } of rows) {
    const result = details.failed
      ? `FAILED after ${details.numRuns} cases, shrunk ${details.numShrinks} times`
      : 'passed';
    console.log(
      [
        label.padEnd(20),
        String(details.numRuns).padStart(7),
        keys.toLocaleString('en-US').padStart(8),
        seconds.toFixed(2).padStart(9),
        Math.round(keys / seconds)
          .toLocaleString('en-US')
          .padStart(9),
        ` ${result}`,
      ].join(' '),
    );
  }
  for (const { label, details } of rows.filter((r) => r.details.failed)) {
    console.log(`\n${label}:\n${fc.defaultReportMessage(details) ?? ''}`);
  }
  if (rows.some((r) => r.details.failed)) process.exitCode = 1;
};
