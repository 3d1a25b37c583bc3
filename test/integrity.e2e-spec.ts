import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import {
  BackupService,
  CleanupRefusedError,
  ReportService,
  CleanupService,
  ConcurrentChangeError,
  IntegrityService,
  InvalidOptionError,
  InvalidSubdomainError,
  SyncService,
  TENANT_REDIS,
  TenantNotFoundError,
  type IntegrityReport,
} from '#tenant-migration';
import {
  createMigrationContext,
  createTestStores,
  type MigrationContext,
  type TestStores,
} from './support/test-stores.js';
import { legacy, ENHANCED } from './support/tenant-fixtures.js';

describe('integrity check against the real Redis and PostgreSQL', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let integrity: IntegrityService;
  let sync: SyncService;
  let cleanup: CleanupService;
  let backups: BackupService;
  const key = (name: string) => `${stores.prefix}${name}`;
  let backupDir: string;

  /** The invariants every report must satisfy, whatever it found. */
  const assertAddsUp = (r: IntegrityReport): void => {
    assert.equal(r.redisKeys, r.valid + r.invalid + r.skipped, 'every key counted once');
    assert.equal(
      r.valid,
      r.matching + r.different + r.onlyInRedis,
      'every valid record classified once',
    );
    assert.equal(r.consistent, r.onlyInRedis + r.onlyInPostgres + r.different === 0);
  };

  before(async () => {
    stores = await createTestStores('integrity');
    backupDir = await mkdtemp(join(tmpdir(), 'tm-integrity-'));
    ctx = await createMigrationContext(stores, { batchSize: 3, backupDir });
    integrity = ctx.app.get(IntegrityService);
    sync = ctx.app.get(SyncService);
    cleanup = ctx.app.get(CleanupService);
    backups = ctx.app.get(BackupService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
    await rm(backupDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await stores.clearRedis();
    await stores.clearDatabase();
    await stores.redis.set(key('pizza'), legacy('🍕'));
    await stores.redis.set(key('tacos'), legacy('🌮', 1700000000123));
    await stores.redis.set(key('salon'), JSON.stringify(ENHANCED));
    await stores.redis.set(key('gelato'), legacy('🍨'));
    await ctx.migrations.migrate();
  });

  it('finds a fresh migration consistent, field by field', async () => {
    const report = await integrity.check();
    assertAddsUp(report);
    assert.equal(report.consistent, true, JSON.stringify(report.drift));
    assert.deepEqual(
      [report.redisKeys, report.valid, report.matching, report.postgresTenants],
      [4, 4, 4, 4],
    );
    assert.deepEqual(report.drift, []);
  });

  it('names every kind of drift with the fields and both values', async () => {
    // changed in Redis: two fields of the enhanced record
    await stores.redis.set(
      key('salon'),
      JSON.stringify({
        ...ENHANCED,
        businessName: 'Salon Élise & Co',
        features: { whatsapp: false, analytics: true },
      }),
    );
    // changed in PostgreSQL
    await stores.db.query(
      `UPDATE tenants SET emoji = '🌯', subscription_plan = 'enterprise' WHERE subdomain = 'tacos'`,
    );
    // only in Redis: added after the migration
    await stores.redis.set(key('bagel'), legacy('🥯'));
    // only in PostgreSQL: the key was deleted
    await stores.redis.del(key('gelato'));

    const report = await integrity.check();
    assertAddsUp(report);
    assert.equal(report.consistent, false);
    assert.deepEqual(
      [report.onlyInRedis, report.onlyInPostgres, report.different, report.matching],
      [1, 1, 2, 1],
    );
    const byName = new Map(report.drift.map((d) => [d.subdomain, d]));
    assert.deepEqual(byName.get('bagel'), {
      kind: 'only-in-redis',
      subdomain: 'bagel',
      key: key('bagel'),
    });
    assert.deepEqual(byName.get('gelato'), {
      kind: 'only-in-postgres',
      subdomain: 'gelato',
      key: key('gelato'),
    });

    const salon = byName.get('salon');
    assert.equal(salon?.kind, 'different');
    assert.deepEqual(salon?.fields, [
      { field: 'businessName', redis: 'Salon Élise & Co', postgres: 'Salon Élise' },
      { field: 'features.whatsapp', redis: false, postgres: true },
    ]);
    assert.deepEqual([salon?.changedInRedis, salon?.changedInPostgres], [true, false]);

    const tacos = byName.get('tacos');
    // tacos is a legacy record: only what it carries (emoji, createdAt) can drift; the plan is PostgreSQL's own.
    assert.deepEqual(tacos?.fields, [{ field: 'emoji', redis: '🌮', postgres: '🌯' }]);
    assert.deepEqual([tacos?.changedInRedis, tacos?.changedInPostgres], [false, true]);
  });

  it("treats a profile added in PostgreSQL to a legacy tenant as PostgreSQL's own, not as drift", async () => {
    await stores.db.query(
      `UPDATE tenants SET business_name = 'Gelato Bar', owner_name = 'Gina', subscription_plan = 'premium' WHERE subdomain = 'gelato'`,
    );
    const report = await integrity.check();
    assertAddsUp(report);
    assert.equal(
      report.drift.find((d) => d.subdomain === 'gelato'),
      undefined,
    );
    await stores.db.query(`UPDATE tenants SET emoji = '🍦' WHERE subdomain = 'gelato'`);
    const changed = (await integrity.check()).drift.find((d) => d.subdomain === 'gelato');
    assert.deepEqual(changed?.fields, [{ field: 'emoji', redis: '🍨', postgres: '🍦' }]);
  });

  it('compares timestamps to the millisecond', async () => {
    await stores.db.query(
      `UPDATE tenants SET created_at = created_at + interval '1 millisecond' WHERE subdomain = 'tacos'`,
    );
    const report = await integrity.check();
    const tacos = report.drift.find((d) => d.subdomain === 'tacos');
    assert.equal(tacos?.fields?.length, 1);
    assert.equal(tacos?.fields?.[0].field, 'createdAt');
  });

  it('reports known-invalid records apart from drift', async () => {
    await stores.redis.set(key('pizza'), '{"emoji": broken');
    await stores.redis.set(key('www'), legacy('🌐'));
    const report = await integrity.check();
    assertAddsUp(report);
    assert.equal(report.invalid, 2);
    assert.deepEqual(report.invalidRecords.map((r) => r.key).sort(), [key('pizza'), key('www')]);
    assert.equal(
      report.consistent,
      true,
      'an invalid record is not drift, and its migrated row is not "only in PostgreSQL"',
    );
    assert.equal(report.onlyInPostgres, 0);
  });

  it('caps the listed drifts but never the counts', async () => {
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5'])
      await stores.redis.set(key(name), legacy('🍕'));
    const report = await integrity.check({ limit: 2 });
    assert.equal(report.onlyInRedis, 5);
    assert.equal(report.drift.length, 2);
    assert.equal(report.truncated, true);
    assert.equal((await integrity.check()).drift.length, 5, 'limit 0 lists everything');
  });

  it('writes nothing to either store', async () => {
    const before = (await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain'))
      .rows;
    await integrity.check();
    assert.deepEqual(
      (await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain')).rows,
      before,
    );
    assert.equal(await stores.redis.get(key('pizza')), legacy('🍕'));
  });

  describe('sync', () => {
    const driftOf = async (subdomain: string) =>
      (await integrity.check()).drift.find((d) => d.subdomain === subdomain);

    it('Redis to PostgreSQL when Redis changed, and the check is clean again', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔'));
      const preview = await sync.sync('pizza', { dryRun: true });
      assert.deepEqual([preview.direction, preview.dryRun], ['redis-to-postgres', true]);
      assert.ok(await driftOf('pizza'), 'a dry run changes nothing');

      const result = await sync.sync('pizza', { actor: 'test' });
      assert.equal(result.direction, 'redis-to-postgres');
      assert.match(result.reason, /Redis changed/);
      assert.equal(
        (
          await stores.db.query<{ emoji: string }>(
            `SELECT emoji FROM tenants WHERE subdomain = 'pizza'`,
          )
        ).rows[0].emoji,
        '🍔',
      );
      assert.equal((await integrity.check()).consistent, true);
    });

    it('PostgreSQL to Redis when PostgreSQL changed, in the format legacy readers understand', async () => {
      await stores.db.query(
        `UPDATE tenants SET emoji = '🌯', business_name = 'Taco Town' WHERE subdomain = 'tacos'`,
      );
      const result = await sync.sync('TACOS ');
      assert.equal(result.direction, 'postgres-to-redis');
      assert.equal(result.subdomain, 'tacos', 'input is normalised');
      assert.equal(
        await stores.redis.get(key('tacos')),
        JSON.stringify({ emoji: '🌯', createdAt: 1700000000123 }),
      );
      // A legacy record carries emoji and createdAt; the business name is PostgreSQL's own.
      assert.equal((await integrity.check()).consistent, true);
      assert.equal(
        (await sync.sync('tacos')).direction,
        'none',
        'the written value is recorded as migrated',
      );
    });

    it('PostgreSQL to Redis keeps an enhanced record enhanced; a key deleted in Redis deletes the tenant', async () => {
      await stores.db.query(`UPDATE tenants SET owner_name = 'Élise M.' WHERE subdomain = 'salon'`);
      assert.equal((await sync.sync('salon')).direction, 'postgres-to-redis');
      assert.equal(
        (JSON.parse((await stores.redis.get(key('salon'))) ?? '{}') as { ownerName?: string })
          .ownerName,
        'Élise M.',
      );
      await stores.redis.del(key('gelato'));
      const followed = await sync.sync('gelato');
      assert.deepEqual([followed.direction, followed.change], ['redis-to-postgres', 'delete']);
      assert.equal(
        await stores.redis.exists(key('gelato')),
        0,
        'the deleted key is not brought back',
      );
      assert.equal((await integrity.check()).consistent, true);
    });

    it('Redis to PostgreSQL for a tenant only in Redis; nothing to do when they agree', async () => {
      await stores.redis.set(key('bagel'), legacy('🥯'));
      assert.equal((await sync.sync('bagel')).direction, 'redis-to-postgres');
      assert.deepEqual((await sync.sync('bagel')).direction, 'none');
      assert.equal((await integrity.check()).consistent, true);
    });

    it('refuses when both changed unless told which side wins', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔'));
      await stores.db.query(`UPDATE tenants SET emoji = '🍟' WHERE subdomain = 'pizza'`);
      await assert.rejects(
        sync.sync('pizza'),
        (e: unknown) => e instanceof InvalidOptionError && /both stores changed/.test(e.message),
      );
      assert.equal(
        (await sync.sync('pizza', { prefer: 'postgres' })).direction,
        'postgres-to-redis',
      );
      assert.equal(await stores.redis.get(key('pizza')), legacy('🍟'));
    });

    it('rejects an invalid or unknown subdomain clearly', async () => {
      await assert.rejects(sync.sync('bad_name!'), InvalidSubdomainError);
      await assert.rejects(sync.sync('www'), InvalidSubdomainError);
      await assert.rejects(sync.sync('nowhere'), TenantNotFoundError);
    });

    it('never overwrites a Redis value that changes during the sync', async () => {
      await stores.db.query(`UPDATE tenants SET emoji = '🌯' WHERE subdomain = 'tacos'`);
      const redis = ctx.app.get<Redis>(TENANT_REDIS);
      const original = redis.eval.bind(redis);
      // A writer lands between the read and the compare-and-set.
      (redis as unknown as { eval: typeof redis.eval }).eval = (async (
        ...args: Parameters<typeof redis.eval>
      ) => {
        if (String(args[0]).includes("redis.call('SET'"))
          await stores.redis.set(key('tacos'), legacy('🌮', 1700000009999));
        return original(...args);
      }) as typeof redis.eval;
      try {
        await assert.rejects(sync.sync('tacos'), ConcurrentChangeError);
      } finally {
        (redis as unknown as { eval: typeof redis.eval }).eval = original;
      }
      assert.equal(
        await stores.redis.get(key('tacos')),
        legacy('🌮', 1700000009999),
        'the concurrent write survives',
      );
    });

    it('syncs every drifted tenant, collecting the ones it must refuse', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔')); // Redis changed
      await stores.db.query(`UPDATE tenants SET emoji = '🌯' WHERE subdomain = 'tacos'`); // PostgreSQL changed
      await stores.redis.set(key('salon'), JSON.stringify({ ...ENHANCED, ownerName: 'E. M.' })); // both changed
      await stores.db.query(`UPDATE tenants SET owner_name = 'Élise' WHERE subdomain = 'salon'`);
      await stores.redis.del(key('gelato')); // deleted in Redis: only in PostgreSQL
      await stores.redis.set(key('bagel'), legacy('🥯')); // only in Redis

      const all = await sync.syncAllDrifted();
      assert.deepEqual([all.drifted, all.synced], [5, 4]);
      assert.deepEqual(all.byDirection, { 'redis-to-postgres': 3, 'postgres-to-redis': 1 });
      assert.deepEqual(all.byChange, { write: 3, delete: 1 });
      assert.deepEqual(
        all.refused.map((r) => r.subdomain),
        ['salon'],
      );
      const after = await integrity.check();
      assert.deepEqual(
        after.drift.map((d) => d.subdomain),
        ['salon'],
      );

      const forced = await sync.syncAllDrifted({ prefer: 'redis' });
      assert.deepEqual([forced.synced, forced.refused.length], [1, 0]);
      assert.equal((await integrity.check()).consistent, true);
    });

    it('audits every sync with its direction', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔'));
      await sync.sync('pizza', { actor: 'cli:tester' });
      const { rows } = await stores.db.query<{
        action: string;
        actor: string;
        outcome: { direction: string };
      }>(
        `SELECT action, actor, outcome FROM audit_log WHERE action = 'sync' ORDER BY id DESC LIMIT 1`,
      );
      assert.deepEqual(
        [rows[0].actor, rows[0].outcome.direction],
        ['cli:tester', 'redis-to-postgres'],
      );
    });
  });

  describe('cleanup', () => {
    const verifiedBackup = async () => {
      const summary = await backups.backupRedis();
      assert.equal((await backups.verify(summary.id)).ok, true);
      return summary;
    };

    it('refuses without a verified backup, and deletes nothing', async () => {
      await assert.rejects(
        cleanup.cleanup({ dryRun: false }),
        (e: unknown) => e instanceof CleanupRefusedError && /no verified backup/.test(e.message),
      );
      await backups.backupRedis(); // taken, never verified
      await assert.rejects(cleanup.cleanup({ dryRun: false }), CleanupRefusedError);
      assert.equal(await stores.redis.exists(key('pizza')), 1);
    });

    it('previews by default, then deletes only keys proven equal and backed up; check calls them cleaned up', async () => {
      await verifiedBackup();
      const preview = await cleanup.cleanup();
      assert.deepEqual([preview.dryRun, preview.deleted, preview.kept], [true, 4, 0]);
      assert.equal(await stores.redis.exists(key('pizza')), 1, 'a preview deletes nothing');

      const done = await cleanup.cleanup({ dryRun: false, actor: 'test' });
      assert.deepEqual([done.deleted, done.kept, done.examined], [4, 0, 4]);
      for (const name of ['pizza', 'tacos', 'salon', 'gelato'])
        assert.equal(await stores.redis.exists(key(name)), 0, name);
      const report = await integrity.check();
      assertAddsUp(report);
      assert.deepEqual(
        [report.consistent, report.cleanedUp, report.onlyInPostgres],
        [true, 4, 0],
        'cleaned-up tenants are not drift',
      );
    });

    it('never deletes a drifted, invalid, unknown, unbacked or changed key', async () => {
      await stores.redis.set(key('broken'), '{"emoji":');
      await verifiedBackup();
      await stores.redis.set(key('bagel'), legacy('🥯')); // written after the backup
      await stores.redis.set(key('pizza'), legacy('🍔')); // changed after the backup
      await stores.db.query(`UPDATE tenants SET emoji = '🌯' WHERE subdomain = 'tacos'`); // drifted in PostgreSQL
      await stores.db.query(`DELETE FROM tenants WHERE subdomain = 'gelato'`); // not in PostgreSQL
      const result = await cleanup.cleanup({ dryRun: false });
      assert.deepEqual(result.keptByReason, {
        'not-in-backup': 1,
        'changed-since-backup': 1,
        drifted: 1,
        'not-in-postgres': 1,
        'invalid-record': 1,
      });
      assert.equal(result.deleted, 1, 'only salon was provably safe');
      assert.equal(
        result.examined,
        result.deleted + result.kept - 1 + result.alreadyGone,
        'the unbacked key is counted as kept but not examined',
      );
      for (const name of ['broken', 'bagel', 'pizza', 'tacos', 'gelato'])
        assert.equal(await stores.redis.exists(key(name)), 1, name);
      assert.equal(await stores.redis.exists(key('salon')), 0);
    });

    it('keeps a key written between verification and deletion (compare-and-delete)', async () => {
      await verifiedBackup();
      const redis = ctx.app.get<Redis>(TENANT_REDIS);
      const original = redis.pipeline.bind(redis);
      // A writer lands just before the deletes are sent.
      (redis as unknown as { pipeline: typeof redis.pipeline }).pipeline = (
        ...args: Parameters<typeof redis.pipeline>
      ) => {
        const pipeline = original(...args);
        const exec = pipeline.exec.bind(pipeline);
        pipeline.exec = async () => {
          const queued = (pipeline as unknown as { _queue: { name: string }[] })._queue ?? [];
          if (queued.some((c) => c.name === 'eval'))
            await stores.redis.set(key('pizza'), legacy('🍕', 1700000000999));
          return exec();
        };
        return pipeline;
      };
      try {
        const result = await cleanup.cleanup({ dryRun: false });
        assert.equal(result.keptByReason['changed-during-cleanup'], 1);
      } finally {
        (redis as unknown as { pipeline: typeof redis.pipeline }).pipeline = original;
      }
      assert.equal(
        await stores.redis.get(key('pizza')),
        legacy('🍕', 1700000000999),
        'the concurrent write survives',
      );
      const { rows } = await stores.db.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM redis_cleanups WHERE subdomain = 'pizza'`,
      );
      assert.equal(rows[0].n, 0, 'a kept key is not recorded as cleaned up');
    });

    it('audits every cleanup', async () => {
      await verifiedBackup();
      await cleanup.cleanup({ actor: 'cli:tester' });
      const { rows } = await stores.db.query<{ actor: string; params: { dryRun: boolean } }>(
        `SELECT actor, params FROM audit_log WHERE action = 'cleanup'`,
      );
      assert.deepEqual(
        rows.map((r) => [r.actor, r.params.dryRun]),
        [['cli:tester', true]],
      );
    });
  });

  describe('stats and report', () => {
    it('counts the stores, the runs and the backups, and writes a JSON and a Markdown report', async () => {
      const reports = ctx.app.get(ReportService);
      await stores.redis.set(key('broken'), '{"emoji":');
      await ctx.migrations.migrate();
      const stats = await reports.stats();
      assert.deepEqual(
        [
          stats.redisKeys,
          stats.postgresTenants,
          stats.bySourceFormat.legacy,
          stats.bySourceFormat.enhanced,
          stats.incompleteProfiles,
        ],
        [5, 4, 3, 1, 3],
      );
      assert.equal(stats.lastRuns.length, 2);
      assert.equal(stats.successRate, 4 / 5, 'the last run: 4 unchanged of 5 scanned');
      assert.deepEqual(stats.lastRejectedByReason, { 'invalid-json': 1 });

      const written = await reports.write(backupDir);
      const json = JSON.parse(await readFile(written.jsonPath, 'utf8')) as {
        integrity: { consistent: boolean; invalid: number };
      };
      assert.deepEqual([json.integrity.consistent, json.integrity.invalid], [true, 1]);
      const markdown = await readFile(written.markdownPath, 'utf8');
      assert.match(markdown, /^# Tenant migration report/);
      assert.match(markdown, /\| PostgreSQL tenants \| 4 \|/);
      assert.match(markdown, /Redis and PostgreSQL agree\./);
      assert.match(markdown, /\| invalid-json \| 1 \|/);
    });
  });
});
