/**
 * The CLI's answers to bad input and to stores it cannot use: unknown flags and words, bad
 * values, an invalid environment, unreachable stores, a missing schema, a held lock. Each is
 * an exit code and one line, and none of them migrates anything.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { tableLockKeySql } from '../libs/tenant-migration/src/migration/table-lock.repository.js';
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { runCli } from './support/cli.js';

describe('CLI: usage errors, store outages and the environment', () => {
  const namespace = testNamespace('cli-usage');
  const prefix = `${namespace}subdomain:`;
  let redis: Redis;
  let databaseUrl: string;
  let bareUrl: string;
  const env = () => ({ DATABASE_URL: databaseUrl, TENANT_KEY_PREFIX: prefix });
  const tenants = async (): Promise<number> => {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM tenants')).rows[0].n);
    } finally {
      await db.end();
    }
  };

  before(async () => {
    redis = new Redis(TEST_REDIS_URL);
    await deleteByPattern(redis, `${namespace}*`);
    await redis.set(`${prefix}pizza`, JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    await redis.set(`${prefix}tacos`, JSON.stringify({ emoji: '🌮', createdAt: 1700000000001 }));
    [databaseUrl, bareUrl] = await Promise.all([
      createTestDatabase('cli_usage'),
      createTestDatabase('cli_usage_bare', { schema: false }),
    ]);
  });
  after(async () => {
    await deleteByPattern(redis, `${namespace}*`);
    redis.disconnect();
  });

  it('rejects an unknown flag with exit 2 and migrates nothing (a typo never migrates)', async () => {
    const result = await runCli(['--dryrun'], env());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown option '--dryrun'/);
    assert.equal(await tenants(), 0);
  });

  it('rejects a stray word (a mistyped command) with exit 2 and migrates nothing', async () => {
    for (const args of [['frobnicate'], ['migrate', 'extra'], ['migrat']]) {
      const result = await runCli(args, env());
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, /unknown command|unexpected argument/);
    }
    assert.equal(await tenants(), 0);
  });

  it('rejects a run id that is not a UUID with exit 2', async () => {
    const result = await runCli(['resume', 'not-a-uuid'], env());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /"not-a-uuid" is not a run id/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('answers --help and validates without PostgreSQL', async () => {
    const offline = { ...env(), DATABASE_URL: 'postgres://postgres@127.0.0.1:5499/nowhere' };
    const help = await runCli(['--help'], offline);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /dry-run/);
    const validate = await runCli(['validate', '--json'], offline);
    assert.equal(validate.code, 0, validate.stderr);
    assert.equal((JSON.parse(validate.stdout) as { valid: number }).valid, 2);
  });

  it('rejects an unsupported phone region with exit 2', async () => {
    const result = await runCli(['validate'], { ...env(), DEFAULT_PHONE_REGION: 'XX' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /"XX" is not a supported/);
  });

  it('rejects bad option values with exit 2 and one line', async () => {
    const result = await runCli(['migrate', '--conflict-policy', 'yolo'], env());
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--conflict-policy must be one of keep-postgres, overwrite, skip/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  it('previews with --dry-run (the spec form) and prints only JSON on stdout with --json', async () => {
    const result = await runCli(['--dry-run', '--json'], env());
    assert.equal(result.code, 0, result.stderr);
    const doc = JSON.parse(result.stdout) as {
      dryRun: boolean;
      counts: { scanned: number; migrated: number };
    };
    assert.equal(doc.dryRun, true);
    assert.equal(doc.counts.scanned, 2);
    assert.equal(doc.counts.migrated, 2);
    assert.equal(await tenants(), 0);
  });

  it('names an unreachable Redis without its password, exit 3, no stack trace', async () => {
    const result = await runCli(['migrate'], {
      ...env(),
      REDIS_URL: 'redis://:hunter2secret@127.0.0.1:6390',
    });
    assert.equal(result.code, 3);
    assert.match(result.stderr, /cannot reach Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:6390/);
    assert.doesNotMatch(result.stderr + result.stdout, /hunter2secret/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('names an unreachable PostgreSQL without its password, exit 3', async () => {
    const result = await runCli(['migrate'], {
      ...env(),
      DATABASE_URL: 'postgres://app:hunter2secret@127.0.0.1:5499/x',
    });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      /cannot reach PostgreSQL at postgres:\/\/app:\*\*\*@127\.0\.0\.1:5499\/x/,
    );
    assert.doesNotMatch(result.stderr, /hunter2secret/);
  });

  it('says which command creates a missing schema, exit 3', async () => {
    for (const command of ['migrate', 'runs']) {
      const result = await runCli([command], { ...env(), DATABASE_URL: bareUrl });
      assert.equal(result.code, 3, command);
      assert.match(result.stderr, /npm run db:migrate/);
      assert.equal(result.stderr.trim().split('\n').length, 1, 'one line, no query dump');
    }
  });

  it('refuses to run while another migration holds the lock, exit 3', async () => {
    const holder = new pg.Client({ connectionString: databaseUrl });
    await holder.connect();
    try {
      await holder.query(`SELECT pg_advisory_lock(${tableLockKeySql('$1')})`, ['tenants']);
      const result = await runCli(['migrate'], env());
      assert.equal(result.code, 3);
      assert.match(
        result.stderr,
        /migrate cannot start: a migration, PostgreSQL restore, sync or cleanup is running on tenants/,
      );
    } finally {
      await holder.end();
    }
  });

  it('rejects an invalid environment with exit 2 and names the variable', async () => {
    const result = await runCli(['migrate'], { ...env(), MIGRATION_BATCH_SIZE: 'lots' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /MIGRATION_BATCH_SIZE/);
  });
});
