import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Redis } from 'ioredis';
import {
  ConcurrentChangeError,
  IntegrityService,
  InvalidOptionError,
  InvalidSubdomainError,
  SyncService,
  TENANT_REDIS,
  TenantNotFoundError,
  type IntegrityReport,
} from '#tenant-migration';
import { createMigrationContext, createTestStores, type MigrationContext, type TestStores } from './support/test-stores.js';

const legacy = (emoji: string, createdAt = 1700000000000) => JSON.stringify({ emoji, createdAt });
const ENHANCED = {
  emoji: '💈',
  createdAt: 1712345678901,
  businessName: 'Salon Élise',
  businessCategory: 'Beauty & Wellness',
  ownerName: 'Élise Martin',
  email: 'elise@example.com',
  phone: '+33612345678',
  features: { whatsapp: true, analytics: true },
  subscription: { plan: 'premium', status: 'active', expiresAt: 1799999999000 },
};

describe('integrity check against the real Redis and PostgreSQL', () => {
  let stores: TestStores;
  let ctx: MigrationContext;
  let integrity: IntegrityService;
  let sync: SyncService;
  const key = (name: string) => `${stores.prefix}${name}`;

  /** The invariants every report must satisfy, whatever it found. */
  const assertAddsUp = (r: IntegrityReport): void => {
    assert.equal(r.redisKeys, r.valid + r.invalid + r.skipped, 'every key counted once');
    assert.equal(r.valid, r.matching + r.different + r.onlyInRedis, 'every valid record classified once');
    assert.equal(r.consistent, r.onlyInRedis + r.onlyInPostgres + r.different === 0);
  };

  before(async () => {
    stores = await createTestStores('integrity');
    ctx = await createMigrationContext(stores, { batchSize: 3 });
    integrity = ctx.app.get(IntegrityService);
    sync = ctx.app.get(SyncService);
  });
  after(async () => {
    await ctx.close();
    await stores.close();
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
    assert.deepEqual([report.redisKeys, report.valid, report.matching, report.postgresTenants], [4, 4, 4, 4]);
    assert.deepEqual(report.drift, []);
  });

  it('names every kind of drift with the fields and both values', async () => {
    // changed in Redis: two fields of the enhanced record
    await stores.redis.set(key('salon'), JSON.stringify({ ...ENHANCED, businessName: 'Salon Élise & Co', features: { whatsapp: false, analytics: true } }));
    // changed in PostgreSQL
    await stores.db.query(`UPDATE tenants SET emoji = '🌯', subscription_plan = 'enterprise' WHERE subdomain = 'tacos'`);
    // only in Redis: added after the migration
    await stores.redis.set(key('bagel'), legacy('🥯'));
    // only in PostgreSQL: the key was deleted
    await stores.redis.del(key('gelato'));

    const report = await integrity.check();
    assertAddsUp(report);
    assert.equal(report.consistent, false);
    assert.deepEqual([report.onlyInRedis, report.onlyInPostgres, report.different, report.matching], [1, 1, 2, 1]);
    const byName = new Map(report.drift.map((d) => [d.subdomain, d]));
    assert.deepEqual(byName.get('bagel'), { kind: 'only-in-redis', subdomain: 'bagel', key: key('bagel') });
    assert.deepEqual(byName.get('gelato'), { kind: 'only-in-postgres', subdomain: 'gelato', key: key('gelato') });

    const salon = byName.get('salon');
    assert.equal(salon?.kind, 'different');
    assert.deepEqual(salon?.fields, [
      { field: 'businessName', redis: 'Salon Élise & Co', postgres: 'Salon Élise' },
      { field: 'features.whatsapp', redis: false, postgres: true },
    ]);
    assert.deepEqual([salon?.changedInRedis, salon?.changedInPostgres], [true, false]);

    const tacos = byName.get('tacos');
    assert.deepEqual(tacos?.fields, [
      { field: 'emoji', redis: '🌮', postgres: '🌯' },
      { field: 'subscription.plan', redis: 'basic', postgres: 'enterprise' },
    ]);
    assert.deepEqual([tacos?.changedInRedis, tacos?.changedInPostgres], [false, true]);
  });

  it('compares timestamps to the millisecond', async () => {
    await stores.db.query(`UPDATE tenants SET created_at = created_at + interval '1 millisecond' WHERE subdomain = 'tacos'`);
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
    assert.equal(report.consistent, true, 'an invalid record is not drift, and its migrated row is not "only in PostgreSQL"');
    assert.equal(report.onlyInPostgres, 0);
  });

  it('caps the listed drifts but never the counts', async () => {
    for (const name of ['a1', 'a2', 'a3', 'a4', 'a5']) await stores.redis.set(key(name), legacy('🍕'));
    const report = await integrity.check({ limit: 2 });
    assert.equal(report.onlyInRedis, 5);
    assert.equal(report.drift.length, 2);
    assert.equal(report.truncated, true);
    assert.equal((await integrity.check()).drift.length, 5, 'limit 0 lists everything');
  });

  it('writes nothing to either store', async () => {
    const before = (await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain')).rows;
    await integrity.check();
    assert.deepEqual((await stores.db.query('SELECT *, xmin::text FROM tenants ORDER BY subdomain')).rows, before);
    assert.equal(await stores.redis.get(key('pizza')), legacy('🍕'));
  });

  describe('sync', () => {
    const driftOf = async (subdomain: string) => (await integrity.check()).drift.find((d) => d.subdomain === subdomain);

    it('Redis to PostgreSQL when Redis changed, and the check is clean again', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔'));
      const preview = await sync.sync('pizza', { dryRun: true });
      assert.deepEqual([preview.direction, preview.dryRun], ['redis-to-postgres', true]);
      assert.ok(await driftOf('pizza'), 'a dry run changes nothing');

      const result = await sync.sync('pizza', { actor: 'test' });
      assert.equal(result.direction, 'redis-to-postgres');
      assert.match(result.reason, /Redis changed/);
      assert.equal((await stores.db.query(`SELECT emoji FROM tenants WHERE subdomain = 'pizza'`)).rows[0].emoji, '🍔');
      assert.equal((await integrity.check()).consistent, true);
    });

    it('PostgreSQL to Redis when PostgreSQL changed, in the format legacy readers understand', async () => {
      await stores.db.query(`UPDATE tenants SET emoji = '🌯', business_name = 'Taco Town' WHERE subdomain = 'tacos'`);
      const result = await sync.sync('TACOS ');
      assert.equal(result.direction, 'postgres-to-redis');
      assert.equal(result.subdomain, 'tacos', 'input is normalised');
      assert.equal(await stores.redis.get(key('tacos')), JSON.stringify({ emoji: '🌯', createdAt: 1700000000123 }));
      const report = await integrity.check();
      assert.equal(report.consistent, false, 'business_name has no place in a legacy record');
      assert.deepEqual(report.drift.find((d) => d.subdomain === 'tacos')?.fields?.map((f) => f.field), ['businessName']);
      assert.equal(report.drift.find((d) => d.subdomain === 'tacos')?.changedInRedis, false, 'the written value is recorded as migrated');
    });

    it('PostgreSQL to Redis keeps an enhanced record enhanced, and restores a deleted key', async () => {
      await stores.db.query(`UPDATE tenants SET owner_name = 'Élise M.' WHERE subdomain = 'salon'`);
      assert.equal((await sync.sync('salon')).direction, 'postgres-to-redis');
      assert.equal(JSON.parse((await stores.redis.get(key('salon'))) ?? '{}').ownerName, 'Élise M.');
      await stores.redis.del(key('gelato'));
      const restored = await sync.sync('gelato');
      assert.deepEqual([restored.direction, restored.reason], ['postgres-to-redis', 'only PostgreSQL has the tenant']);
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
      await assert.rejects(sync.sync('pizza'), (e: unknown) => e instanceof InvalidOptionError && /both stores changed/.test(e.message));
      assert.equal((await sync.sync('pizza', { prefer: 'postgres' })).direction, 'postgres-to-redis');
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
      (redis as unknown as { eval: typeof redis.eval }).eval = (async (...args: Parameters<typeof redis.eval>) => {
        if (String(args[0]).includes("redis.call('SET'")) await stores.redis.set(key('tacos'), legacy('🌮', 1700000009999));
        return original(...args);
      }) as typeof redis.eval;
      try {
        await assert.rejects(sync.sync('tacos'), ConcurrentChangeError);
      } finally {
        (redis as unknown as { eval: typeof redis.eval }).eval = original;
      }
      assert.equal(await stores.redis.get(key('tacos')), legacy('🌮', 1700000009999), 'the concurrent write survives');
    });

    it('audits every sync with its direction', async () => {
      await stores.redis.set(key('pizza'), legacy('🍔'));
      await sync.sync('pizza', { actor: 'cli:tester' });
      const { rows } = await stores.db.query<{ action: string; actor: string; outcome: { direction: string } }>(
        `SELECT action, actor, outcome FROM audit_log WHERE action = 'sync' ORDER BY id DESC LIMIT 1`,
      );
      assert.deepEqual([rows[0].actor, rows[0].outcome.direction], ['cli:tester', 'redis-to-postgres']);
    });
  });
});
