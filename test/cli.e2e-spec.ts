import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  deleteByPattern,
  TEST_REDIS_URL,
  testNamespace,
} from './support/test-stores.js';
import { runCli } from './support/cli.js';

describe('CLI: migrate, validate, check, sync, stats, report and cleanup against the stores', () => {
  const namespace = testNamespace('cli');
  const prefix = `${namespace}subdomain:`;
  let redis: Redis;
  let databaseUrl: string;
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
    databaseUrl = await createTestDatabase('cli');
  });
  after(async () => {
    await deleteByPattern(redis, `${namespace}*`);
    redis.disconnect();
  });

  it('migrates with no subcommand at all, then reports everything unchanged', async () => {
    const first = await runCli([], env());
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /migrated\s+2/);
    assert.match(first.stdout, /Counts add up/);
    assert.equal(await tenants(), 2);
    const second = await runCli(['migrate', '--json'], env());
    assert.equal(second.code, 0);
    const doc = JSON.parse(second.stdout) as { counts: { unchanged: number; migrated: number } };
    assert.deepEqual([doc.counts.unchanged, doc.counts.migrated], [2, 0]);
  });

  it('validate exits 1 when records are invalid and lists the reasons', async () => {
    await redis.set(`${prefix}broken`, '{"emoji":');
    try {
      const result = await runCli(['validate', '--json'], env());
      assert.equal(result.code, 1);
      const report = JSON.parse(result.stdout) as {
        scanned: number;
        valid: number;
        rejected: number;
        rejectedByReason: Record<string, number>;
      };
      assert.deepEqual([report.scanned, report.valid, report.rejected], [3, 2, 1]);
      assert.equal(report.rejectedByReason['invalid-json'], 1);
    } finally {
      await redis.del(`${prefix}broken`);
    }
  });

  it('check exits 0 when the stores agree and 1 with the differences when they drift', async () => {
    const clean = await runCli(['check', '--json'], env());
    assert.equal(clean.code, 0, clean.stderr);
    const report = JSON.parse(clean.stdout) as { consistent: boolean; matching: number };
    assert.deepEqual([report.consistent, report.matching], [true, 2]);

    await redis.set(`${prefix}pizza`, JSON.stringify({ emoji: '🍔', createdAt: 1700000000000 }));
    try {
      const drift = await runCli(['--check'], env());
      assert.equal(drift.code, 1, drift.stderr);
      assert.match(drift.stdout, /DRIFT FOUND/);
      assert.match(drift.stdout, /different\s+pizza .*emoji: redis "🍔" \/ postgres "🍕"/);
      const bad = await runCli(['--check', '--dry-run'], env());
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /cannot be combined with --dry-run/);
    } finally {
      await redis.set(`${prefix}pizza`, JSON.stringify({ emoji: '🍕', createdAt: 1700000000000 }));
    }
  });

  it('sync reconciles one tenant and says which way; the spec form works; bad input is exit 2', async () => {
    await redis.set(`${prefix}tacos`, JSON.stringify({ emoji: '🌯', createdAt: 1700000000001 }));
    const preview = await runCli(['sync', 'tacos', '--dry-run'], env());
    assert.equal(preview.code, 0, preview.stderr);
    assert.match(
      preview.stdout,
      /Would sync tacos .*redis-to-postgres — Redis changed since the last migration/,
    );
    const synced = await runCli(['--sync', '--subdomain', 'tacos', '--json'], env());
    assert.equal(synced.code, 0, synced.stderr);
    assert.deepEqual(
      (JSON.parse(synced.stdout) as { direction: string }).direction,
      'redis-to-postgres',
    );
    assert.equal((await runCli(['check'], env())).code, 0, 'consistent again');
    const none = await runCli(['sync', '--all-drifted'], env());
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /Synced 0 of 0 drifted tenants/);

    for (const [args, message] of [
      [['--sync'], /--sync needs --subdomain/],
      [['--subdomain', 'tacos'], /--subdomain goes with --sync/],
      [['sync', 'bad_name!'], /not a valid subdomain/],
      [['sync', 'nowhere'], /exists in neither Redis nor PostgreSQL/],
      [['sync', 'tacos', '--prefer', 'both'], /--prefer must be redis or postgres/],
      [['sync'], /a subdomain, --all-drifted or --pending/],
      [['sync', 'tacos', '--all-drifted'], /a subdomain, --all-drifted or --pending/],
      [['sync', 'tacos', '--pending'], /a subdomain, --all-drifted or --pending/],
      [['sync', '--pending', '--all-drifted'], /a subdomain, --all-drifted or --pending/],
    ] as const) {
      const result = await runCli([...args], env());
      assert.equal(result.code, 2, args.join(' '));
      assert.match(result.stderr, message);
    }
  });

  it('sync --pending replays the write-back queue into Redis in the legacy format', async () => {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      // What TenantService leaves when Redis was down: PostgreSQL written, the write-back queued.
      await db.query(`UPDATE tenants SET emoji = '🍟' WHERE subdomain = 'pizza'`);
      await db.query(
        `INSERT INTO redis_write_backs (subdomain, key, last_error) VALUES ('pizza', $1, 'connect ECONNREFUSED')`,
        [`${prefix}pizza`],
      );
      const stats = await runCli(['stats', '--json'], env());
      assert.equal(
        (JSON.parse(stats.stdout) as { pendingWriteBacks: number }).pendingWriteBacks,
        1,
      );
      const preview = await runCli(['sync', '--pending', '--dry-run'], env());
      assert.equal(preview.code, 0, preview.stderr);
      assert.match(preview.stdout, /Would sync 1 of 1 tenants with a pending write-back/);
      const replay = await runCli(['sync', '--pending', '--json'], env());
      assert.equal(replay.code, 0, replay.stderr);
      assert.deepEqual((JSON.parse(replay.stdout) as { synced: number }).synced, 1);
      assert.equal(
        await redis.get(`${prefix}pizza`),
        JSON.stringify({ emoji: '🍟', createdAt: 1700000000000 }),
      );
      assert.equal(
        (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM redis_write_backs')).rows[0]
          .n,
        0,
      );
    } finally {
      await db.end();
    }
  });

  it('stats, report and --report; --yes alone is a usage error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-cli-report-'));
    try {
      const stats = await runCli(['stats', '--json'], env());
      assert.equal(stats.code, 0, stats.stderr);
      assert.equal((JSON.parse(stats.stdout) as { postgresTenants: number }).postgresTenants, 2);
      const report = await runCli(['report', '--out-dir', dir], env());
      assert.equal(report.code, 0, report.stderr);
      assert.match(report.stdout, /Report written: .*report-.*\.md/);
      const spec = await runCli(['--report', '--json'], { ...env() });
      assert.equal(spec.code, 0, spec.stderr);
      const paths = JSON.parse(spec.stdout) as { jsonPath: string; markdownPath: string };
      assert.match(await readFile(paths.markdownPath, 'utf8'), /# Tenant migration report/);
      await rm(paths.jsonPath);
      await rm(paths.markdownPath);
      const yes = await runCli(['--yes'], env());
      assert.equal(yes.code, 2);
      assert.match(yes.stderr, /--yes goes with --cleanup/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cleanup refuses without a verified backup, previews by default, and then check calls the keys cleaned up', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tm-cli-cleanup-'));
    try {
      const withDir = { ...env(), BACKUP_DIR: dir };
      const refused = await runCli(['cleanup'], withDir);
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /no verified backup/);

      const backup = JSON.parse((await runCli(['backup', '--json'], withDir)).stdout) as {
        id: string;
      };
      assert.equal((await runCli(['backup', 'verify', backup.id], withDir)).code, 0);
      const preview = await runCli(['cleanup', '--json'], withDir);
      assert.equal(preview.code, 0, preview.stderr);
      assert.deepEqual(
        pick(JSON.parse(preview.stdout) as Record<string, unknown>, 'dryRun', 'deleted'),
        {
          dryRun: true,
          deleted: 2,
        },
      );
      assert.equal(await redis.exists(`${prefix}pizza`), 1);

      const done = await runCli(['--cleanup', '--yes'], withDir);
      assert.equal(done.code, 0, done.stderr);
      assert.match(done.stdout, /deleted\s+2/);
      assert.equal(await redis.exists(`${prefix}pizza`), 0);
      const check = await runCli(['check'], withDir);
      assert.equal(check.code, 0, check.stdout);
      assert.match(check.stdout, /2 of them cleaned up from Redis on purpose/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const pick = (doc: Record<string, unknown>, ...names: string[]) =>
  Object.fromEntries(names.map((n) => [n, doc[n]]));
